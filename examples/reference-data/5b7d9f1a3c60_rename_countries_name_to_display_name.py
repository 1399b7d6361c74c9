"""rename countries.name to display_name

Revision ID: 5b7d9f1a3c60
Revises: 2e4a6c8e0b13
Create Date: 2027-03-15 14:40:07.118263

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5b7d9f1a3c60'
down_revision: Union[str, Sequence[str], None] = '2e4a6c8e0b13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.alter_column("countries", "name", new_column_name="display_name")


def downgrade() -> None:
    """Downgrade schema."""
    op.alter_column("countries", "display_name", new_column_name="name")
