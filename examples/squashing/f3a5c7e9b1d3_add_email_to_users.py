"""add email to users

Revision ID: f3a5c7e9b1d3
Revises: d8f2a61c4b07
Create Date: 2026-11-26 23:33:52.905118

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f3a5c7e9b1d3'
down_revision: Union[str, Sequence[str], None] = 'd8f2a61c4b07'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("email", sa.Text, nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "email")
