"""drop last_name

Revision ID: 8f4a2c6e0b13
Revises: 5d1f7b9c3e42
Create Date: 2026-11-26 15:11:50.237846

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8f4a2c6e0b13'
down_revision: Union[str, Sequence[str], None] = '5d1f7b9c3e42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The function of revision 3c9e5a7b1d20, copied: a migration must not change when a
# later one does, so it does not import another.
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
    # The trigger first: once last_name is gone, it would fail every write.
    op.execute("DROP TRIGGER users_sync_family_name ON users")
    op.execute("DROP FUNCTION users_sync_family_name()")
    op.drop_column("users", "last_name")


def downgrade() -> None:
    """Downgrade schema."""
    # Back to both columns, in sync, so that the old code can run again.
    op.add_column("users", sa.Column("last_name", sa.String(1000), nullable=True))
    op.execute("UPDATE users SET last_name = family_name")
    op.execute(SYNC_FUNCTION)
    op.execute(
        "CREATE TRIGGER users_sync_family_name BEFORE INSERT OR UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION users_sync_family_name()"
    )
