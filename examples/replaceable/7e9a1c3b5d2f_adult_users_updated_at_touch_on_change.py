"""adult_users shows updated_at, touched only on change

Revision ID: 7e9a1c3b5d2f
Revises: 4b6d8f0a2c1e
Create Date: 2026-11-27 10:31:08.664912

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from migrations.replaceable import ReplaceableObject

# revision identifiers, used by Alembic.
revision: str = '7e9a1c3b5d2f'
down_revision: Union[str, Sequence[str], None] = '4b6d8f0a2c1e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

adult_users = ReplaceableObject(
    "adult_users",
    "SELECT id, first_name, age, updated_at FROM users WHERE age >= 18",
)

set_updated_at = ReplaceableObject(
    "set_updated_at()",
    """RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- an UPDATE that changes nothing leaves updated_at as it was
    IF TG_OP = 'INSERT' OR NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$""",
)


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '5s'")
    op.replace_view(adult_users, replaces="4b6d8f0a2c1e.adult_users")
    op.replace_function(set_updated_at, replaces="4b6d8f0a2c1e.set_updated_at")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '5s'")
    op.replace_view(adult_users, replace_with="4b6d8f0a2c1e.adult_users")
    op.replace_function(set_updated_at, replace_with="4b6d8f0a2c1e.set_updated_at")
