"""Every page, and the tutorial as a reader runs it, pass for an unprivileged user.

CI runs as root, most readers do not: as root the harness runs PostgreSQL as `nobody` and
may read files no user could. So one more run of the pages: as `nobody` when this run is
root (from a copy of the project and a virtualenv that user can read, made from a Python
that user can run), else as this user.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from throwaway_pg.server import URL_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
USER = pwd.getpwnam("nobody")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
NOT_THE_PROJECT = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "site", "test-artifacts", "__pycache__", "*.egg-info"
)


def _run(command: list, as_user: bool, **kwargs) -> subprocess.CompletedProcess[str]:
    user = {"user": USER.pw_uid, "group": USER.pw_gid, "extra_groups": []} if as_user else {}
    return subprocess.run(
        command,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **user,
        **kwargs,
    )


def _python_the_user_can_run() -> str:
    """This run's Python if the user can run it (pyenv's, under /root, they cannot), else
    the system's."""
    candidates = [sys._base_executable, shutil.which("python3", path=SYSTEM_PATH)]
    for python in filter(None, candidates):
        version = "import sys; assert sys.version_info >= (3, 11)"
        try:
            if _run([python, "-c", version], as_user=True, env={}).returncode == 0:
                return python
        except PermissionError:  # a directory on the way is closed to the user
            continue
    pytest.fail(f"{USER.pw_name} can run none of {candidates} (a Python 3.11 or newer)")


@dataclass
class Checkout:
    project: Path
    python: Path
    env: dict[str, str]
    as_user: bool  # run as USER (this run is root)


@pytest.fixture
def users_checkout() -> Iterator[Checkout]:
    """Where the pages run: as root, the project as `nobody` would have it (their own copy,
    their virtualenv, their home; not under pytest's tmp_path: /tmp/pytest-of-root is
    root's alone); else this very project and interpreter."""
    if os.geteuid() != 0:
        env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k and k != URL_VARIABLE}
        yield Checkout(ROOT, Path(sys.executable), env, as_user=False)
        return
    base = Path(tempfile.mkdtemp(prefix="unprivileged-"))
    try:
        base.chmod(0o755)
        shutil.copytree(ROOT, base / "project", ignore=NOT_THE_PROJECT)
        (base / "home").mkdir()
        # Installed by root, whose pip cache is warm; the user only reads the virtualenv.
        subprocess.run([_python_the_user_can_run(), "-m", "venv", base / "venv"], check=True)
        install = [base / "venv/bin/python", "-m", "pip", "install", "-qq", "-e"]
        subprocess.run([*install, f"{base / 'project'}[test,docs]"], check=True)
        for part in ("project", "home"):
            shutil.chown(base / part, USER.pw_uid, USER.pw_gid)
            for directory, _, files in os.walk(base / part):
                for name in [".", *files]:
                    os.chown(os.path.join(directory, name), USER.pw_uid, USER.pw_gid)
        env = {
            "HOME": str(base / "home"),
            "PATH": f"{base / 'venv/bin'}:{SYSTEM_PATH}",
            "LANG": "C.UTF-8",
        }
        yield Checkout(base / "project", base / "venv/bin/python", env, as_user=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_every_page_passes_through_the_cli_for_an_unprivileged_user(
    users_checkout: Checkout,
) -> None:
    where = users_checkout
    pages = [where.python, "-m", "pytest", "docs", "tests/test_reader.py"]
    options = ["-n", "2", "-p", "no:cacheprovider", "-q"]
    result = _run([*pages, *options], where.as_user, cwd=where.project, env=where.env)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, "\n".join(result.stdout.splitlines()[-60:])
    assert " passed" in summary and "failed" not in summary, summary
