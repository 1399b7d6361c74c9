"""constraint names by convention

Revision ID: b82c4d6e0f13
Revises: 6e1f0c9a2b47
Create Date: 2026-12-07 12:10:05.331870

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = 'b82c4d6e0f13'
down_revision: Union[str, Sequence[str], None] = '6e1f0c9a2b47'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The names PostgreSQL gave, and the names the models' convention gives.
RENAMES = [
    ("users", "users_pkey", "pk_users"),
    ("users", "users_email_key", "uq_users_email"),
]


def upgrade() -> None:
    """Give existing constraints the convention's names (their indexes follow). A database
    built from scratch has them already: env.py's convention named them as they were made.
    The test is in SQL, so that `alembic upgrade --sql` writes it too."""
    for table, old, new in RENAMES:
        op.execute(
            f"""
            DO $$ BEGIN
                IF EXISTS (SELECT FROM pg_constraint
                           WHERE conrelid = '{table}'::regclass AND conname = '{old}') THEN
                    ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new};
                END IF;
            END $$
            """
        )


def downgrade() -> None:
    """Give them back the names PostgreSQL made up."""
    for table, old, new in RENAMES:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new} TO {old}")
