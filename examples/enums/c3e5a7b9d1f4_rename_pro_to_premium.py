"""rename pro to premium

Revision ID: c3e5a7b9d1f4
Revises: b7c1d9e3f5a2
Create Date: 2026-11-26 23:06:40.518207

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c3e5a7b9d1f4'
down_revision: Union[str, Sequence[str], None] = 'b7c1d9e3f5a2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("ALTER TYPE plan RENAME VALUE 'pro' TO 'premium'")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("ALTER TYPE plan RENAME VALUE 'premium' TO 'pro'")
