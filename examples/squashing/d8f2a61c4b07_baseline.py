"""baseline

Revision ID: d8f2a61c4b07
Revises:
Create Date: 2026-11-26 23:31:07.415209

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd8f2a61c4b07'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # What 1975ea83b712 and d8f2a61c4b07 built, in one step. The id is the old head's:
    # a database already at that head is at this baseline, and runs nothing.
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("age", sa.Integer, nullable=True),
        sa.Column("first_name", sa.String(1000), nullable=True),
        sa.Column("last_name", sa.String(1000), nullable=True),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("posts")
    op.drop_table("users")
