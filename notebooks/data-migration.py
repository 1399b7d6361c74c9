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
# downgrade keeps the rows. The migrations are the files in `examples/data-migration/`,
# the ones the [guide](../../guides/data-migration/) shows.
#
# Run it from a clone of the repository with `python3 -m nox -s lab`. Re-run it from the
# top as often as you like: the first cell starts from a new project directory and a new,
# empty database.

# %% [markdown]
# Outputs recorded on 2026-11-26 with Alembic 1.20.1, SQLAlchemy 2.1.9, psycopg2 2.9.13 and PostgreSQL 18.6.

# %%
import shutil

from tutorial_harness import scratch

project = scratch.fresh_project()  # a new empty directory (the working directory now)
EXAMPLES = scratch.notebook_dir().parent / "examples"
shutil.copy(EXAMPLES / "tutorial/alembic.ini", project)
shutil.copytree(EXAMPLES / "tutorial/migrations", project / "migrations")
# !ls

# %% [markdown]
# ## A table with rows
#
# The [tutorial's](../tutorial/) project, upgraded, and two users:

# %%
# !alembic upgrade head

# %%
import os

from sqlalchemy import create_engine, inspect, text

url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://", 1)
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

# %%
migration = "migrations/versions/4e2f1a3b5c6d_add_full_name_to_users.py"
shutil.copy(EXAMPLES / "data-migration/naive/4e2f1a3b5c6d_add_full_name_to_users.py", migration)
# !sed -n '21,23p' {migration}

# %% [markdown]
# PostgreSQL refuses: the rows already there would have no value. This time through
# Alembic's Python API, `alembic.command`, which raises the error instead of printing it:

# %%
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import IntegrityError

config = Config("alembic.ini")
try:
    command.upgrade(config, "head")
except IntegrityError as error:
    print(str(error.orig).strip())
else:
    raise AssertionError("the one-step migration should have failed")

# %% [markdown]
# The transaction is rolled back: no `full_name` column, no new revision, the same rows.

# %%
assert "full_name" not in columns()
assert users() == before
# !alembic current

# %% [markdown]
# ## Add, fill, then require

# %%
shutil.copy(EXAMPLES / "data-migration/4e2f1a3b5c6d_add_full_name_to_users.py", migration)
# !sed -n '21,28p' {migration}

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
engine.dispose()
