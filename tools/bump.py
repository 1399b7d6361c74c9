"""`nox -s bump -- alembic==1.21.0`: move a pinned library to a new version everywhere the
repository pins it (pyproject.toml, the install lines on pages and in notebooks); the nox
session then rewrites the outputs and reruns the version matrix. Review the diff."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def repin(files: list[Path], requirement: str) -> list[Path]:
    """Rewrite every `name==old` pin in `files` to `requirement` (name==new); the files
    changed. One line if the name is pinned nowhere or the requirement is no exact pin."""
    match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", requirement)
    if match is None:
        raise SystemExit(f"bump: {requirement!r} is not an exact pin such as alembic==1.21.0")
    name = match[1]
    pin = re.compile(rf"(?<![\w.-]){re.escape(name)}==[^\s\"',`]+", re.IGNORECASE)
    changed = []
    for path in files:
        text = path.read_text()
        new = pin.sub(requirement, text)
        if new != text:
            path.write_text(new)
            changed.append(path)
    if not changed:
        raise SystemExit(f"bump: {name} is pinned nowhere in the repository")
    return changed


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    paths = [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    suffixes = {".toml", ".md", ".ipynb", ".py", ".txt", ".yml"}
    return [p for p in paths if p.suffix in suffixes and "bench" not in p.parts]


if __name__ == "__main__":
    for path in repin(tracked_text_files(), sys.argv[1]):
        print(f"bump: {path.relative_to(ROOT)}")
