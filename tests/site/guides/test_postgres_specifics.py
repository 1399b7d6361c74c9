"""postgres-specifics.md's table of one transaction per command against one per migration:
its rows of facts are what a run of each `env.py` finds, over a chain that takes a lock,
waits at a gate the test holds, then fails."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from alembic_docs import schema
from tests.shared_server import LOCKS_HERE
from tests.site_tree import markdown_table
from throwaway_pg.server import libpq_url

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs/guides/postgres-specifics.md"
EXAMPLES = ROOT / "examples"
ENV_PY = {  # the table's columns
    "One transaction (the default)": EXAMPLES / "tutorial/migrations/env.py",
    "One per migration": EXAMPLES / "postgres/env.py",
}
GATE = 41_000_101
CHAIN = {  # after the tutorial's users table: a lock, the gate, a failure
    "c1": ("1975ea83b712", 'op.execute("ALTER TABLE users ADD COLUMN nickname text")'),
    "c2": ("c1", f'op.execute("SELECT pg_advisory_xact_lock_shared({GATE})")'),
    "c3": ("c2", 'op.execute("ALTER TABLE no_such_table ADD COLUMN x int")'),
}
REVISION = (
    'from alembic import op\n\nrevision, down_revision = "{}", "{}"\n\n\ndef upgrade():\n    {}\n'
)
# What each observation means, in the table's words.
AFTER_A_FAILURE = {  # the database was at the tutorial's revision before the command
    ("1975ea83b712",): "the database as it was before the command",
    ("c2",): "every revision before the failed one applied",
}
LOCKS = {
    True: "each lock a revision takes is held until the last revision ends",
    False: "released at each revision's commit",
}


def observe(tmp_path: Path, env_py: Path, url: str) -> dict[str, str]:
    """The chain under `env_py`: is c1's lock on users still held at c2, and what the
    database records after c3 failed."""
    shutil.copytree(EXAMPLES / "tutorial", tmp_path)
    shutil.copy(env_py, tmp_path / "migrations/env.py")
    for name, (down, body) in CHAIN.items():
        (tmp_path / f"migrations/versions/{name}.py").write_text(REVISION.format(name, down, body))
    alembic = Path(sys.executable).parent / "alembic"
    before = [alembic, "upgrade", "1975ea83b712"]  # users, committed: the lock's table
    subprocess.run(before, cwd=tmp_path, env={"DATABASE_URL": url}, check=True, capture_output=True)
    admin = psycopg2.connect(libpq_url(url))
    admin.autocommit = True
    cursor = admin.cursor()
    cursor.execute("SELECT pg_advisory_lock(%s)", (GATE,))
    process = subprocess.Popen(
        [alembic, "upgrade", "head"],
        cwd=tmp_path,
        env={"DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not scalar(
            cursor,
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND objid = %s" + LOCKS_HERE,
            GATE,
        ):
            assert time.monotonic() < deadline and process.poll() is None, "c2 never waited"
            time.sleep(0.05)
        held = scalar(
            cursor,
            "SELECT count(*) FROM pg_locks WHERE relation = 'users'::regclass AND granted"
            " AND mode = 'AccessExclusiveLock' AND pid <> pg_backend_pid()" + LOCKS_HERE,
        )
    except BaseException:
        process.kill()
        raise
    finally:
        admin.close()  # the gate opens
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 1 and "no_such_table" in output, output
    versions = tuple(schema.alembic_versions(url))
    return {"After a failure": AFTER_A_FAILURE[versions], "Locks": LOCKS[bool(held)]}


def scalar(cursor, query: str, *values: int) -> int:
    cursor.execute(query, values)
    return cursor.fetchone()[0]


@pytest.mark.parametrize("column", ENV_PY)
def test_the_table_says_what_each_env_py_does(
    tmp_path: Path, database_url: str, column: str
) -> None:
    found = observe(tmp_path / "project", ENV_PY[column], database_url)
    shown = markdown_table(PAGE.read_text())
    assert {row: shown[row][column] for row in found} == found
