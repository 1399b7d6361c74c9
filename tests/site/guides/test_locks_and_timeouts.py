"""What the locks guide says about where the timeouts go, beyond what the page runs."""

import shutil
from pathlib import Path

import pytest

from alembic_docs import schema
from alembic_docs.alembic_cli import run_in_process

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# A migration that records the session's timeouts before and after an autocommit block.
RECORDS_TIMEOUTS = """
from alembic import op

revision = "aaaaaaaaaaaa"
down_revision = "1975ea83b712"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE seen AS SELECT 'before' AS at, current_setting('lock_timeout') AS lock, "
        "current_setting('statement_timeout') AS statement"
    )
    with op.get_context().autocommit_block():
        op.execute("SELECT 1")
    op.execute(
        "INSERT INTO seen SELECT 'after', current_setting('lock_timeout'), "
        "current_setting('statement_timeout')"
    )


def downgrade() -> None:
    op.drop_table("seen")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_the_timeouts_hold_after_an_autocommit_block(project: Path, database_url: str) -> None:
    """Connection options, unlike SET LOCAL, outlive the transaction an autocommit block ends;
    and the environment overrides them for one run."""
    shutil.copy(EXAMPLES / "locks/env.py", project / "migrations/env.py")
    (project / "migrations/versions/aaaaaaaaaaaa_records_timeouts.py").write_text(RECORDS_TIMEOUTS)
    env = {"DATABASE_URL": database_url, "STATEMENT_TIMEOUT": "42s"}
    status, output = run_in_process(["upgrade", "head"], project, env)
    assert status == 0, output
    rows = schema.rows(database_url, "SELECT at, lock, statement FROM seen ORDER BY at DESC")
    assert rows == [("before", "1s", "42s"), ("after", "1s", "42s")]


def test_a_set_before_configure_is_silently_rolled_back(project: Path, database_url: str) -> None:
    """The warning on the page: the upgrade reports success and leaves nothing behind."""
    env_py = project / "migrations/env.py"
    generated = "    with connectable.connect() as connection:\n"
    text = env_py.read_text()
    assert generated in text
    env_py.write_text(
        text.replace(
            generated,
            generated + "        connection.execute(text(\"SET lock_timeout = '1s'\"))\n",
        ).replace("from sqlalchemy import pool\n", "from sqlalchemy import pool, text\n")
    )
    status, output = run_in_process(["upgrade", "head"], project, {"DATABASE_URL": database_url})
    assert status == 0, output
    assert "Running upgrade  -> 1975ea83b712, create users table" in output
    assert schema.tables(database_url) == set()
