"""add family_name, kept in sync with last_name

Revision ID: 3c9e5a7b1d20
Revises: 1975ea83b712
Create Date: 2026-11-26 14:58:12.418305

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3c9e5a7b1d20'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# While both columns exist, a write to either one is copied to the other: the old
# code writes last_name, the new code family_name, and each reads what the other wrote.
SYNC_FUNCTION = """
CREATE FUNCTION users_sync_family_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.family_name := coalesce(NEW.family_name, NEW.last_name);
        NEW.last_name := coalesce(NEW.last_name, NEW.family_name);
    ELSIF NEW.family_name IS DISTINCT FROM OLD.family_name THEN
        NEW.last_name := NEW.family_name;
    ELSIF NEW.last_name IS DISTINCT FROM OLD.last_name THEN
        NEW.family_name := NEW.last_name;
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("family_name", sa.String(1000), nullable=True))
    op.execute(SYNC_FUNCTION)
    op.execute(
        "CREATE TRIGGER users_sync_family_name BEFORE INSERT OR UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_sync_family_name()"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER users_sync_family_name ON users")
    op.execute("DROP FUNCTION users_sync_family_name()")
    op.drop_column("users", "family_name")
