"""A new database from the models, then stamped: Alembic takes it as at head and runs no
revision on it. Only for an empty database: one with tables is brought up by `upgrade`."""

import os
from importlib.util import find_spec

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from myapp.models import Base

# The driver installed (psycopg2 as pinned), as env.py names it.
driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
url = make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
with create_engine(url).begin() as connection:
    Base.metadata.create_all(connection)
command.stamp(Config("alembic.ini"), "head")
