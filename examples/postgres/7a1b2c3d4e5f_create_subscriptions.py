"""create subscriptions

Revision ID: 7a1b2c3d4e5f
Revises: 1975ea83b712
Create Date: 2026-11-25 23:16:38.499418

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7a1b2c3d4e5f'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("plan", sa.Enum("free", "pro", name="plan"), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("subscriptions")
    # drop_table leaves the type create_table made: drop it too
    op.execute("DROP TYPE plan")
