"""A test run leaves nothing behind: no kernel still running, no temporary folder or
kernel connection file, no server files. Run on what makes them: a page, a notebook from
the repository, a notebook downloaded and run in a reader's own kernel."""

import getpass
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.inner_run import processes_naming
from throwaway_pg import postgres
from throwaway_pg.server import URL_VARIABLE

ROOT = Path(__file__).resolve().parents[2]
WHAT_MAKES_THEM = [
    "docs/tutorial/first-migration.md",
    "tests/site/notebooks/test_notebooks.py::test_notebook_runs_and_its_outputs_are_current",
    "tests/site/notebooks/test_downloaded_notebooks.py::"
    "test_a_downloaded_notebook_runs_twice_and_shows_what_the_site_shows[tutorial.ipynb]",
]


def test_a_run_leaves_nothing_behind(tmp_path: Path) -> None:
    temp, runtime = tmp_path / "tmp", tmp_path / "runtime"
    temp.mkdir()
    runtime.mkdir()
    # Where the run's server goes: one `nobody` may enter (the server runs as nobody under
    # root), unlike tmp_path.
    servers = Path(tempfile.mkdtemp(prefix="leftovers-", dir=postgres.base_dir().parent))
    servers.chmod(0o755)
    env = {
        **os.environ,
        "TMPDIR": str(temp),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        postgres.DIR_VARIABLE: str(servers),
    }
    env.pop(URL_VARIABLE, None)  # the run's own server, whose files must go
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly"]
    result = subprocess.run(
        [*command, *WHAT_MAKES_THEM], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]
    assert processes_naming(runtime) == []  # a kernel, by its connection file
    assert list(runtime.iterdir()) == []
    try:
        # Only the per-user folder's empty lock file stays, which runs beside each other
        # share (deleting it would let two of them take it at once).
        left = [p.relative_to(servers).as_posix() for p in servers.rglob("*")]
        root = f"{postgres.PREFIX}-{os.getuid()}"
        assert left in ([], [root, f"{root}/registry.lock"]), left
        assert all(p.stat().st_size == 0 for p in servers.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(servers, ignore_errors=True)
    # pytest's own folder of temporary folders, if a test used one, emptied: those of
    # passed tests go.
    left = [p.relative_to(temp) for p in temp.rglob("*")]
    assert left in ([], [Path(f"pytest-of-{getpass.getuser()}")]), left
