"""A notebook's cells run as the reader, as a page's lines do: as root, a cell read the
harness's password file and reached the throwaway server as its superuser."""

import os
import time
from pathlib import Path

import nbformat
import pytest

from docs_runner import kernels, notebooks
from docs_runner.reader import Reader
from docs_runner.shell import reader_env
from throwaway_pg.postgres import temporary_directory
from throwaway_pg.server import Server

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs cells as another user")

CELL = """
import os, psycopg2
print(os.getuid(), os.geteuid())
try:
    psycopg2.connect(ADMIN_URL).close()
    print("superuser")
except psycopg2.Error as error:
    print(str(error).strip().splitlines()[-1])
"""


@as_root
def test_a_cell_runs_as_the_reader_and_is_refused_the_admin_role(
    docs_reader: Reader, postgres_server: Server, database_url: str, run_tmp: Path
) -> None:
    with temporary_directory("kernel-", run_tmp) as tmp:  # pytest's is root's alone (0700)
        os.chmod(tmp, 0o755)
        ran = run_as_the_reader(docs_reader, postgres_server, database_url, Path(tmp))
    uid, refused = ran.splitlines()
    assert uid == "65534 65534"  # who may read the kernel's connection file, theirs alone
    assert refused.endswith(('Peer authentication failed for user "postgres"', "Permission denied"))


def run_as_the_reader(
    docs_reader: Reader, postgres_server: Server, database_url: str, tmp_path: Path, cell: str = ""
) -> str:
    """What the cell (CELL) printed; it runs in the reader's home."""
    folder = tmp_path / "notebook"
    folder.mkdir(mode=0o755)
    cell = cell or CELL.replace("ADMIN_URL", repr(postgres_server.admin_url))
    home = tmp_path / "home"
    home.mkdir()
    cell = f"import os\nos.chdir({str(home)!r})\n{cell}"
    path = folder / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    kernel = kernels.as_reader(docs_reader, str(docs_reader.scripts / "python"), folder)
    env = {**reader_env(database_url), **docs_reader.environment(home, postgres_server.passfile)}
    docs_reader.own(home)
    executed = notebooks.execute(path, env, kernel)
    return "".join(output.get("text", "") for output in executed.cells[0].outputs)


ESCAPES = """
import ctypes, threading, time
ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none
os.setsid()  # out of the process group the kernel's manager signals


def beat():
    while True:
        open("beat", "w").write(str(time.time()))
        time.sleep(0.1)


threading.Thread(target=beat).start()  # not a daemon: the kernel cannot exit
print(os.getpid())
"""


@as_root
def test_a_kernel_that_escapes_its_signals_ends_with_the_notebook(
    docs_reader: Reader, postgres_server: Server, database_url: str, run_tmp: Path
) -> None:
    """The kernel was its namespace's first process: a cell that cleared its parent-death
    signal and left its process group kept it running after the run, as the reader."""
    with temporary_directory("kernel-", run_tmp) as tmp:
        os.chmod(tmp, 0o755)
        pid = run_as_the_reader(docs_reader, postgres_server, database_url, Path(tmp), ESCAPES)
        beat = Path(tmp) / "home/beat"
        last = beat.read_text()
        time.sleep(1)  # ten beats, were it alive: a bound, not a target
        assert beat.read_text() == last
    assert pid.strip() != "1"
