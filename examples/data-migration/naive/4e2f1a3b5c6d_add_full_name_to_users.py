"""add full_name to users

Revision ID: 4e2f1a3b5c6d
Revises: 1975ea83b712
Create Date: 2026-11-25 23:15:28.353845

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4e2f1a3b5c6d'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("full_name", sa.String(2001), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "full_name")
