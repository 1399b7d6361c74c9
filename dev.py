#!/usr/bin/env python3
"""Run a nox session with only Python 3.11+: `python3 dev.py serve`, `python3 dev.py tests`
(arguments after the session are the session's, as after nox's `--`; `python3 dev.py
--list` passes nox's own options).

nox is installed into a virtualenv of its own, `.nox/bootstrap`, so it works where `pip
install` is refused (Debian's and Ubuntu's own Python: PEP 668), as root or not, inside a
virtualenv or not. Where the Python has no ensurepip (Debian without python3-venv), pip comes
from its pinned wheel on PyPI.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

NOX = "nox==2026.10.20"
PIP_WHEEL = (
    "https://files.pythonhosted.org/packages/07/25/"
    "ee8c38ae72d66b844ce8eb9711ba905dba21ca1a8a0c960057c41cd23337/pip-26.3-py3-none-any.whl",
    "f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13",
)
ROOT = Path(__file__).resolve().parent
HOME = ROOT / ".nox" / "bootstrap"
PYTHON = HOME / "bin" / "python"


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be run by an older python3)
        return fail(f"needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not argv:
        return fail("usage: python3 dev.py SESSION [ARGS...] (e.g. tests), or nox's options")
    if not has_nox():
        install_nox()
    os.chdir(ROOT)
    # nox in this process's place: Ctrl-C and the exit status are its own.
    os.execv(PYTHON, [str(PYTHON), "-m", "nox", *nox_arguments(argv)])


def nox_arguments(argv: list[str]) -> list[str]:
    """`tests` as `-s tests`, `matrix --check` as `-s matrix -- --check`; nox's own options
    (`--list`) as they are."""
    if argv[0].startswith("-"):
        return argv
    session, *rest = argv
    rest = rest[1:] if rest[:1] == ["--"] else rest
    return ["-s", session, *(["--", *rest] if rest else [])]


def has_nox() -> bool:
    wanted = NOX.split("==")[1]
    if not PYTHON.exists():
        return False
    found = subprocess.run([str(PYTHON), "-m", "nox", "--version"], capture_output=True, text=True)
    return found.returncode == 0 and found.stderr.strip() == wanted


def install_nox() -> None:
    print(f"dev.py: installing {NOX} into {os.path.relpath(HOME, ROOT)} (once)", file=sys.stderr)
    ensurepip = has_ensurepip()
    venv.create(HOME, clear=True, with_pip=ensurepip)
    pip = [str(PYTHON), "-m", "pip"] if ensurepip else [str(PYTHON), f"{pip_wheel()}/pip"]
    subprocess.run([*pip, "install", "--quiet", "--disable-pip-version-check", NOX], check=True)


def has_ensurepip() -> bool:
    """As venv itself tells: Debian and Ubuntu ship ensurepip apart, in python3-venv."""
    return (Path(sysconfig.get_path("stdlib")) / "ensurepip" / "__main__.py").exists()


def pip_wheel() -> Path:
    """pip's pinned wheel, from PyPI, checked against its hash: pip runs from it."""
    url, sha256 = PIP_WHEEL
    path = HOME / url.rsplit("/", 1)[1]
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"dev.py: {url} does not match its pinned hash; not installing it")
    path.write_bytes(data)
    return path


def fail(message: str) -> int:
    print(f"dev.py: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
