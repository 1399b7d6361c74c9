"""The runtime the site serves under browser/: assembled from the packages pins.toml names,
each checked against its hash, cached in .cache/browser/ so a second build needs no network.

  browser/pyodide/      Python in WebAssembly (pins.toml's four files)
  browser/pglite/       PostgreSQL in WebAssembly
  browser/wheels/       the pure-Python wheels, and pyodide-lock.json, which lists them
                        with their sha256 (the browser checks each one it loads)
  browser/python/       the worker's Python: in_browser.runner, and the comparison code
                        the suite uses (docs_runner.normalise, docs_runner.grammar,
                        alembic_docs.revision_ids)
  browser/worker.mjs    the worker: starts both, and runs the page's steps (the page's
                        control is the site's: docs/assets/in-browser.js)
  browser/SHA256SUMS    every file above
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PINS = tomllib.loads((HERE / "pins.toml").read_text())
CACHE = Path(os.environ.get("IN_BROWSER_CACHE", ROOT / ".cache" / "browser"))
REGISTRY = "https://registry.npmjs.org"
# The worker's Python, by its path under src/: the runner, and the comparison code it shares
# with the suite. Their packages go as empty ones (their public API is the suite's).
PYTHON = [
    "in_browser/runner.py",
    "docs_runner/normalise.py",
    "docs_runner/grammar.py",
    "alembic_docs/revision_ids.py",
]
# MarkupSafe's plain-Python wheel is reproducible only with this setuptools and date.
SOURCE_DATE_EPOCH = "1760000000"


class PinError(Exception):
    """A download or a hash that does not match: said in one line."""


def assemble(target: Path, cache: Path = CACHE) -> None:
    """The runtime into `target` (replaced), from the cache or the registries."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, pin in PINS["npm"].items():
        _unpack(_npm_tarball(name, pin, cache), pin["files"], target / _folder(name))
    wheels = target / "wheels"
    wheels.mkdir()
    for pin in PINS["wheels"].values():
        shutil.copy2(_wheel(pin, cache), wheels / pin["file"])
    (wheels / "pyodide-lock.json").write_text(json.dumps(_lock(cache), indent=1) + "\n")
    _python(target / "python")
    shutil.copy2(HERE / "worker.mjs", target / "worker.mjs")
    _write_sums(target)


def _python(folder: Path) -> None:
    """The worker's modules, and files.json, which lists them for it."""
    listed = []
    for path in PYTHON:
        package = Path(path).parent / "__init__.py"
        (folder / package).parent.mkdir(parents=True, exist_ok=True)
        (folder / package).touch()
        shutil.copy2(ROOT / "src" / path, folder / path)
        listed += [str(package), path]
    (folder / "files.json").write_text(json.dumps(sorted(set(listed))) + "\n")


def _folder(package: str) -> str:
    return package.rsplit("/", 1)[-1]  # @electric-sql/pglite -> pglite


def _npm_tarball(name: str, pin: dict, cache: Path) -> Path:
    path = cache / f"{_folder(name)}-{pin['version']}.tgz"
    if not (path.is_file() and _integrity(path.read_bytes()) == pin["integrity"]):
        url = f"{REGISTRY}/{name}/-/{_folder(name)}-{pin['version']}.tgz"
        _say(f"downloading {name} {pin['version']} (once: it is cached in {cache})")
        data = _download(url)
        if _integrity(data) != pin["integrity"]:
            raise PinError(f"{url}: its sha512 is not the one pins.toml records")
        _keep(path, lambda scratch: (scratch / path.name).write_bytes(data))
    return path


def _say(message: str) -> None:
    print(f"in_browser: {message}", file=sys.stderr, flush=True)


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except OSError as error:
        raise PinError(f"cannot download {url}: {error}") from None


def _unpack(tarball: Path, files: list[str], folder: Path) -> None:
    folder.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for name in files:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise PinError(f"{tarball.name} has no {name}")
            (folder / Path(name).name).write_bytes(member.read())


def _wheel(pin: dict, cache: Path) -> Path:
    path = cache / "wheels" / pin["file"]
    if not (path.is_file() and _sha256(path) == pin["sha256"]):
        _keep(path, lambda scratch: _fetch_wheel(pin, scratch))
        if _sha256(path) != pin["sha256"]:
            raise PinError(f"{pin['file']}: its sha256 is not the one pins.toml records")
    return path


def _fetch_wheel(pin: dict, folder: Path) -> None:
    _say(f"{'building' if 'sdist' in pin else 'downloading'} {pin['file']}")
    if "sdist" in pin:
        _build_wheel(pin, folder)
        return
    wheel = ["--only-binary=:all:", "--platform", "any", "--python-version", "3.14",
             "--implementation", "py", "--abi", "none"]  # fmt: skip
    _pip("download", pin["file"], pin["sha256"], *wheel, "--dest", str(folder))


def _keep(path: Path, make: Callable[[Path], None]) -> None:
    """`make` writes path's file into a scratch folder, then it takes its place in the
    cache at once: builds running side by side never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        make(Path(scratch))
        made = Path(scratch) / path.name
        if not made.is_file():
            raise PinError(f"{path.name}: pip made no such file")
        os.replace(made, path)


def _build_wheel(pin: dict, wheels: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        _pip("download", pin["sdist"], pin["sdist_sha256"], "--no-binary=:all:", "--dest", scratch)
        env = {**os.environ, "CC": "/bin/false", "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        build = [
            "--no-binary=:all:",
            "--no-build-isolation",
            "--no-cache-dir",
            "--wheel-dir",
            str(wheels),
        ]
        _pip("wheel", pin["sdist"], pin["sdist_sha256"], *build, env=env, find=scratch)


def _pip(command: str, file: str, sha256: str, *args: str, **options: object) -> None:
    """pip `command` on one wheel or sdist, by its file name, checked against `sha256`."""
    name, version = file.removesuffix(".tar.gz").split("-")[:2]
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(f"{name}=={version} --hash=sha256:{sha256}\n")
        line = [sys.executable, "-m", "pip", "--quiet", command, "--no-deps", *args]
        if options.get("find"):
            line += ["--no-index", "--find-links", str(options["find"])]
        line += ["--require-hashes", "-r", str(requirements)]
        result = subprocess.run(line, capture_output=True, text=True, env=options.get("env"))  # type: ignore[arg-type]
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PinError(f"pip {command} {file} failed: {last}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lock(cache: Path) -> dict:
    """Pyodide's lock file for our wheels alone, with Pyodide's own `info` (its ABI)."""
    tarball = _npm_tarball("pyodide", PINS["npm"]["pyodide"], cache)
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/pyodide-lock.json")
        assert member is not None
        info = json.load(io.TextIOWrapper(member))["info"]
    packages = {}
    for name, pin in PINS["wheels"].items():
        packages[name] = {
            "name": name,
            "version": pin["file"].split("-")[1],
            "file_name": pin["file"],
            "install_dir": "site",
            "package_type": "package",
            "sha256": pin["sha256"],
            "imports": pin.get("imports", [name]),
            "depends": pin.get("depends", []),
        }
    return {"info": info, "packages": packages}


def _write_sums(target: Path) -> None:
    files = sorted(p for p in target.rglob("*") if p.is_file())
    lines = [f"{_sha256(p)}  {p.relative_to(target)}\n" for p in files]
    (target / "SHA256SUMS").write_text("".join(lines))
