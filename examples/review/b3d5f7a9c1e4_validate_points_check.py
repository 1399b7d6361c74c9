"""validate points check

Revision ID: b3d5f7a9c1e4
Revises: 9d1f3b5c7e0a
Create Date: 2026-11-26 14:21:46.602958

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3d5f7a9c1e4'
down_revision: Union[str, Sequence[str], None] = '9d1f3b5c7e0a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_points_not_negative")


def downgrade() -> None:
    """Downgrade schema."""
    # Nothing to undo: the previous revision's downgrade drops the constraint.
