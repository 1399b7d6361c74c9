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
# table from Python, downgrade. The files are the ones in `examples/tutorial/`, the same
# the site shows.
#
# Run it from a clone of the repository with `python3 -m nox -s lab`: that starts a
# throwaway PostgreSQL (or uses the server `TUTORIAL_DATABASE_URL` names) and opens Jupyter
# Lab with `DATABASE_URL` set. Re-run it from the top as often as you like: the first cell
# starts from a new, empty project directory and a new, empty database.

# %% [markdown]
# Outputs recorded on 2026-11-25 with Alembic 1.20.1, SQLAlchemy 2.1.9, psycopg2 2.9.13 and PostgreSQL 18.6.

# %%
from tutorial_harness import scratch

project = scratch.fresh_project()  # a new empty directory (the working directory now)
EXAMPLES = scratch.notebook_dir().parent / "examples/tutorial"  # the finished project

# %% [markdown]
# ## Create the migration environment
#
# The `generic` template writes `alembic.ini` and the `migrations/` scripts directory.
# Each `alembic` command has a function in `alembic.command`; this notebook uses both,
# the function where a path would wrap at the terminal's 80 columns. In a terminal:
# `alembic init --template generic migrations`.

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
# Replace the generated `env.py` with the tutorial's. Its `database_url()` accepts
# Heroku's `postgres://`, names the psycopg2 driver, and escapes `%` for the `.ini`
# parser ([why](../../tutorial/first-migration/#the-production-version)):

# %%
import shutil

shutil.copy(EXAMPLES / "migrations/env.py", "migrations/env.py")
# !sed -n '22,42p' migrations/env.py

# %% [markdown]
# Without `DATABASE_URL`, a command stops with one line instead of a traceback:

# %%
# !env -u DATABASE_URL alembic current

# %% [markdown]
# ## Create the migration
#
# In a terminal: `alembic revision -m "create users table"`. Here `rev_id` fixes the
# revision id so that the file is named as the one in `examples/`; without it the id is
# random.

# %%
config = Config("alembic.ini")  # now a real file: read it
script = command.revision(config, message="create users table", rev_id="1975ea83b712")

# %% [markdown]
# Fill in `upgrade()` and `downgrade()`: here, by copying the tutorial's file over the
# generated one.

# %%
migration = "migrations/versions/1975ea83b712_create_users_table.py"
shutil.copy(EXAMPLES / migration, migration)
# !sed -n '21,34p' {migration}

# %% [markdown]
# ## Upgrade

# %%
# !alembic upgrade head

# %% [markdown]
# The table, as PostgreSQL reports it through SQLAlchemy's inspector. A bare
# `postgresql://` URL means psycopg 3 to SQLAlchemy 2.1, so name the psycopg2 driver:

# %%
import os

from sqlalchemy import create_engine, inspect

url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://", 1)
engine = create_engine(url)
columns = inspect(engine).get_columns("users")
for column in columns:
    null = "NULL" if column["nullable"] else "NOT NULL"
    print(f"{column['name']:<12}{column['type']!s:<15}{null}")

# %% [markdown]
# The notebook checks what it shows: the seed's four columns, `id` the primary key.

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
posts = "migrations/versions/d8f2a61c4b07_create_posts_table.py"
shutil.copy(EXAMPLES.parent / "tutorial-next/d8f2a61c4b07_create_posts_table.py", posts)
# !sed -n '21,33p' {posts}

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
