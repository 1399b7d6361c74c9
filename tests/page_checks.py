"""Database checks that pages run with <!-- check: name -->: effects, not exit codes."""

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from tutorial_harness import schema
from tutorial_harness.page import PageRun, check
from tutorial_harness.schema import Column

# The seed guide's users table, as PostgreSQL reports it.
SEED_USERS = [
    Column("id", "INTEGER", nullable=False, primary_key=True),
    Column("age", "INTEGER", nullable=True, primary_key=False),
    Column("first_name", "VARCHAR(1000)", nullable=True, primary_key=False),
    Column("last_name", "VARCHAR(1000)", nullable=True, primary_key=False),
]


def head_revision(project: Path) -> str:
    config = Config(str(project / "alembic.ini"))
    return ScriptDirectory.from_config(config).get_current_head()


def assert_seed_schema(url: str, project: Path) -> None:
    assert schema.columns(url, "users") == SEED_USERS
    assert schema.alembic_versions(url) == [head_revision(project)]


def assert_no_users_table(url: str) -> None:
    assert "users" not in schema.tables(url)


@check("users-table-created")
def users_table_created(run: PageRun) -> None:
    assert_seed_schema(run.database_url, run.shell.cwd)


@check("users-table-gone")
def users_table_gone(run: PageRun) -> None:
    assert_no_users_table(run.database_url)


def assert_users_columns(run: PageRun, *added: str) -> None:
    """The seed's columns plus `added` (branches apply in either order), at the single head."""
    columns = schema.columns(run.database_url, "users")
    assert columns[: len(SEED_USERS)] == SEED_USERS
    assert sorted(column.name for column in columns[len(SEED_USERS) :]) == sorted(added)
    assert schema.alembic_versions(run.database_url) == [head_revision(run.shell.cwd)]


@check("users-has-email-and-created-at")
def users_has_email_and_created_at(run: PageRun) -> None:
    assert_users_columns(run, "email", "created_at")


@check("users-has-phone")
def users_has_phone(run: PageRun) -> None:
    assert_users_columns(run, "email", "created_at", "phone")


# The two users data-migration.md inserts.
USERS = [(1, 36, "Ada", "Lovelace"), (2, 85, "Grace", "Hopper")]


def users_rows(url: str, columns: str = "id, age, first_name, last_name") -> list[tuple]:
    return schema.rows(url, f"SELECT {columns} FROM users ORDER BY id")


@check("users-rows-unchanged")
def users_rows_unchanged(run: PageRun) -> None:
    assert users_rows(run.database_url) == USERS
    assert "full_name" not in [column.name for column in schema.columns(run.database_url, "users")]


@check("users-full-name-filled")
def users_full_name_filled(run: PageRun) -> None:
    assert users_rows(run.database_url) == USERS
    assert users_rows(run.database_url, "full_name") == [("Ada Lovelace",), ("Grace Hopper",)]
    full_name = schema.columns(run.database_url, "users")[-1]
    assert (full_name.name, full_name.nullable) == ("full_name", False)


@check("subscriptions-with-plan-enum")
def subscriptions_with_plan_enum(run: PageRun) -> None:
    plan = next(c for c in schema.columns(run.database_url, "subscriptions") if c.name == "plan")
    assert (plan.type, plan.nullable) == ("VARCHAR(4)", False)  # how the inspector shows it
    types = schema.rows(run.database_url, "SELECT typname FROM pg_type WHERE typtype = 'e'")
    assert types == [("plan",)]


@check("users-last-name-index")
def users_last_name_index(run: PageRun) -> None:
    query = (
        "SELECT indexrelid::regclass::text, indisvalid FROM pg_index "
        "WHERE indrelid = 'users'::regclass AND NOT indisprimary"
    )
    assert schema.rows(run.database_url, query) == [("ix_users_last_name", True)]
    assert schema.alembic_versions(run.database_url) == ["9c8d7e6f5a4b"]


@check("no-partial-teams-migration")
def no_partial_teams_migration(run: PageRun) -> None:
    assert "teams" not in schema.tables(run.database_url)
    assert "team_id" not in [c.name for c in schema.columns(run.database_url, "users")]
    assert schema.alembic_versions(run.database_url) == ["9c8d7e6f5a4b"]


@check("users-renamed-given-name")
def users_renamed_given_name(run: PageRun) -> None:
    """The rename kept the data; email is new and unique, under the convention's name."""
    names = [column.name for column in schema.columns(run.database_url, "users")]
    assert names == ["id", "age", "given_name", "last_name", "email"]
    query = "SELECT given_name, last_name, email FROM users"
    assert schema.rows(run.database_url, query) == [("Ada", "Lovelace", None)]
    query = "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'"
    assert schema.rows(run.database_url, query) == [("uq_users_email",)]


@check("users-has-email")
def users_has_email(run: PageRun) -> None:
    assert_users_columns(run, "email")


# locks-and-timeouts.md


@check("show-locks-left-no-trace")
def show_locks_left_no_trace(run: PageRun) -> None:
    """show_locks.py rolled back or undid every step: users is as the tutorial made it."""
    url = run.database_url
    assert schema.tables(url) == {"users", "alembic_version"}
    assert_seed_schema(url, run.shell.cwd)
    # contype 'n': PostgreSQL 18 also lists NOT NULL (the id's) as constraints.
    query = (
        "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype <> 'n'"
    )
    assert schema.rows(url, query) == [("users_pkey",)]
    query = "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'users'::regclass"
    assert schema.rows(url, query) == [("users_pkey",)]


@check("users-without-email")
def users_without_email(run: PageRun) -> None:
    """The migration that timed out on its lock changed nothing."""
    assert schema.columns(run.database_url, "users") == SEED_USERS
    assert schema.alembic_versions(run.database_url) == ["1975ea83b712"]


def users_emails(url: str) -> list[tuple]:
    return schema.rows(url, "SELECT first_name, email FROM users ORDER BY id")


@check("email-not-lowercased")
def email_not_lowercased(run: PageRun) -> None:
    """The canceled migration's UPDATE was rolled back with it."""
    assert users_emails(run.database_url) == [("Ada", "Ada@Example.com")]
    assert schema.alembic_versions(run.database_url) == ["2b4d8a9c1e3f"]


@check("email-lowercased")
def email_lowercased(run: PageRun) -> None:
    assert users_emails(run.database_url) == [("Ada", "ada@example.com")]
    assert schema.alembic_versions(run.database_url) == ["3c5d7e9f1a2b"]
