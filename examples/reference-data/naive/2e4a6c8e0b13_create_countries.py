"""create countries

Revision ID: 2e4a6c8e0b13
Revises: 1975ea83b712
Create Date: 2026-12-07 09:12:31.402518

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from myapp.models import Country

# revision identifiers, used by Alembic.
revision: str = '2e4a6c8e0b13'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "countries",
        sa.Column("code", sa.String(2), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.bulk_insert(
        Country.__table__,
        [
            {"code": "CZ", "name": "Czech Republic"},
            {"code": "DE", "name": "Germany"},
            {"code": "FR", "name": "France"},
        ],
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("countries")
