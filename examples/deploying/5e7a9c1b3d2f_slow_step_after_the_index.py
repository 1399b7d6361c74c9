"""slow step after the index

Revision ID: 5e7a9c1b3d2f
Revises: 9c8d7e6f5a4b
Create Date: 2026-11-26 15:10:04.118730

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5e7a9c1b3d2f'
down_revision: Union[str, Sequence[str], None] = '9c8d7e6f5a4b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A stand-in for a slow migration. Instead of a clock, it waits for the other deploy
# (10 s at most): until no other process is in the middle of a transaction.
UNTIL_NO_OTHER_DEPLOY_IS_MID_TRANSACTION = """
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        PERFORM pg_stat_clear_snapshot();  -- fresh pg_stat_activity each time
        EXIT WHEN NOT EXISTS (
            SELECT FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND backend_type = 'client backend' AND xact_start IS NOT NULL
        );
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(UNTIL_NO_OTHER_DEPLOY_IS_MID_TRANSACTION)


def downgrade() -> None:
    """Downgrade schema."""
