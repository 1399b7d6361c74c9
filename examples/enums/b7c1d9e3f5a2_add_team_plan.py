"""add team plan

Revision ID: b7c1d9e3f5a2
Revises: 7a1b2c3d4e5f
Create Date: 2026-11-26 23:05:12.104331

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b7c1d9e3f5a2'
down_revision: Union[str, Sequence[str], None] = '7a1b2c3d4e5f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A new value can be used only once it is committed: add it in a transaction of its own.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE plan ADD VALUE IF NOT EXISTS 'team'")
    op.alter_column("subscriptions", "plan", server_default="team")


def downgrade() -> None:
    """Downgrade schema."""
    # PostgreSQL cannot drop a value from a type: make the type again without it.
    op.alter_column("subscriptions", "plan", server_default=None)
    op.execute("UPDATE subscriptions SET plan = 'pro' WHERE plan = 'team'")
    op.execute("ALTER TYPE plan RENAME TO plan_old")
    op.execute("CREATE TYPE plan AS ENUM ('free', 'pro')")
    op.execute("ALTER TABLE subscriptions ALTER COLUMN plan TYPE plan USING plan::text::plan")
    op.execute("DROP TYPE plan_old")
