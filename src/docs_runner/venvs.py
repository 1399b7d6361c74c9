"""Virtualenvs built once and kept between runs, named by what they hold: the reader's
(reader.py) and any a test suite needs (a downloaded notebook's, a wheel's).

They live in /var/tmp (kept across reboots, unlike /dev/shm), in a folder this user alone
writes to and any user may read: the reader may be another user (nobody, when we are root).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

CACHE = Path("/var/tmp")
FORMAT = "1"  # how a virtualenv is built here: change it and none built before is reused
UNUSED_DAYS = 14  # a virtualenv no run asked for in that long is removed (older pins)

__all__ = ["VenvError", "cached", "home", "locked"]


class VenvError(RuntimeError):
    """A virtualenv could not be built; says why in one line."""


def cached(python: str, packages: Sequence[str], pip_options: Sequence[str] = ()) -> Path:
    """A virtualenv of `python` holding `packages` (pip requirements, pinned), installed with
    `pip_options`: built on first use, then reused by every run asking for the same.
    `python` may be another virtualenv's: what counts is the interpreter its link leads to,
    so each clone's own nox virtualenv (CI's, a newcomer's) shares the cache."""
    if strays := [package for package in packages if not _from_the_index(package)]:
        # a notebook's install line names them: a path's setup.py would run as us (root)
        said = ", ".join(map(repr, strays))
        raise VenvError(f"not a pin of a project on the package index (name==version): {said}")
    python = str(Path(python).resolve())
    if os.geteuid() == 0:  # pages run as nobody: a source build's setup.py would run as root
        pip_options = [*pip_options, "--only-binary=:all:"]
    parts = [FORMAT, python, *pip_options, *sorted(packages)]
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    folder = home()
    venv = folder / f"venv-{key}"
    with locked(_lock_of(venv)):  # two workers, or two runs, build it once
        ready = venv / "ready"
        if not ready.is_file():
            _prune(folder)
            shutil.rmtree(venv, ignore_errors=True)  # a build killed half-way
            subprocess.run([python, "-m", "venv", venv], check=True, capture_output=True)
            pip = [venv / "bin/python", "-m", "pip", "install", "-q", *pip_options]
            built = subprocess.run([*pip, *packages], capture_output=True, text=True)
            if built.returncode != 0:
                lines = built.stderr.strip().splitlines()
                # pip's own ERROR line: its last one is a hint to look above
                said = [line for line in lines if line.startswith("ERROR:")] or lines[-1:]
                said = said[-1] if said else "pip failed"
                if "--only-binary=:all:" in pip_options and "No matching dist" in said:
                    said += " (as root, wheels only: building one would run its code as root)"
                raise VenvError(f"cannot build a virtualenv with {' '.join(packages)}: {said}")
        ready.touch()  # when a run last used it
    return venv


# A pin of a project on the package index, `name==version` (extras allowed): nothing pip
# could read as a path, an archive, a URL, an option or a marker, which its own tests see
# only after dropping `[extras]` and `;markers` (`evil.tar.gz[x]` was a local archive).
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]*\])?==[A-Za-z0-9.+!_-]+")


def _from_the_index(package: str) -> bool:
    """Whether `package` is a pin pip takes from the package index."""
    return PIN.fullmatch(package) is not None


def _prune(folder: Path) -> None:
    """Remove the virtualenvs no run used in UNUSED_DAYS (built for pins since changed)."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    for ready in folder.glob("venv-*/ready"):
        if ready.stat().st_mtime < cutoff:
            with locked(_lock_of(ready.parent)):
                shutil.rmtree(ready.parent, ignore_errors=True)


def _lock_of(venv: Path) -> Path:
    return venv.with_name(venv.name + ".lock")


def home() -> Path:
    """Our folder in CACHE, written by this user alone (nothing there is trusted else)."""
    folder = CACHE / f"docs-runner-{os.getuid()}"
    folder.mkdir(mode=0o755, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise VenvError(f"{folder} is not this user's alone: remove it (rm -rf {folder})")
    return folder


LOCK_WAIT = 900.0  # seconds another run may take to build what we wait for


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (made if need be) until the block ends. Only we
    may open it (0600): anyone who may read a file may hold a lock on it, and the reader
    (nobody) held one for ever, and every later run as root waited on it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # one made 0644 before
        deadline = time.monotonic() + LOCK_WAIT
        while not _took(fd):
            if time.monotonic() > deadline:
                raise VenvError(
                    f"{path} stayed locked for {LOCK_WAIT:g} s: another run builds there, "
                    f"or a process holds it (fuser {path})"
                )
            time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def _took(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
