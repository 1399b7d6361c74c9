"""Every page, and the tutorial as a reader runs it, pass for an unprivileged user.

CI runs as root, most readers do not: as root the harness runs PostgreSQL as `nobody` and
may read files no user could. So a root run also runs the pages as `nobody`, from a copy of
the project and a virtualenv that user can read, made from a Python that user can run.
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USER = pwd.getpwnam("nobody")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
NOT_THE_PROJECT = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "site", "test-artifacts", "__pycache__", "*.egg-info"
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="this run is unprivileged already: every test here is one"
)


def _as_user(command: list, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        user=USER.pw_uid,
        group=USER.pw_gid,
        extra_groups=[],
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def _python_the_user_can_run() -> str:
    """This run's Python if the user can run it (pyenv's, under /root, they cannot), else
    the system's."""
    candidates = [sys._base_executable, shutil.which("python3", path=SYSTEM_PATH)]
    for python in filter(None, candidates):
        version = "import sys; assert sys.version_info >= (3, 11)"
        try:
            if _as_user([python, "-c", version], env={}).returncode == 0:
                return python
        except PermissionError:  # a directory on the way is closed to the user
            continue
    pytest.fail(f"{USER.pw_name} can run none of {candidates} (a Python 3.11 or newer)")


@pytest.fixture
def users_checkout() -> Iterator[Path]:
    """The project as the user would have it: their own copy, their virtualenv, their home.
    Not under pytest's tmp_path: /tmp/pytest-of-root is root's alone."""
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
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_every_page_passes_for_an_unprivileged_user(users_checkout: Path) -> None:
    base = users_checkout
    env = {
        "HOME": str(base / "home"),
        "PATH": f"{base / 'venv/bin'}:{SYSTEM_PATH}",
        "LANG": "C.UTF-8",
    }
    pages = [base / "venv/bin/python", "-m", "pytest", "docs", "tests/test_reader.py"]
    result = _as_user(
        [*pages, "-n", "2", "-p", "no:cacheprovider", "-q"], cwd=base / "project", env=env
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, "\n".join(result.stdout.splitlines()[-60:])
    assert " passed" in summary and "failed" not in summary, summary
