"""A notebook downloaded from the site runs on its own: in a plain Jupyter kernel, from a
folder outside the repository, in a virtualenv holding only what the notebook's install
line lists (no harness), on the database a URL names. It shows what the site shows, can be
re-run from the top, and leaves the database as it found it (but for an empty
alembic_version table).

The virtualenv is built once for its pins (about 25 s) from the package index pip is
configured with, and kept for later runs (docs_runner.venvs).
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from shutil import which

import nbformat
import psycopg2
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from alembic_docs import schema
from docs_runner import notebooks, provenance, venvs
from docs_runner.reader import Reader
from tests.site.notebooks.conftest import ReaderPlace
from tests.site_tree import PIP_INSTALL, project_pins
from tests.site_tree import notebooks as notebooks_in_the_tree
from throwaway_pg.server import libpq_url

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = notebooks_in_the_tree()
EXAMPLES = ROOT / "examples"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"  # no virtualenv on it: not how Jupyter started
UNSET = "DATABASE_URL is not set: set it first, e.g. %env DATABASE_URL=postgresql://user:password@localhost:5432/scratch"
NOT_EMPTY = (
    "DATABASE_URL's database has tables (users), and this notebook drops the ones it creates: "
    "point DATABASE_URL at an empty database (or drop them, if an earlier run left them)"
)


def install_line(path: Path) -> list[str]:
    """The packages the notebook tells a reader to install."""
    [match] = PIP_INSTALL.finditer(notebooks.markdown(nbformat.read(path, as_version=4)))
    return [argument for argument in match["arguments"].split() if not argument.startswith("-")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_install_line_gives_the_recorded_versions(path: Path) -> None:
    recorded = provenance.recorded(notebooks.markdown(nbformat.read(path, as_version=4)))
    assert recorded, f"{path.name} has no provenance line"
    pins = dict(package.split("==") for package in install_line(path))
    del pins[
        "jupyterlab"
    ]  # not what the outputs were recorded with: tests/site/test_install_lines.py
    assert pins == {
        "alembic": recorded["Alembic"],
        "sqlalchemy": recorded["SQLAlchemy"],
        "psycopg2-binary": recorded["psycopg2"],
    }


@pytest.fixture(scope="session")
def reader_venv(docs_reader: Reader | None) -> Path:
    """A virtualenv made as the notebooks say, with the reader's Python (built once for
    these pins, then kept: docs_runner.venvs). Jupyter Lab's part that runs the cells,
    ipykernel, stands in for jupyterlab: the test drives the kernel itself."""
    packages = {package for path in NOTEBOOKS for package in install_line(path)}
    jupyterlab = {package for package in packages if package.startswith("jupyterlab==")}
    assert jupyterlab
    packages = sorted(packages - jupyterlab) + [f"ipykernel=={project_pins()['ipykernel']}"]
    python = str(docs_reader.scripts / "python") if docs_reader else sys.executable
    venv = venvs.cached(python, packages)
    harness = subprocess.run([venv / "bin/python", "-c", "import docs_runner"], capture_output=True)
    assert harness.returncode != 0, "the reader's virtualenv must not have the harness"
    return venv


def run_downloaded(
    notebook: NotebookNode, venv: Path, place: ReaderPlace, database_url: str | None
) -> NotebookNode:
    """Save the notebook in a Downloads folder and run it there in the reader's kernel, with
    a reader's environment: system PATH (the virtualenv's bin not on it), DATABASE_URL."""
    downloads = Path(tempfile.mkdtemp(prefix="Downloads-", dir=place.folder))
    downloads.chmod(0o755)
    path = downloads / "notebook.ipynb"
    nbformat.write(notebook, path)
    env = {"HOME": str(place.folder), **place.env, "PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}
    if database_url:
        env["DATABASE_URL"] = database_url
    return notebooks.execute(path, env, place.kernel(str(venv / "bin/python")))


def check_cell(notebook: NotebookNode) -> NotebookNode:
    """A cell proving the run used no harness and wrote the examples' files byte for byte."""
    written = {copy.path: copy.file(EXAMPLES).read_bytes() for copy in notebooks.copies(notebook)}
    return nbformat.v4.new_code_cell(
        "import pathlib, sys\n"
        "assert 'docs_runner' not in sys.modules\n"
        f"written = {written!r}\n"
        "assert {path: pathlib.Path(path).read_bytes() for path in written} == written\n"
        "print(pathlib.Path.cwd())\n"  # the project, which goes with the kernel
    )


