"""create users and page_views

Revision ID: 4f1a2b3c5d6e
Revises: 
Create Date: 2026-11-27 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4f1a2b3c5d6e'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade(engine_name: str) -> None:
    """Upgrade schema."""
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name: str) -> None:
    """Downgrade schema."""
    globals()["downgrade_%s" % engine_name]()





def upgrade_app() -> None:
    """Upgrade app schema."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(1000), nullable=True),
        sa.Column("last_name", sa.String(1000), nullable=True),
    )


def downgrade_app() -> None:
    """Downgrade app schema."""
    op.drop_table("users")


def upgrade_reporting() -> None:
    """Upgrade reporting schema."""
    op.create_table(
        "page_views",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        # No foreign key: users is in the other database.
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column(
            "viewed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )


def downgrade_reporting() -> None:
    """Downgrade reporting schema."""
    op.drop_table("page_views")

