"""index users last_name

Revision ID: b2d4f6a8c0e1
Revises: a1c3e5f7b9d2
Create Date: 2026-11-26 09:43:50.206117

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b2d4f6a8c0e1'
down_revision: Union[str, Sequence[str], None] = 'a1c3e5f7b9d2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # the build blocks neither reads nor writes: no limit on waiting or building
    op.execute("SET lock_timeout = 0")
    op.execute("SET statement_timeout = 0")
    with op.get_context().autocommit_block():
        # a failed build leaves an invalid index behind: drop it, then build anew
        op.drop_index(
            "ix_users_last_name",
            table_name="users",
            postgresql_concurrently=True,
            if_exists=True,
        )
        op.create_index(
            "ix_users_last_name",
            "users",
            ["last_name"],
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_users_last_name", table_name="users", postgresql_concurrently=True
        )
