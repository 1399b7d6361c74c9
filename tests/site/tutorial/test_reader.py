"""A reader who runs the tutorial pages literally, top to bottom, in their own terminal."""

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from alembic_docs import schema
from docs_runner.executors import Terminal
from docs_runner.normalise import project_directory
from docs_runner.reader import this_reader
from docs_runner.shell import ShellState
from docs_runner.tour import Tour, read, terminal
from tests.site_tree import nav_pages
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
# The URL the first page shows; a reader types theirs instead.
EXAMPLE_URL = "postgresql://alice:secret@localhost:5432/tutorial"


def tutorial_pages() -> list[Path]:
    """The tutorial's pages, in the site's navigation order."""
    return [ROOT / "docs" / page for page in nav_pages() if page.startswith("tutorial/")]


@pytest.fixture
def tour(postgres_server: Server, run_tmp: Path, pytestconfig: pytest.Config):
    """A new terminal of the pages' reader (`nobody` when we are root) whose PATH is the
    system's plus psql (the first page has the reader install it from their system's
    packages), an empty project directory, a new database. Its TMPDIR is in the run's,
    removed with the run however it ends."""
    reader = this_reader()
    with (
        project_directory() as project,
        tempfile.TemporaryDirectory(dir=run_tmp) as tmp,
        postgres_server.database() as url,
    ):
        tools = Path(tmp) / "installed-from-system-packages"
        tools.mkdir()
        (tools / "psql").symlink_to(reader.psql / "psql")
        for path in (project, Path(tmp)):
            reader.own(path)
        given = reader.environment(Path(tmp), postgres_server.passfile)
        home = {k: v for k, v in given.items() if k != "PATH"}
        env = {**terminal(tools), **home, "TMPDIR": tmp}
        python = str(reader.scripts / "python")
        state = ShellState(project, env, popen=reader.popen, python=python)
        # the Alembic profile: revision ids, versions
        tour = Tour(state, url, hook=pytestconfig.hook, typed={EXAMPLE_URL: url})
        try:
            yield tour
        finally:
            tour.close()


def test_tutorial_pages_are_the_path_a_reader_takes() -> None:
    assert [page.name for page in tutorial_pages()][:3] == [
        "database-url.md",
        "first-migration.md",
        "upgrade-and-downgrade.md",
    ]


def test_a_reader_runs_the_tutorial_top_to_bottom(tour: Tour) -> None:
    assert shutil.which("alembic", path=tour.shell.env["PATH"]) is None, "alembic before install"

    runs = list(read(tutorial_pages(), ROOT, tour, EXAMPLES))

    assert [run.page for run in runs] == [page.relative_to(ROOT) for page in tutorial_pages()]
    assert shutil.which("alembic", path=tour.shell.env["PATH"]) == str(
        tour.project / ".venv/bin/alembic"
    )
    checks = [check for run in runs for check in run.record.checks]
    assert "users-table-created" in checks
    assert checks.index("users-table-created") < checks.index("users-table-gone")
    assert schema.tables(tour.database_url) == {"alembic_version"}
    assert schema.alembic_versions(tour.database_url) == []


def test_python_blocks_share_one_interpreter_as_in_a_repl(tmp_path: Path) -> None:
    executor = Terminal(ShellState(tmp_path, {"PATH": str(Path(sys.executable).parent)}), "")
    try:
        assert executor.python("x = 41\nprint(x)\n", "page.md") == ("41\n", False)
        said = "import sys\nprint(x + 1, file=sys.stderr)\n"
        assert executor.python(said, "page.md") == ("42\n", False)  # as a terminal shows
        output, raised = executor.python("\n\n1/0\n", "page.md")
        assert raised and output.splitlines()[1:] == [
            '  File "page.md", line 3, in <module>',
            "ZeroDivisionError: division by zero",
        ]
        assert executor.python("print('bye')\nexit()\n", "page.md") == ("bye\n", False)
        output, raised = executor.python("print(x)\n", "page.md")  # a new interpreter
        assert raised and "NameError" in output
    finally:
        executor.close()


def test_a_page_starting_from_a_project_the_pages_before_did_not_build_fails(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "tutorial", project)
    (project / "migrations/env.py").write_text("# the generated env.py, never replaced\n")
    tour = Tour(ShellState(project, {}), "", typed={})
    (project / ".env").write_text("DATABASE_URL=postgresql://bob@localhost/other\n")
    tour.wrote("tutorial/.env.example", project / ".env")  # the page's `.env` block
    assert tour.start_from(EXAMPLES / "tutorial") == (
        "starts from examples/tutorial/, but the reader's project, built by the pages "
        "before it, differs in: .env, migrations/env.py"
    )
