"""Normalising one output: which rule changed which line, as the manifest counts them."""

import datetime
from types import SimpleNamespace

import sqlalchemy

from alembic_docs import driver_names, version_details
from alembic_docs.driver_names import DriverNames
from alembic_docs.revision_ids import RevisionIds
from alembic_docs.version_details import VersionDetails
from docs_runner.normalise import Context, normalise


def test_a_duration_is_normalised_even_when_it_equals_the_shown_one() -> None:
    """pytest's "in 0.36s" sometimes repeats the recorded figure: the line's class must not
    change with it, or the page's manifest entry fails one run in a few."""
    context = Context("/tmp/project", [RevisionIds()], datetime.datetime.now())
    for actual in ("1 passed in 0.36s", "1 passed in 0.41s"):
        [line] = normalise(actual, "1 passed in 0.36s", context)
        assert (line.text, line.rules) == ("1 passed in 0.36s", {"duration"})


def test_a_command_types_the_real_prefix_of_a_shown_id() -> None:
    ids = RevisionIds(shown={"3f1c4a79893d": "1975ea83b712", "3f1caaaaaaaa": "19aaaaaaaaaa"})
    assert ids.to_typed("alembic upgrade 1975+1") == "alembic upgrade 3f1c+1"
    assert ids.to_typed("alembic history -r base:1975ea") == ("alembic history -r base:3f1c4a")
    assert ids.to_typed("alembic upgrade 19") == "alembic upgrade 19"  # too short
    assert ids.to_typed("alembic show 19aa") == "alembic show 3f1c"
    assert ids.to_typed("alembic show d8f2") == "alembic show d8f2"  # not generated


SQLALCHEMY_2_0_ERROR = """\
    (Background on this error at: https://sqlalche.me/e/20/f405)
/venv/lib/python3.11/site-packages/sqlalchemy/engine/default.py:964: ProgrammingError"""
AS_SHOWN = """\
    (Background on this error at: https://sqlalche.me/e/21/f405)
/venv/lib/python3.X/site-packages/sqlalchemy/engine/default.py:1192: ProgrammingError"""


def test_another_sqlalchemy_reads_as_the_page_in_its_links_and_source_lines() -> None:
    """SQLAlchemy 2.0's link and line in its own source, where the page shows 2.1's."""
    context = Context("/tmp/project", [VersionDetails("20", "21")], datetime.datetime.now())
    lines = normalise(SQLALCHEMY_2_0_ERROR, AS_SHOWN, context)
    assert "\n".join(line.text for line in lines) == AS_SHOWN
    assert all("sqlalchemy-version" in line.rules for line in lines)
    unrelated = normalise("https://sqlalche.me/e/14/f405 default.py:964", AS_SHOWN, context)
    assert unrelated[0].text == "https://sqlalche.me/e/14/f405 default.py:964"


def page_recorded_with(sqlalchemy_version: str) -> SimpleNamespace:
    line = (
        f"Outputs recorded on 2026-01-01 with SQLAlchemy {sqlalchemy_version} and PostgreSQL 18.6."
    )
    return SimpleNamespace(text=f"# Page\n\n{line}\n")


def test_with_the_pages_sqlalchemy_nothing_is_mapped() -> None:
    """Else a link or line number changed on a page would pass on the pinned versions."""
    assert (
        version_details.pytest_docs_produced_values(page_recorded_with(sqlalchemy.__version__))
        is None
    )
    other = version_details.pytest_docs_produced_values(page_recorded_with("2.0.58"))
    assert other == VersionDetails(version_details.docs_code(sqlalchemy.__version__), "20")


PSYCOPG_3_ERROR = """\
Traceback (most recent call last):
  File "/venv/lib/python3.X/site-packages/psycopg/cursor.py", line 117, in execute
psycopg.errors.DuplicateTable: relation "users" already exists

The above exception was the direct cause of the following exception:

sqlalchemy.exc.ProgrammingError: (psycopg.errors.DuplicateTable) relation "users" already exists
[SQL:
CREATE TABLE users (

)

]"""
AS_PSYCOPG2_SHOWS_IT = """\
Traceback (most recent call last):
  File "/venv/lib/python3.X/site-packages/psycopg/cursor.py", line 117, in execute
psycopg2.errors.DuplicateTable: relation "users" already exists


The above exception was the direct cause of the following exception:

sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation "users" already exists

[SQL:
CREATE TABLE users (

)

]"""


def test_psycopg_3_reads_as_psycopg2_where_the_block_shows_psycopg2() -> None:
    """The errors' module, and the blank line psycopg2 ends a message with; paths and the
    blank lines inside an error's SQL stay as they are."""
    context = Context("/tmp/project", [DriverNames()], datetime.datetime.now())
    lines = normalise(PSYCOPG_3_ERROR, AS_PSYCOPG2_SHOWS_IT, context)
    assert [line.text for line in lines] == AS_PSYCOPG2_SHOWS_IT.splitlines()
    psycopg_3_block = PSYCOPG_3_ERROR  # a content tab for psycopg 3: compared as it is
    lines = normalise(PSYCOPG_3_ERROR, psycopg_3_block, context)
    assert [line.text for line in lines] == PSYCOPG_3_ERROR.splitlines()


def test_driver_names_map_only_from_psycopg_3_to_a_psycopg2_page() -> None:
    page = SimpleNamespace(text="Outputs recorded on 2026-01-01 with psycopg2 2.9.13.\n")
    mapped = driver_names.pytest_docs_produced_values(page)
    assert (mapped is not None) == (driver_names.driver.NAME == "psycopg")
    page = SimpleNamespace(text="Outputs recorded on 2026-01-01 with psycopg 3.3.9.\n")
    assert driver_names.pytest_docs_produced_values(page) is None


def test_ids_are_learned_from_a_pipeline_too() -> None:
    """`alembic revision ... | grep -v ...` runs in bash (argv is empty): its output still
    says which id it generated. A fixed `--rev-id` is never taken for a generated one."""
    wrote = "Generating /p/migrations/versions/2f8e4c6a9b1d_add_team_plan.py ...  done"
    ids = RevisionIds()
    ids.command_ran([], wrote)
    assert ids.generated == {"2f8e4c6a9b1d"}
    fixed = RevisionIds()
    fixed.command_ran(["alembic", "revision", "--rev-id", "2f8e4c6a9b1d", "-m", "x"], wrote)
    assert fixed.generated == set()
