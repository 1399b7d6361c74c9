"""active users, last_name as text

Revision ID: a1c3e5f7b9d2
Revises: 1975ea83b712
Create Date: 2026-11-26 09:41:12.512884

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'a1c3e5f7b9d2'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False))
    op.alter_column(
        "users", "last_name", type_=sa.Text(), existing_type=sa.String(1000)
    )
    op.create_index("ix_users_last_name", "users", ["last_name"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_users_last_name", table_name="users")
    op.alter_column(
        "users", "last_name", type_=sa.String(1000), existing_type=sa.Text()
    )
    op.drop_column("users", "active")
