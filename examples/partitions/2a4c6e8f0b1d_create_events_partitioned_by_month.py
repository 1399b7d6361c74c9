"""create events, partitioned by month

Revision ID: 2a4c6e8f0b1d
Revises: 1975ea83b712
Create Date: 2026-12-07 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2a4c6e8f0b1d'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid),  # the app makes it
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("name", sa.Text, nullable=False),
        # The key includes the partition key, created_at
        sa.PrimaryKeyConstraint("id", "created_at", name="pk_events"),
        postgresql_partition_by="RANGE (created_at)",
    )
    # Alembic has no operation for a partition: plain SQL. FROM is in, TO is out.
    op.execute(
        "CREATE TABLE events_2026_01 PARTITION OF events"
        " FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00')"
    )
    op.execute(
        "CREATE TABLE events_2026_02 PARTITION OF events"
        " FOR VALUES FROM ('2026-02-01 00:00+00') TO ('2026-03-01 00:00+00')"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("events")  # and its partitions
