"""lowercase emails

Revision ID: 3c5d7e9f1a2b
Revises: 2b4d8a9c1e3f
Create Date: 2026-11-26 10:04:12.512088

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3c5d7e9f1a2b'
down_revision: Union[str, Sequence[str], None] = '2b4d8a9c1e3f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("UPDATE users SET email = lower(email)")
    # Stands in for the rest of a backfill that takes a while on a big table.
    op.execute("SELECT pg_sleep(1)")


def downgrade() -> None:
    """Downgrade schema."""
    # The original case is gone: nothing to restore.
