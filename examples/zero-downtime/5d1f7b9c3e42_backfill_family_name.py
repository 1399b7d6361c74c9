"""backfill family_name

Revision ID: 5d1f7b9c3e42
Revises: 3c9e5a7b1d20
Create Date: 2026-11-26 15:04:37.902114

"""
import logging
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5d1f7b9c3e42'
down_revision: Union[str, Sequence[str], None] = '3c9e5a7b1d20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH_SIZE = 20_000
# A child of the "alembic" logger, so that alembic.ini's logging prints it.
log = logging.getLogger("alembic.backfill")


def upgrade() -> None:
    """Upgrade schema."""
    # Outside a transaction each UPDATE commits on its own: a batch holds its row locks
    # only while it runs. Rows written after max(id) was read get their family_name from
    # the trigger.
    with op.get_context().autocommit_block():
        connection = op.get_bind()
        last_id = connection.scalar(sa.text("SELECT max(id) FROM users")) or 0
        for start in range(0, last_id, BATCH_SIZE):
            stop = start + BATCH_SIZE
            result = connection.execute(
                sa.text(
                    "UPDATE users SET family_name = last_name "
                    "WHERE id > :start AND id <= :stop "
                    "AND family_name IS NULL AND last_name IS NOT NULL"
                ),
                {"start": start, "stop": stop},
            )
            log.info("ids %d to %d: %d rows", start + 1, stop, result.rowcount)


def downgrade() -> None:
    """Downgrade schema."""
    # Nothing to undo: the previous revision's downgrade drops the column.
    pass
