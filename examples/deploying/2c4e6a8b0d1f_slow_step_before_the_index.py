"""slow step before the index

Revision ID: 2c4e6a8b0d1f
Revises: 1975ea83b712
Create Date: 2026-11-26 15:10:02.513208

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2c4e6a8b0d1f'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A stand-in for a slow migration. Instead of a clock, it waits for the other deploy
# (10 s at most): until a second process waits for the migration lock.
UNTIL_A_SECOND_DEPLOY_WAITS = """
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        PERFORM pg_stat_clear_snapshot();  -- fresh pg_stat_activity each time
        EXIT WHEN EXISTS (
            SELECT FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND (wait_event = 'advisory' OR query LIKE 'SELECT pg_try_advisory_lock%')
              AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)
        );
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(UNTIL_A_SECOND_DEPLOY_WAITS)


def downgrade() -> None:
    """Downgrade schema."""
