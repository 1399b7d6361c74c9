"""The browser's runtime as the site ships it: pinned, hash-checked, nothing from elsewhere."""

import ast
import hashlib
import re
import sys
import tomllib
from pathlib import Path

import pytest

from in_browser import runtime

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site") / "browser"
    runtime.assemble(target)
    return target


def test_every_shipped_file_is_in_sha256sums(shipped: Path) -> None:
    listed = {}
    for line in (shipped / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        listed[name] = digest
    files = {str(p.relative_to(shipped)) for p in shipped.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((shipped / name).read_bytes()).hexdigest() == digest, name


def test_the_runtime_names_no_other_host(shipped: Path) -> None:
    """Pyodide's one URL is its CDN default, which only Node reads: in a browser the files
    come from where pyodide.mjs was loaded (indexURL)."""
    found = set()
    for script in [*shipped.rglob("*.js"), *shipped.rglob("*.mjs")]:
        for url in re.findall(r"https?://[\w.-]+", script.read_text(errors="replace")):
            found.add((script.name, url))
    assert found == {("pyodide.mjs", "https://cdn.jsdelivr.net")}


def test_the_wheels_are_the_versions_the_site_pins() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in ("alembic", "sqlalchemy"):
        pinned = next(p.split("==")[1] for p in pins if p.startswith(f"{name}=="))
        assert runtime.PINS["wheels"][name]["file"].split("-")[1] == pinned


def test_the_lock_file_lists_each_wheel_with_its_hash(shipped: Path) -> None:
    import json

    lock = json.loads((shipped / "wheels" / "pyodide-lock.json").read_text())
    assert lock["info"]["abi_version"] == "2026_0"  # Pyodide refuses another ABI's lock
    for name, entry in lock["packages"].items():
        wheel = shipped / "wheels" / entry["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"], name
        assert set(entry["depends"]) <= set(lock["packages"]), name


def test_a_download_that_is_not_the_pinned_one_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runtime, "_download", lambda url: b"not the package")
    with pytest.raises(runtime.PinError, match="its sha512 is not the one pins.toml"):
        runtime._npm_tarball("pyodide", runtime.PINS["npm"]["pyodide"], tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing cached


def test_the_browser_s_python_imports_only_what_it_is_shipped_with() -> None:
    """normalise.py once imported throwaway_pg at its top: in the browser, every step
    after it waited for ever (the suite saw a 300 s timeout on "Start over")."""
    shipped = {Path(path).with_suffix("").as_posix().replace("/", ".") for path in runtime.PYTHON}
    packages = {name.split(".")[0] for name in shipped}
    wheels = {name.replace("-", "_") for name in runtime.PINS["wheels"]}
    for path in runtime.PYTHON:
        tree = ast.parse((runtime.ROOT / "src" / path).read_text())
        for node in tree.body:  # what runs at import; a function's imports run in it
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                known = top in sys.stdlib_module_names or top in wheels
                assert known or name in shipped or name in packages, f"{path} imports {name}"
