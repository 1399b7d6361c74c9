"""add family_name

Revision ID: 3c9e5a7b1d20
Revises: 1975ea83b712
Create Date: 2026-11-26 14:58:12.418305

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3c9e5a7b1d20'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("family_name", sa.String(1000), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "family_name")
