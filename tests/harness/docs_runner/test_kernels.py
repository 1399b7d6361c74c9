"""A notebook's cells run as the reader, as a page's lines do: as root, a cell read the
harness's password file and reached the throwaway server as its superuser."""

import os
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
    docs_reader: Reader, postgres_server: Server, database_url: str, tmp_path: Path
) -> str:
    """What CELL printed."""
    folder = tmp_path / "notebook"
    folder.mkdir(mode=0o755)
    cell = CELL.replace("ADMIN_URL", repr(postgres_server.admin_url))
    path = folder / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    kernel = kernels.as_reader(docs_reader, str(docs_reader.scripts / "python"), folder)
    home = tmp_path / "home"
    home.mkdir()
    env = {**reader_env(database_url), **docs_reader.environment(home, postgres_server.passfile)}
    docs_reader.own(home)
    executed = notebooks.execute(path, env, kernel)
    return executed.cells[0].outputs[0]["text"]
