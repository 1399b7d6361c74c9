"""The zero-downtime guide's backfill commits batch by batch, as the page says.

The test holds a row of the third batch locked, so the migration stops there, then looks from
another connection: with examples/zero-downtime's autocommit block the first two batches are
already committed; the same loop without the block (one transaction, as the generated env.py
runs a command) shows none. The migrator is then killed where it waits: the committed batches
stay, alembic_version still names the expand, and a second run fills only the rest.
"""

import ast
import re
import shutil
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest

from alembic_docs import schema
from alembic_docs.alembic_cli import run_in_process
from tests.shared_server import SESSIONS_HERE
from tests.site_tree import ROOT, markdown_table, top_level_function
from throwaway_pg.server import libpq_url

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
EXPAND = "3c9e5a7b1d20_add_family_name.py"
BACKFILL = "5d1f7b9c3e42_backfill_family_name.py"
AUTOCOMMIT = "    with op.get_context().autocommit_block():\n"
ROWS = 60_000  # three batches of the example's 20,000
HELD = 50_000  # in the third batch
WAIT = 30  # seconds: every wait is bounded

WAITING_UPDATE = (
    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query LIKE 'UPDATE users SET family_name%%'" + SESSIONS_HERE
)
FILLED = "SELECT count(*) FROM users WHERE family_name IS NOT NULL"


def project(tmp_path: Path, url: str, in_one_transaction: bool) -> Path:
    """The tutorial project at the expand revision, with ROWS users from before it, and the
    backfill."""
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    versions = tmp_path / "migrations/versions"
    shutil.copy(EXAMPLES / "zero-downtime" / EXPAND, versions)
    backfill = (EXAMPLES / "zero-downtime" / BACKFILL).read_text()
    if in_one_transaction:
        assert backfill.count(AUTOCOMMIT) == 1
        backfill = backfill.replace(AUTOCOMMIT, "    if True:  # no autocommit block\n")
    (versions / BACKFILL).write_text(backfill)
    alembic(tmp_path, url, "upgrade", "1975ea83b712")
    with closing(psycopg2.connect(libpq_url(url))) as connection, connection:
        connection.cursor().execute(
            "INSERT INTO users (first_name, last_name)"
            " SELECT 'first' || i, 'last' || i FROM generate_series(1, %s) AS i",
            (ROWS,),
        )
    alembic(tmp_path, url, "upgrade", "3c9e5a7b1d20")  # after the rows: the trigger skips them
    return tmp_path


def alembic(project: Path, url: str, *argv: str) -> str:
    status, output = run_in_process(argv, project, {"DATABASE_URL": url})
    assert status == 0, output
    return output


def scalar(connection, query: str):
    with connection.cursor() as cursor:
        cursor.execute(query)
        row = cursor.fetchone()
        return row and row[0]


def until(condition, what: str):
    deadline = time.monotonic() + WAIT
    while not (value := condition()):
        assert time.monotonic() < deadline, f"gave up waiting {WAIT} s for {what}"
        time.sleep(0.05)
    return value


