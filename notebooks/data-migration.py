# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data migrations in a notebook
#
# Add a required (`NOT NULL`) column to a table that already has rows. The one-step
# migration fails and leaves the rows as they were; add, fill, then require works; the
# downgrade keeps the rows. The migrations are the ones the
# [Data migrations](../../guides/data-migration/) guide shows, on the project of the
# [tutorial](../tutorial/).
#
# **Downloaded**, it runs in Jupyter on your own PostgreSQL:
#
# - in a virtualenv, install Jupyter and the versions these outputs were recorded with,
#   then start it with `jupyter lab`:
#
#   ```console
#   $ python -m pip install jupyterlab==4.6.6 alembic==1.20.1 sqlalchemy==2.1.9 psycopg2-binary==2.9.13
#   ```
#
# - set `DATABASE_URL` to an empty database you can throw away, before starting Jupyter
#   or in a cell of its own above the first one:
#   `%env DATABASE_URL=postgresql://user:password@localhost:5432/scratch`.
#
# The notebook creates a `users` table in that database, fills it, and drops it at the
# end (Alembic's `alembic_version` table stays, empty). It stops at its first cell if
# the database has other tables.
#
# **From a clone of the repository**, `python3 dev.py lab` opens it in Jupyter Lab
# on a throwaway PostgreSQL (or on the server `THROWAWAY_PG_URL` names), with a new,
# empty database for each run.
#
# Re-run it from the top as often as you like: the first cell starts from a new, empty
# project directory.

# %% [markdown]
# Outputs recorded on 2026-11-26 with Alembic 1.20.1, SQLAlchemy 2.1.9, psycopg2 2.9.13, psql 18.6 and PostgreSQL 18.6.

# %%
import os
import sys
import tempfile

try:  # in a clone of the repository (`nox -s lab`, the tests)
    import _scratch as scratch
except ModuleNotFoundError:  # downloaded
    scratch = None

if scratch:  # a new empty project directory, on a new empty database
    scratch.fresh_project()
else:  # a new empty project directory, on the database DATABASE_URL names, as it is
    if not os.environ.get("DATABASE_URL"):
        raise RuntimeError(
            "DATABASE_URL is not set: set it first, e.g. %env DATABASE_URL=postgresql://user:password@localhost:5432/scratch"
        )
    from importlib.util import find_spec

    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
    check = create_engine(
        make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
    )
    tables = sorted(set(inspect(check).get_table_names()) - {"alembic_version"})
    check.dispose()
    if tables:
        raise RuntimeError(
            f"DATABASE_URL's database has tables ({', '.join(tables)}), and this notebook drops the ones it creates: point DATABASE_URL at an empty database (or drop them, if an earlier run left them)"
        )
    # `!alembic` is this kernel's alembic, however Jupyter was started
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    project = tempfile.TemporaryDirectory(prefix="alembic-notebook-")  # removed with the kernel
    os.chdir(project.name)

# %% [markdown]
# ## The tutorial's project
#
# `alembic init`, then the tutorial's `env.py`, which reads `DATABASE_URL`, and its
# migration, which creates the `users` table. Each `%%writefile` cell writes its text to
# the file it names.

# %%
from alembic import command
from alembic.config import Config

command.init(Config("alembic.ini"), "migrations", template="generic")

# %% example="tutorial/migrations/env.py"
# %%writefile migrations/env.py
import os
import sys
from importlib.util import find_spec
from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def database_url() -> str:
    """DATABASE_URL, ready for SQLAlchemy with the driver installed."""
    raw = os.environ.get("DATABASE_URL", "")
    if not raw and context.is_offline_mode():
        # --sql prints the SQL and never connects: naming the dialect is enough.
        return "postgresql+psycopg2://"
    if not raw:
        sys.exit("DATABASE_URL is not set, e.g. "
                 "export DATABASE_URL=postgresql://user:password@localhost:5432/mydb")
    try:
        url = make_url(raw)
    except ArgumentError:
        sys.exit("DATABASE_URL is not a database URL, expected "
                 "postgresql://user:password@host:5432/dbname")
    # Heroku says postgres://, which SQLAlchemy rejects; and SQLAlchemy 2.1
    # maps a bare postgresql:// to psycopg 3. Name the driver installed.
    if url.drivername in ("postgres", "postgresql"):
        driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
        url = url.set(drivername=f"postgresql+{driver}")
    return url.render_as_string(hide_password=False)


