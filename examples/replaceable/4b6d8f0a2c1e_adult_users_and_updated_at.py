"""adult_users view, updated_at kept by a trigger

Revision ID: 4b6d8f0a2c1e
Revises: 1975ea83b712
Create Date: 2026-11-27 10:14:31.207554

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from migrations.replaceable import ReplaceableObject

# revision identifiers, used by Alembic.
revision: str = '4b6d8f0a2c1e'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

adult_users = ReplaceableObject(
    "adult_users",
    "SELECT id, first_name, age FROM users WHERE age >= 18",
)

set_updated_at = ReplaceableObject(
    "set_updated_at()",
    """RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$""",
)


def upgrade() -> None:
    """Upgrade schema."""
    # ADD COLUMN and CREATE TRIGGER wait for every open transaction on users, and
    # queries queue behind them: give up after 2 s rather than stall the app.
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '5s'")
    # Rows already there keep NULL: when they last changed is not known.
    op.add_column("users", sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.create_view(adult_users)
    op.create_function(set_updated_at)
    op.execute(
        "CREATE TRIGGER users_set_updated_at BEFORE INSERT OR UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("SET LOCAL lock_timeout = '2s'")
    op.execute("SET LOCAL statement_timeout = '5s'")
    op.execute("DROP TRIGGER users_set_updated_at ON users")
    op.drop_function(set_updated_at)
    op.drop_view(adult_users)
    op.drop_column("users", "updated_at")
