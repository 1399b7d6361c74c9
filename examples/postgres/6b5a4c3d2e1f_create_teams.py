"""create teams

Revision ID: 6b5a4c3d2e1f
Revises: 7a1b2c3d4e5f
Create Date: 2026-11-25 23:16:40.101317

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6b5a4c3d2e1f'
down_revision: Union[str, Sequence[str], None] = '7a1b2c3d4e5f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.add_column("users", sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id")))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "team_id")
    op.drop_table("teams")