@pytest.mark.parametrize(
    ("in_one_transaction", "committed"), [(False, 40_000), (True, 0)], ids=["example", "control"]
)
def test_a_backfill_stopped_halfway_keeps_its_finished_batches(
    tmp_path: Path, database_url: str, in_one_transaction: bool, committed: int
) -> None:
    """Nothing an autocommit block ran is rolled back when the migration stops: its
    finished batches stay. In one transaction, none do."""
    path = project(tmp_path, database_url, in_one_transaction)
    holder = psycopg2.connect(libpq_url(database_url))  # a transaction holds one row
    admin = psycopg2.connect(libpq_url(database_url))
    admin.autocommit = True
    try:
        holder.cursor().execute(f"SELECT 1 FROM users WHERE id = {HELD} FOR UPDATE")
        migrator = subprocess.Popen(
            [Path(sys.executable).parent / "alembic", "upgrade", "5d1f7b9c3e42"],
            cwd=path,
            env={"DATABASE_URL": database_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        pid = until(lambda: scalar(admin, WAITING_UPDATE), "the backfill to wait for the row")
        assert scalar(admin, FILLED) == committed  # seen from outside while it still runs
        scalar(admin, f"SELECT pg_terminate_backend({pid})")
        output, _ = migrator.communicate(timeout=WAIT)
        assert migrator.returncode != 0, output
    finally:
        holder.close()
        admin.close()
    assert schema.rows(database_url, FILLED) == [(committed,)]
    assert schema.alembic_versions(database_url) == ["3c9e5a7b1d20"]

    # Run again: the batches already committed find nothing left to do.
    output = alembic(path, database_url, "upgrade", "5d1f7b9c3e42")
    first_two = 0 if committed else 20_000
    assert f"ids 1 to 20000: {first_two} rows" in output
    assert f"ids 20001 to 40000: {first_two} rows" in output
    assert "ids 40001 to 60000: 20000 rows" in output
    assert schema.rows(database_url, FILLED) == [(ROWS,)]
    assert schema.alembic_versions(database_url) == ["5d1f7b9c3e42"]


def rollout() -> list[tuple[str, list[str]]]:
    """test_rollout.py's ROLLOUT, read from its source: (revision, the apps that run there)."""
    source = (EXAMPLES / "zero-downtime/test_rollout.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and node.target.id == "ROLLOUT":
            return [
                (row.elts[0].value, [app.id for app in row.elts[1].elts]) for row in node.value.elts
            ]
    raise AssertionError("test_rollout.py has no ROLLOUT")


def test_the_plan_s_table_is_the_rollout_the_example_tests() -> None:
    """The page's plan, row by row, is test_rollout.py's ROLLOUT, which the page runs: the
    tutorial's revision, then the rename's three revisions, and which code runs at each."""
    page = (ROOT / "docs/guides/zero-downtime.md").read_text()
    shown, plan = markdown_table(page), rollout()
    assert [revision.strip("`") for revision in shown] == [revision for revision, _ in plan]
    assert len(plan) - 1 == 3  # the rename's three revisions, after the tutorial's
    for (_, apps), cells in zip(plan, shown.values(), strict=True):
        runs = [cells[column] == "runs" for column in list(cells)[1:]]
        assert runs == [name in apps for name in ("app_v1", "app_v2")]


# What the plan's words say a revision's upgrade() does, and what in its source does it.
DOES = {
    "adds": r"op\.add_column\(",
    "drops": r"op\.drop_column\(|DROP ",
    "trigger": r"TRIGGER",
    "backfills": r"\bUPDATE \w+ SET\b",
    "batches": r"for .* in range\(.*BATCH_SIZE",
    "table": r"op\.create_table\(",
}


def upgrade_source(revision: str) -> str:
    [path] = [p for p in EXAMPLES.glob(f"*/**/{revision}_*.py") if "naive" not in p.parts]
    return ast.unparse(top_level_function(path, "upgrade"))


@pytest.mark.parametrize("revision", [revision for revision, _ in rollout()])
def test_the_plan_says_what_each_revision_s_upgrade_does(revision: str) -> None:
    """Each verb of its "What it does" cell is done by the revision's upgrade(), on the
    names the cell quotes, and the cell leaves out none of what upgrade() does."""
    page = (ROOT / "docs/guides/zero-downtime.md").read_text()
    cell = markdown_table(page)[f"`{revision}`"]["What it does"]
    source = upgrade_source(revision)
    said = {word for word in DOES if re.search(rf"\b{word}\b", cell)}
    done = {word for word, pattern in DOES.items() if re.search(pattern, source)}
    assert said == done, f"{revision}: the page says {sorted(said)}, upgrade() {sorted(done)}"
    for name in re.findall(r"`(\w+)`", cell):
        assert re.search(rf"\b{name}\b", source), f"{revision}'s upgrade() never names {name}"
