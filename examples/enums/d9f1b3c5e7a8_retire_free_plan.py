"""retire free plan

Revision ID: d9f1b3c5e7a8
Revises: c3e5a7b9d1f4
Create Date: 2026-11-26 23:08:03.772950

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd9f1b3c5e7a8'
down_revision: Union[str, Sequence[str], None] = 'c3e5a7b9d1f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # A type without 'free'; the column converts its rows, free ones to 'team'.
    op.execute("ALTER TYPE plan RENAME TO plan_old")
    op.execute("CREATE TYPE plan AS ENUM ('premium', 'team')")
    op.alter_column("subscriptions", "plan", server_default=None)
    op.execute(
        "ALTER TABLE subscriptions ALTER COLUMN plan TYPE plan USING "
        "(CASE plan WHEN 'free' THEN 'team' ELSE plan::text END)::plan"
    )
    op.alter_column("subscriptions", "plan", server_default="team")
    op.execute("DROP TYPE plan_old")


def downgrade() -> None:
    """Downgrade schema."""
    # 'free' comes back, but which team subscriptions were free is lost.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE plan ADD VALUE IF NOT EXISTS 'free' BEFORE 'premium'")
