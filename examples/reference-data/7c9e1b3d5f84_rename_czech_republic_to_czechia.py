"""rename Czech Republic to Czechia

Revision ID: 7c9e1b3d5f84
Revises: 5b7d9f1a3c60
Create Date: 2027-05-03 11:05:52.640931

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7c9e1b3d5f84'
down_revision: Union[str, Sequence[str], None] = '5b7d9f1a3c60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The table as this revision finds it, with only the columns it uses.
countries = sa.table(
    "countries",
    sa.column("code", sa.String),
    sa.column("display_name", sa.Text),
)
update_cz = countries.update().where(countries.c.code == "CZ")


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(update_cz.values(display_name="Czechia"))


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(update_cz.values(display_name="Czech Republic"))