# The .ini file is read with interpolation: a "%" (as in a percent-encoded
# password) must be doubled, or configparser fails on it.
config.set_main_option("sqlalchemy.url", database_url().replace("%", "%%"))

# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
target_metadata = None

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )

    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

# %% example="tutorial/migrations/versions/1975ea83b712_create_users_table.py"
# %%writefile migrations/versions/1975ea83b712_create_users_table.py
"""create users table

Revision ID: 1975ea83b712
Revises: 
Create Date: 2026-11-25 22:38:48.606027

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1975ea83b712'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("age", sa.Integer, nullable=True),
        sa.Column("first_name", sa.String(1000), nullable=True),
        sa.Column("last_name", sa.String(1000), nullable=True),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("users")


# %% [markdown]
# ## A table with rows
#
# The tutorial's migration, upgraded, and two users:

# %%
# !alembic upgrade head

# %%
import os
from importlib.util import find_spec

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

# The driver installed (psycopg2 as pinned), as env.py names it.
driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
url = make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
engine = create_engine(url)
with engine.begin() as connection:
    connection.execute(
        text(
            "INSERT INTO users (age, first_name, last_name)"
            " VALUES (36, 'Ada', 'Lovelace'), (85, 'Grace', 'Hopper')"
        )
    )


def users() -> list[tuple]:
    with engine.connect() as connection:
        query = text("SELECT id, age, first_name, last_name FROM users ORDER BY id")
        return [tuple(row) for row in connection.execute(query)]


def columns() -> dict[str, dict]:
    return {column["name"]: column for column in inspect(engine).get_columns("users")}


before = users()
print(before)

# %% [markdown]
# ## The one-step version fails
#
# A `full_name` column, required from the start:

# %% example="data-migration/naive/4e2f1a3b5c6d_add_full_name_to_users.py"
# %%writefile migrations/versions/4e2f1a3b5c6d_add_full_name_to_users.py
"""add full_name to users

Revision ID: 4e2f1a3b5c6d
Revises: 1975ea83b712
Create Date: 2026-11-25 23:15:28.353845

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4e2f1a3b5c6d'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("users", sa.Column("full_name", sa.String(2001), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "full_name")


# %% [markdown]
# PostgreSQL refuses: the rows already there would have no value. This time through
# Alembic's Python API, `alembic.command`, which raises the error instead of printing it:

# %%
from sqlalchemy.exc import IntegrityError

config = Config("alembic.ini")
try:
    command.upgrade(config, "head")
except IntegrityError as error:
    print(str(error.orig).strip())
else:
    raise AssertionError("the one-step migration should have failed")

# %% [markdown]
# The upgrade failed and left nothing behind: no `full_name` column, no new revision, the
# same rows.

# %%
assert "full_name" not in columns()
assert users() == before
# !alembic current

# %% [markdown]
# ## Add, fill, then require

# %% example="data-migration/4e2f1a3b5c6d_add_full_name_to_users.py"
# %%writefile migrations/versions/4e2f1a3b5c6d_add_full_name_to_users.py
"""add full_name to users

Revision ID: 4e2f1a3b5c6d
Revises: 1975ea83b712
Create Date: 2026-11-25 23:15:28.353845

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4e2f1a3b5c6d'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # 1. add the column nullable: existing rows get NULL
    op.add_column("users", sa.Column("full_name", sa.String(2001), nullable=True))
    # 2. backfill it from the data already there
    op.execute("UPDATE users SET full_name = concat_ws(' ', first_name, last_name)")
    # 3. only now forbid NULL
    op.alter_column("users", "full_name", nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("users", "full_name")


# %%
# !alembic upgrade head

# %%
with engine.connect() as connection:
    names = connection.execute(text("SELECT id, full_name FROM users ORDER BY id")).all()
for user_id, full_name in names:
    print(user_id, full_name)

# %% [markdown]
# Every row has its `full_name`, and the column is now `NOT NULL`:

# %%
assert [tuple(row) for row in names] == [(1, "Ada Lovelace"), (2, "Grace Hopper")]
assert columns()["full_name"]["nullable"] is False

# %% [markdown]
# ## The downgrade keeps the rows
#
# `downgrade()` drops only the new column:

# %%
# !alembic downgrade -1

# %%
assert "full_name" not in columns()
assert users() == before

# %% [markdown]
# ## Clean up
#
# Down to `base`: the tutorial's migration drops the `users` table too, and the database
# is as the notebook found it, but for Alembic's `alembic_version` table, left empty.

# %%
# !alembic downgrade base

# %%
assert not inspect(engine).has_table("users")
engine.dispose()
