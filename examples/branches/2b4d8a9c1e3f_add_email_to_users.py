"""add email to users

Revision ID: 2b4d8a9c1e3f
Revises: 1975ea83b712
Create Date: 2026-11-25 23:12:32.006784

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2b4d8a9c1e3f'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("email", sa.String(320), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "email")
