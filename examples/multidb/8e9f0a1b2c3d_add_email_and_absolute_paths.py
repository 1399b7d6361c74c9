"""add email and absolute paths

Revision ID: 8e9f0a1b2c3d
Revises: 4f1a2b3c5d6e
Create Date: 2026-11-27 09:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8e9f0a1b2c3d'
down_revision: Union[str, Sequence[str], None] = '4f1a2b3c5d6e'
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
    op.add_column("users", sa.Column("email", sa.Text(), nullable=True))


def downgrade_app() -> None:
    """Downgrade app schema."""
    op.drop_column("users", "email")


def upgrade_reporting() -> None:
    """Upgrade reporting schema."""
    # Rows written before the rule: fix them, or the constraint refuses to exist.
    op.execute("UPDATE page_views SET path = '/' || path WHERE path NOT LIKE '/%'")
    op.create_check_constraint("path_is_absolute", "page_views", "path LIKE '/%'")


def downgrade_reporting() -> None:
    """Downgrade reporting schema."""
    op.drop_constraint("path_is_absolute", "page_views", type_="check")

