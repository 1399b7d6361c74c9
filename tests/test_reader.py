"""A reader who runs the tutorial pages literally, top to bottom, in their own terminal."""

import shutil
import sys
from pathlib import Path

import pytest

from alembic_docs import schema
from docs_runner.page import PageRun
from docs_runner.reader import Reader, read, terminal
from docs_runner.shell import ShellState
from tests.site_tree import nav_pages
from throwaway_pg.postgres import pg_install
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parent.parent
# The URL the first page shows; a reader types theirs instead.
EXAMPLE_URL = "postgresql://alice:secret@localhost:5432/tutorial"


def tutorial_pages() -> list[Path]:
    """The tutorial's pages, in the site's navigation order."""
    return [ROOT / "docs" / page for page in nav_pages() if page.startswith("tutorial/")]


@pytest.fixture
def readers_run(
    postgres_server: Server, tmp_path: Path, run_tmp: Path, pytestconfig: pytest.Config
):
    """A new terminal whose PATH is the system's plus psql (the first page has the reader
    install it from their system's packages), an empty project directory, a new database.
    Its TMPDIR is the run's, removed with the run however it ends."""
    tools = tmp_path / "installed-from-system-packages"
    tools.mkdir()
    (tools / "psql").symlink_to(pg_install() / "bin" / "psql")
    project = tmp_path / "project"
    project.mkdir()
    with postgres_server.database() as url:
        run = PageRun(
            root=ROOT,
            page=Path(),
            text="",
            project=project,
            database_url=url,
            examples=ROOT / "examples",
            shell=ShellState(project, {**terminal(tools), "TMPDIR": str(run_tmp)}),
            reader=Reader({EXAMPLE_URL: url}),
            hook=pytestconfig.hook,  # the Alembic profile: revision ids, versions
        )
        try:
            yield run
        finally:
            run.files.close()


def test_tutorial_pages_are_the_path_a_reader_takes() -> None:
    assert [page.name for page in tutorial_pages()][:3] == [
        "database-url.md",
        "first-migration.md",
        "upgrade-and-downgrade.md",
    ]


def test_a_reader_runs_the_tutorial_top_to_bottom(readers_run: PageRun) -> None:
    run = readers_run
    assert shutil.which("alembic", path=run.shell.env["PATH"]) is None, "alembic before install"

    ran = list(read(tutorial_pages(), ROOT, run))

    pages = {page for page, _ in ran}
    assert pages == {page.relative_to(ROOT) for page in tutorial_pages()}
    assert shutil.which("alembic", path=run.shell.env["PATH"]) == str(
        run.project / ".venv/bin/alembic"
    )
    checks = run.record.checks
    assert "users-table-created" in checks
    assert checks.index("users-table-created") < checks.index("users-table-gone")
    assert schema.tables(run.database_url) == {"alembic_version"}
    assert schema.alembic_versions(run.database_url) == []


def test_python_blocks_share_one_interpreter_as_in_a_repl(tmp_path: Path) -> None:
    reader = Reader({})
    state = ShellState(tmp_path, {"PATH": str(Path(sys.executable).parent)})
    try:
        assert reader.python("x = 41\nprint(x)\n", "page.md", state) == "41\n"
        said = "import sys\nprint(x + 1, file=sys.stderr)\n"
        assert reader.python(said, "page.md", state) == "42\n"  # stderr, as a terminal shows
        assert reader.python("\n\n1/0\n", "page.md", state).splitlines()[1:] == [
            '  File "page.md", line 3, in <module>',
            "ZeroDivisionError: division by zero",
        ]
        assert reader.python("print('bye')\nexit()\n", "page.md", state) == "bye\n"
        assert "NameError" in reader.python("print(x)\n", "page.md", state)  # a new one
    finally:
        reader.close_python()


def test_a_page_starting_from_a_project_the_pages_before_did_not_build_fails(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples/tutorial", project)
    (project / "migrations/env.py").write_text("# the generated env.py, never replaced\n")
    run = PageRun(
        root=ROOT,
        page=Path("docs/tutorial/upgrade-and-downgrade.md"),
        text="",
        project=project,
        database_url="",
        examples=ROOT / "examples",
        shell=ShellState(project, {}),
        reader=Reader({}),
    )
    (project / ".env").write_text("DATABASE_URL=postgresql://bob@localhost/other\n")
    run.reader.written["tutorial/.env.example"] = project / ".env"  # the page's `.env` block
    problem = run.reader.check_project(run, "tutorial")
    run.files.close()
    assert problem == (
        "docs/tutorial/upgrade-and-downgrade.md: starts from examples/tutorial/, but the "
        "reader's project, built by the pages before it, differs in: .env, migrations/env.py"
    )
