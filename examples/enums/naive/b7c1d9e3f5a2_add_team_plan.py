"""add team plan

Revision ID: b7c1d9e3f5a2
Revises: 7a1b2c3d4e5f
Create Date: 2026-11-26 23:05:12.104331

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b7c1d9e3f5a2'
down_revision: Union[str, Sequence[str], None] = '7a1b2c3d4e5f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("ALTER TYPE plan ADD VALUE 'team'")
    op.alter_column("subscriptions", "plan", server_default="team")


def downgrade() -> None:
    """Downgrade schema."""
    op.alter_column("subscriptions", "plan", server_default=None)
