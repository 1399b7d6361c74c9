"""archive January

Revision ID: 5c7e9a1b3d4f
Revises: 2a4c6e8f0b1d
Create Date: 2026-12-07 10:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5c7e9a1b3d4f'
down_revision: Union[str, Sequence[str], None] = '2a4c6e8f0b1d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # DETACH waits for every transaction on events, and reads and writes queue
    # behind it until the commit: give up after 2 s rather than stall the app.
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '5s'")
    op.execute("ALTER TABLE events DETACH PARTITION events_2026_01")
    # Its rows stay, in a schema autogenerate does not compare.
    op.execute("CREATE SCHEMA archive")
    op.execute("ALTER TABLE events_2026_01 SET SCHEMA archive")


def downgrade() -> None:
    """Downgrade schema."""
    # No statement_timeout: ATTACH reads all of January to check its rows.
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("ALTER TABLE archive.events_2026_01 SET SCHEMA public")
    op.execute("DROP SCHEMA archive")
    op.execute(
        "ALTER TABLE events ATTACH PARTITION events_2026_01"
        " FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00')"
    )