def test_the_reader_path_has_no_alembic() -> None:
    """So that the notebooks' `!alembic` finds the kernel's own only through its first cell."""
    assert which("alembic", path=SYSTEM_PATH) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_downloaded_notebook_runs_twice_and_shows_what_the_site_shows(
    path: Path, reader_venv: Path, database_url: str, reader_place: ReaderPlace, record_property
) -> None:
    committed = nbformat.read(path, as_version=4)
    runs = nbformat.read(path, as_version=4)
    again = [nbformat.from_dict({**cell, "id": f"again-{n}"}) for n, cell in enumerate(runs.cells)]
    runs.cells = [*runs.cells, check_cell(runs), *again, check_cell(runs)]
    start = time.monotonic()
    executed = run_downloaded(runs, reader_venv, reader_place, database_url)
    record_property("seconds", round(time.monotonic() - start, 1))
    size = len(committed.cells)
    for number, cells in enumerate([executed.cells[:size], executed.cells[size + 1 : -1]], 1):
        run = nbformat.v4.new_notebook(cells=cells)
        labels = ("the site", f"downloaded, run {number}")
        failures = notebooks.differences(path.relative_to(ROOT), committed, run, labels)
        assert not failures, "\n\n".join(failures)
    assert schema.tables(database_url) == {"alembic_version"}
    assert schema.alembic_versions(database_url) == []
    projects = [Path(cell.outputs[0]["text"].strip()) for cell in executed.cells[size :: size + 1]]
    assert len(projects) == 2 and not any(project.exists() for project in projects), projects


def setup_cell() -> NotebookNode:
    """The first code cell: the same in every notebook (tests/site/notebooks/test_notebooks.py)."""
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    return next(cell for cell in notebook.cells if cell.cell_type == "code")


def test_without_database_url_the_first_cell_stops_with_one_line(
    reader_venv: Path, database_url: str, reader_place: ReaderPlace
) -> None:
    notebook = nbformat.v4.new_notebook(cells=[setup_cell()])
    with pytest.raises(CellExecutionError) as error:
        run_downloaded(notebook, reader_venv, reader_place, None)
    assert (error.value.ename, error.value.evalue) == ("RuntimeError", UNSET)
    assert str(error.value).rstrip().endswith(f"RuntimeError: {UNSET}")
    assert "During handling" not in str(error.value)
    # What the line says to do works: %env in a cell above the first one.
    remedy = nbformat.v4.new_code_cell(f"%env DATABASE_URL={database_url}")
    check = nbformat.v4.new_code_cell("import os; assert 'alembic-notebook-' in os.getcwd()")
    notebook.cells = [remedy, setup_cell(), check]
    run_downloaded(notebook, reader_venv, reader_place, None)


def test_a_database_with_tables_is_refused_and_left_alone(
    reader_venv: Path, database_url: str, reader_place: ReaderPlace
) -> None:
    with psycopg2.connect(libpq_url(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE users (name text); INSERT INTO users VALUES ('mine')")
    connection.close()
    notebook = nbformat.v4.new_notebook(cells=[setup_cell()])
    with pytest.raises(CellExecutionError) as error:
        run_downloaded(notebook, reader_venv, reader_place, database_url)
    assert (error.value.ename, error.value.evalue) == ("RuntimeError", NOT_EMPTY)
    assert schema.rows(database_url, "SELECT name FROM users") == [("mine",)]
