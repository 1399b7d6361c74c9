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
# # The tutorial in a notebook
#
# The whole tutorial, one cell at a time: create the migration environment, read the
# database URL from `DATABASE_URL`, write the `users` migration, upgrade, look at the
# table from Python, downgrade. The files it writes are the ones the
# tutorial's pages show, from [Your first migration](../../tutorial/first-migration/) on.
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
# The notebook creates a `users` and a `posts` table in that database and drops them at
# the end (Alembic's `alembic_version` table stays, empty). It stops at its first cell if
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
# ## Create the migration environment
#
# The `generic` template writes `alembic.ini` and the `migrations/` scripts directory.
# Each `alembic` command has a function in `alembic.command`; this notebook uses both,
# the function where a path would wrap at the terminal's 80 columns. In a terminal:
# `alembic init --template generic migrations`.
# <!-- evidence: src/docs_runner/shell.py -->

# %%
from alembic import command
from alembic.config import Config

config = Config("alembic.ini")
command.init(config, "migrations", template="generic")

# %%
# !find . -type f | sort

# %% [markdown]
# ## Read the URL from DATABASE_URL
#
# Replace the generated `env.py` with the tutorial's: the cell writes its text to
# `migrations/env.py` (`%%writefile`). Its `database_url()` accepts Heroku's
# `postgres://`, names the driver installed, and `%` is escaped for the `.ini` parser
# ([the production version](../../tutorial/first-migration/#the-production-version) says
# why):

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

# %% [markdown]
# Without `DATABASE_URL`, a command stops with one line instead of a traceback:

# %%
# !env -u DATABASE_URL alembic current

# %% [markdown]
# ## Create the migration
#
# In a terminal: `alembic revision -m "create users table"`. Here `rev_id` fixes the
# revision id so that the file is named as the tutorial's; without it the id is random.

# %%
config = Config("alembic.ini")  # now a real file: read it
script = command.revision(config, message="create users table", rev_id="1975ea83b712")

# %% [markdown]
# Fill in `upgrade()` and `downgrade()`: here, by writing the tutorial's file over the
# generated one.

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
# ## Upgrade

# %%
# !alembic upgrade head

# %% [markdown]
# The table, as PostgreSQL reports it through SQLAlchemy's inspector. A bare
# `postgresql://` URL means psycopg 3 to SQLAlchemy 2.1, so name the driver installed, as
# `env.py` does:

# %%
import os
from importlib.util import find_spec

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
url = make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
engine = create_engine(url)
columns = inspect(engine).get_columns("users")
for column in columns:
    null = "NULL" if column["nullable"] else "NOT NULL"
    print(f"{column['name']:<12}{column['type']!s:<15}{null}")

# %% [markdown]
# The notebook checks what it shows: the columns the [setup guide](../../setup-guide/)
# asks for, `id` the primary key.

# %%
assert [(c["name"], str(c["type"]), c["nullable"]) for c in columns] == [
    ("id", "INTEGER", False),
    ("age", "INTEGER", True),
    ("first_name", "VARCHAR(1000)", True),
    ("last_name", "VARCHAR(1000)", True),
]
assert inspect(engine).get_pk_constraint("users")["constrained_columns"] == ["id"]

# %% [markdown]
# ## Where am I?
#
# The command line and Alembic's Python API, side by side:

# %%
# !alembic current

# %%
command.history(config, verbose=True)

# %% [markdown]
# ## Downgrade
#
# `base` is the state before the first revision. This drops the table, and its rows.

# %%
# !alembic downgrade base

# %%
tables = inspect(engine).get_table_names()
print(tables)
assert "users" not in tables

# %% [markdown]
# ## One revision further
#
# A second revision, as on [Moving between revisions](../../tutorial/moving-between-revisions/):
# a `posts` table whose `user_id` references `users.id`. In a terminal:
# `alembic revision -m "create posts table" --rev-id d8f2a61c4b07`.

# %%
script = command.revision(config, message="create posts table", rev_id="d8f2a61c4b07")

# %% example="tutorial-next/d8f2a61c4b07_create_posts_table.py"
# %%writefile migrations/versions/d8f2a61c4b07_create_posts_table.py
"""create posts table

Revision ID: d8f2a61c4b07
Revises: 1975ea83b712
Create Date: 2026-11-26 15:52:53.487101

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd8f2a61c4b07'
down_revision: Union[str, Sequence[str], None] = '1975ea83b712'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("posts")

# %% [markdown]
# `history -r` narrows the history to a range, `show` prints one revision:

# %%
# !alembic history
# !alembic history -r base:1975
# !alembic show d8f2

# %% [markdown]
# Upgrade to a partial id: the start of an id that no other revision shares.
# `--indicate-current` marks where the database is.

# %%
# !alembic upgrade 1975
# !alembic history --indicate-current


# %%
def table_names() -> list[str]:
    return sorted(inspect(engine).get_table_names())


assert table_names() == ["alembic_version", "users"]

# %% [markdown]
# Relative steps: `1975+1` is one revision after `1975ea83b712`, and `-1` one revision
# back from where the database is.

# %%
# !alembic upgrade 1975+1
print(table_names())
assert table_names() == ["alembic_version", "posts", "users"]

# %%
# !alembic downgrade -1
print(table_names())
assert table_names() == ["alembic_version", "users"]

# %% [markdown]
# A step past the last revision fails, and applies nothing:

# %%
# !alembic upgrade +2
assert table_names() == ["alembic_version", "users"]

# %% [markdown]
# Downgrade to a revision: every revision after it is undone, and it is kept.

# %%
# !alembic upgrade head
# !alembic downgrade 1975ea83b712
print(table_names())
assert table_names() == ["alembic_version", "users"]

# %% [markdown]
# `base` undoes them all, the newest first.

# %%
# !alembic upgrade head
# !alembic downgrade base
print(table_names())
assert table_names() == ["alembic_version"]

# %%
engine.dispose()
