"""index users last_name

Revision ID: 9c8d7e6f5a4b
Revises: 6b5a4c3d2e1f
Create Date: 2026-11-25 23:16:41.203456

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9c8d7e6f5a4b'
down_revision: Union[str, Sequence[str], None] = '6b5a4c3d2e1f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # CONCURRENTLY cannot run in a transaction: commit what came before, run it alone
    with op.get_context().autocommit_block():
        # A deploy killed during the build leaves the index behind, unrecorded: drop it
        op.drop_index(
            "ix_users_last_name", table_name="users", postgresql_concurrently=True,
            if_exists=True,
        )
        op.create_index(
            "ix_users_last_name", "users", ["last_name"], postgresql_concurrently=True
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_users_last_name", table_name="users", postgresql_concurrently=True
        )
