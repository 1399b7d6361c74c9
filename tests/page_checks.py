"""Database checks that pages run with <!-- check: name -->: effects, not exit codes."""

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic_docs import schema
from alembic_docs.schema import Column
from docs_runner import PageRun, check, provenance

# The seed guide's users table, as PostgreSQL reports it.
SEED_USERS = [
    Column("id", "INTEGER", nullable=False, primary_key=True),
    Column("age", "INTEGER", nullable=True, primary_key=False),
    Column("first_name", "VARCHAR(1000)", nullable=True, primary_key=False),
    Column("last_name", "VARCHAR(1000)", nullable=True, primary_key=False),
]


def head_revision(project: Path) -> str:
    """The head as `alembic` finds it: from alembic.ini, and from pyproject.toml's
    [tool.alembic] where the project has one (guides/pyproject.md)."""
    toml = project / "pyproject.toml"
    config = Config(str(project / "alembic.ini"), toml_file=toml if toml.exists() else None)
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
    """The failed data migration rolled back: the rows as they were, and no full_name."""
    assert users_rows(run.database_url) == USERS
    assert "full_name" not in [column.name for column in schema.columns(run.database_url, "users")]


@check("users-full-name-filled")
def users_full_name_filled(run: PageRun) -> None:
    assert users_rows(run.database_url) == USERS
    assert users_rows(run.database_url, "full_name") == [("Ada Lovelace",), ("Grace Hopper",)]
    full_name = schema.columns(run.database_url, "users")[-1]
    assert (full_name.name, full_name.nullable) == ("full_name", False)


def enum_types(url: str) -> list[tuple]:
    return schema.rows(url, "SELECT typname FROM pg_type WHERE typtype = 'e'")


@check("subscriptions-with-plan-enum")
def subscriptions_with_plan_enum(run: PageRun) -> None:
    plan = next(c for c in schema.columns(run.database_url, "subscriptions") if c.name == "plan")
    assert (plan.type, plan.nullable) == ("VARCHAR(4)", False)  # how the inspector shows it
    assert enum_types(run.database_url) == [("plan",)]


@check("users-last-name-index")
def users_last_name_index(run: PageRun) -> None:
    query = (
        "SELECT indexrelid::regclass::text, indisvalid FROM pg_index "
        "WHERE indrelid = 'users'::regclass AND NOT indisprimary"
    )
    assert schema.rows(run.database_url, query) == [("ix_users_last_name", True)]
    assert schema.alembic_versions(run.database_url) == [head_revision(run.shell.cwd)]


@check("nothing-after-failed-upgrade")
def nothing_after_failed_upgrade(run: PageRun) -> None:
    """Three revisions in one transaction: the third failed, and the first two rolled back
    with it."""
    assert schema.tables(run.database_url) == {"alembic_version"}  # downgrade base kept it
    assert schema.alembic_versions(run.database_url) == []
    assert enum_types(run.database_url) == []


@check("two-of-three-committed")
def two_of_three_committed(run: PageRun) -> None:
    assert schema.tables(run.database_url) == {"alembic_version", "users", "subscriptions"}
    assert "team_id" not in [c.name for c in schema.columns(run.database_url, "users")]
    assert schema.alembic_versions(run.database_url) == ["7a1b2c3d4e5f"]


@check("users-team-id-references-teams")
def users_team_id_references_teams(run: PageRun) -> None:
    query = (
        "SELECT confrelid::regclass::text FROM pg_constraint"
        " WHERE conrelid = 'users'::regclass AND contype = 'f'"
    )
    assert schema.rows(run.database_url, query) == [("teams",)]
    assert schema.alembic_versions(run.database_url) == ["6b5a4c3d2e1f"]


@check("users-renamed-given-name")
def users_renamed_given_name(run: PageRun) -> None:
    """The rename kept the data; email is new and unique, under the convention's name."""
    names = [column.name for column in schema.columns(run.database_url, "users")]
    assert names == ["id", "age", "given_name", "last_name", "email"]
    query = "SELECT given_name, last_name, email FROM users"
    assert schema.rows(run.database_url, query) == [("Ada", "Lovelace", None)]
    query = "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'"
    assert schema.rows(run.database_url, query) == [("uq_users_email",)]


# zero-downtime.md: 100,000 generated users, then one written by the old code at the expand
# and one by the new code after the backfill.
GENERATED_USERS = 100_000
SYNC_TRIGGER = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass"
SYNC_FUNCTION = "SELECT proname FROM pg_proc WHERE proname = 'users_sync_family_name'"


def generated_users_intact(url: str, surname: str) -> None:
    """Every generated user still has its name, in column `surname`."""
    query = (
        f"SELECT count(*) FROM users WHERE id <= {GENERATED_USERS} "
        f"AND first_name = 'first' || id AND {surname} = 'last' || id"
    )
    assert schema.rows(url, query) == [(GENERATED_USERS,)]


# The users the old and the new code add on the page, after the generated ones.
WRITTEN_BY_THE_APPS = [(GENERATED_USERS + 1, "Lovelace"), (GENERATED_USERS + 2, "Hopper")]


def written_by_the_apps(url: str, surname: str) -> list[tuple]:
    query = f"SELECT id, {surname} FROM users WHERE id > {GENERATED_USERS} ORDER BY id"
    return schema.rows(url, query)


@check("users-family-name-synced")
def users_family_name_synced(run: PageRun) -> None:
    url = run.database_url
    family_name = Column("family_name", "VARCHAR(1000)", nullable=True, primary_key=False)
    assert schema.columns(url, "users") == [*SEED_USERS, family_name]
    assert schema.rows(url, SYNC_TRIGGER) == [("users_sync_family_name",)]
    generated_users_intact(url, "last_name")
    # Not backfilled yet: only the row written through the trigger has a family_name.
    query = "SELECT id, last_name, family_name FROM users WHERE family_name IS NOT NULL"
    assert schema.rows(url, query) == [(GENERATED_USERS + 1, "Lovelace", "Lovelace")]
    assert schema.alembic_versions(url) == ["3c9e5a7b1d20"]


@check("users-family-name-backfilled")
def users_family_name_backfilled(run: PageRun) -> None:
    url = run.database_url
    generated_users_intact(url, "last_name")
    generated_users_intact(url, "family_name")
    assert schema.rows(url, "SELECT count(*) FROM users") == [(GENERATED_USERS + 1,)]
    query = "SELECT count(*) FROM users WHERE family_name IS DISTINCT FROM last_name"
    assert schema.rows(url, query) == [(0,)]
    assert schema.rows(url, SYNC_TRIGGER) == [("users_sync_family_name",)]
    assert schema.alembic_versions(url) == ["5d1f7b9c3e42"]


@check("users-last-name-dropped")
def users_last_name_dropped(run: PageRun) -> None:
    url = run.database_url
    names = [column.name for column in schema.columns(url, "users")]
    assert names == ["id", "age", "first_name", "family_name"]
    assert schema.rows(url, SYNC_TRIGGER) == []
    assert schema.rows(url, SYNC_FUNCTION) == []
    generated_users_intact(url, "family_name")
    assert written_by_the_apps(url, "family_name") == WRITTEN_BY_THE_APPS
    assert schema.alembic_versions(url) == ["8f4a2c6e0b13"]


@check("users-last-name-restored")
def users_last_name_restored(run: PageRun) -> None:
    """The contract's downgrade: last_name back at the end, filled, and synced again."""
    url = run.database_url
    names = [column.name for column in schema.columns(url, "users")]
    assert names == ["id", "age", "first_name", "family_name", "last_name"]
    assert schema.rows(url, SYNC_TRIGGER) == [("users_sync_family_name",)]
    generated_users_intact(url, "last_name")
    generated_users_intact(url, "family_name")
    assert written_by_the_apps(url, "last_name") == WRITTEN_BY_THE_APPS
    assert schema.alembic_versions(url) == ["5d1f7b9c3e42"]


@check("users-has-email")
def users_has_email(run: PageRun) -> None:
    assert_users_columns(run, "email")


@check("linting-fixes-applied")
def linting_fixes_applied(run: PageRun) -> None:
    """The linting guide's fixed migrations: the new column filled the existing row, the
    index is valid, and neither the table nor the index was ever rewritten."""
    url = run.database_url
    assert schema.columns(url, "users") == [
        *SEED_USERS[:3],
        Column("last_name", "TEXT", nullable=True, primary_key=False),
        Column("active", "BOOLEAN", nullable=False, primary_key=False),
    ]
    query = (
        "SELECT column_default FROM information_schema.columns "
        "WHERE table_name = 'users' AND column_name = 'active'"
    )
    assert schema.rows(url, query) == [("true",)]
    query = "SELECT first_name, last_name, active FROM users"
    assert schema.rows(url, query) == [("Ada", "Lovelace", True)]
    query = (
        "SELECT indexrelid::regclass::text, indisvalid FROM pg_index "
        "WHERE indrelid = 'users'::regclass AND NOT indisprimary"
    )
    assert schema.rows(url, query) == [("ix_users_last_name", True)]
    query = (
        "SELECT relname FROM pg_class WHERE relname IN ('users', 'ix_users_last_name') "
        "AND relfilenode = oid ORDER BY relname"
    )
    assert schema.rows(url, query) == [("ix_users_last_name",), ("users",)]
    assert schema.alembic_versions(url) == ["b2d4f6a8c0e1"]


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


@check("reader-installs-the-recorded-versions")
def reader_installs_the_recorded_versions(run: PageRun) -> None:
    """The install line gives the reader the libraries the provenance line names (what the
    page was recorded with, which the pinned run checks are this run's): the page's pins
    cannot drift from what is verified, and a run on other versions still installs them."""
    script = (
        "import alembic, sqlalchemy, psycopg2, json; "
        "print(json.dumps([m.__version__ for m in (alembic, sqlalchemy, psycopg2)]))"
    )
    python = run.shell.cwd / ".venv/bin/python"
    output = subprocess.run([python, "-c", script], capture_output=True, text=True, check=True)
    installed = json.loads(output.stdout)
    used = provenance.recorded(run.text) or {}
    assert [installed[0], installed[1], installed[2].split()[0]] == [
        used["Alembic"],
        used["SQLAlchemy"],
        used["psycopg2"],
    ]


# moving-between-revisions.md: the tutorial's users table, then the second revision's posts.
POSTS = [
    Column("id", "INTEGER", nullable=False, primary_key=True),
    Column("user_id", "INTEGER", nullable=False, primary_key=False),
    Column("title", "TEXT", nullable=False, primary_key=False),
]


@check("users-without-posts")
def users_without_posts(run: PageRun) -> None:
    url = run.database_url
    assert schema.tables(url) == {"alembic_version", "users"}
    assert schema.columns(url, "users") == SEED_USERS
    assert schema.alembic_versions(url) == [run.to_real("1975ea83b712")]  # a reader's own id


@check("posts-table-created")
def posts_table_created(run: PageRun) -> None:
    url = run.database_url
    assert schema.tables(url) == {"alembic_version", "users", "posts"}
    assert schema.columns(url, "users") == SEED_USERS
    assert schema.columns(url, "posts") == POSTS
    query = (
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'posts'::regclass AND contype = 'f'"
    )
    assert schema.rows(url, query) == [("FOREIGN KEY (user_id) REFERENCES users(id)",)]
    assert schema.alembic_versions(url) == ["d8f2a61c4b07"]


@check("no-revision-applied")
def no_revision_applied(run: PageRun) -> None:
    assert schema.tables(run.database_url) == {"alembic_version"}
    assert schema.alembic_versions(run.database_url) == []


# The enum lifecycle (enums.md): the plan type's values in order, and the subscriptions.
def plan_values(url: str) -> list[str]:
    query = (
        "SELECT enumlabel FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid "
        "WHERE typname = 'plan' ORDER BY enumsortorder"
    )
    return [label for (label,) in schema.rows(url, query)]


def plans(url: str) -> list[tuple]:
    return schema.rows(url, "SELECT user_id, plan::text FROM subscriptions ORDER BY user_id")


def plan_default(url: str) -> list[tuple]:
    query = "SELECT column_default FROM information_schema.columns WHERE column_name = 'plan'"
    return schema.rows(url, query)


@check("plan-free-and-pro")
def plan_free_and_pro(run: PageRun) -> None:
    """The upgrade that added a value and used it rolled back: the type has two values."""
    assert plan_values(run.database_url) == ["free", "pro"]
    assert plans(run.database_url) == [(1, "free"), (2, "pro")]
    assert schema.alembic_versions(run.database_url) == ["7a1b2c3d4e5f"]


@check("plan-premium-and-team")
def plan_premium_and_team(run: PageRun) -> None:
    assert plan_values(run.database_url) == ["premium", "team"]
    assert plans(run.database_url) == [(1, "team"), (2, "premium")]
    assert plan_default(run.database_url) == [("'team'::plan",)]
    assert enum_types(run.database_url) == [("plan",)]  # plan_old is gone


@check("plan-downgraded-to-free-and-pro")
def plan_downgraded(run: PageRun) -> None:
    assert plan_values(run.database_url) == ["free", "pro"]
    assert plans(run.database_url) == [(1, "pro"), (2, "pro")]
    assert plan_default(run.database_url) == [(None,)]
    assert enum_types(run.database_url) == [("plan",)]
    assert schema.alembic_versions(run.database_url) == ["7a1b2c3d4e5f"]


@check("plan-team-kept")
def plan_team_kept(run: PageRun) -> None:
    """The generated downgrade refused: the type, the row and the version are as upgraded."""
    assert plan_values(run.database_url) == ["free", "pro", "team"]
    assert plans(run.database_url) == [(1, "team"), (2, "pro")]
    assert schema.alembic_versions(run.database_url) == [head_revision(run.shell.cwd)]
    assert head_revision(run.shell.cwd) != "7a1b2c3d4e5f"


# A schema per tenant (schemas.md): each tenant's tables and version in its own schema.
TENANTS = ("acme", "globex")


def tables_by_schema(url: str) -> dict[str, list[str]]:
    query = (
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )
    found: dict[str, list[str]] = {}
    for schema_name, table in schema.rows(url, query):
        found.setdefault(schema_name, []).append(table)
    return found


def tenant_version(url: str, tenant: str) -> list[str]:
    return [v for (v,) in schema.rows(url, f"SELECT version_num FROM {tenant}.alembic_version")]


@check("tenants-acme-and-globex-at-head")
def tenants_at_head(run: PageRun) -> None:
    url, head = run.database_url, head_revision(run.shell.cwd)
    assert tables_by_schema(url) == {tenant: ["alembic_version", "users"] for tenant in TENANTS}
    for tenant in TENANTS:
        assert tenant_version(url, tenant) == [head]


@check("tenant-globex-at-base")
def tenant_globex_at_base(run: PageRun) -> None:
    url = run.database_url
    assert tables_by_schema(url) == {
        "acme": ["alembic_version", "users"],
        "globex": ["alembic_version"],
    }
    assert tenant_version(url, "acme") == [head_revision(run.shell.cwd)]
    assert tenant_version(url, "globex") == []


@check("tenant-initech-from-the-script")
def tenant_initech_from_the_script(run: PageRun) -> None:
    url, head = run.database_url, head_revision(run.shell.cwd)
    tables = {tenant: ["alembic_version", "users"] for tenant in (*TENANTS, "initech")}
    assert tables_by_schema(url) == tables
    assert tenant_version(url, "initech") == [head]


# From scratch, and squashing (squashing.md).
@check("squash-built-from-the-models")
def squash_built_from_the_models(run: PageRun) -> None:
    assert schema.tables(run.database_url) == {"alembic_version", "posts", "users"}
    assert schema.alembic_versions(run.database_url) == ["d8f2a61c4b07"]
    assert schema.columns(run.database_url, "users") == SEED_USERS


@check("squash-deployed-database-upgraded")
def squash_deployed_database_upgraded(run: PageRun) -> None:
    """The deployed database ran only the revision after the baseline, and kept its row."""
    assert schema.alembic_versions(run.database_url) == ["f3a5c7e9b1d3"]
    assert users_rows(run.database_url, "id, first_name, email") == [(1, "Ada", None)]


@check("squash-new-database-upgraded")
def squash_new_database_upgraded(run: PageRun) -> None:
    """From nothing, the baseline and the next revision: the same tables, and no rows."""
    assert schema.tables(run.database_url) == {"alembic_version", "posts", "users"}
    assert schema.alembic_versions(run.database_url) == ["f3a5c7e9b1d3"]
    names = [column.name for column in schema.columns(run.database_url, "users")]
    assert names == [column.name for column in SEED_USERS] + ["email"]
    assert users_rows(run.database_url) == []


# Autogenerate, kept to your tables (autogenerate-hygiene.md).
@check("other-tool-table-kept")
def other_tool_table_kept(run: PageRun) -> None:
    assert schema.tables(run.database_url) == {"alembic_version", "apscheduler_jobs", "users"}
    assert schema.alembic_versions(run.database_url) == ["1975ea83b712"]


@check("no-empty-revision-written")
def no_empty_revision_written(run: PageRun) -> None:
    versions = sorted(path.name for path in (run.shell.cwd / "migrations/versions").glob("*.py"))
    assert versions == ["1975ea83b712_create_users_table.py"]
    assert head_revision(run.shell.cwd) == "1975ea83b712"


# Two databases, one history (multidb.md): each database holds its own tables and version.
def reporting_url(run: PageRun) -> str:
    return run.shell.env["REPORTING_DATABASE_URL"]


def assert_multidb(run: PageRun, version: str | None, app: set[str], reporting: set[str]) -> None:
    """Both databases' tables, and the same version in each (none: nothing applied)."""
    for url, expected in ((run.database_url, app), (reporting_url(run), reporting)):
        assert schema.tables(url) == {"alembic_version", *expected}
        assert schema.alembic_versions(url) == ([version] if version else [])


def path_check(url: str) -> list[tuple]:
    query = "SELECT convalidated FROM pg_constraint WHERE conname = 'path_is_absolute'"
    return schema.rows(url, query)


# multidb.md: the reporting database's table, as its first migration makes it.
PAGE_VIEWS = [
    Column("id", "BIGINT", nullable=False, primary_key=True),
    Column("user_id", "INTEGER", nullable=True, primary_key=False),
    Column("path", "TEXT", nullable=False, primary_key=False),
    Column("viewed_at", "TIMESTAMP", nullable=False, primary_key=False),
]


@check("multidb-tables-apart")
def multidb_tables_apart(run: PageRun) -> None:
    assert_multidb(run, "4f1a2b3c5d6e", {"users"}, {"page_views"})
    assert schema.columns(run.database_url, "users") == SEED_USERS
    assert schema.columns(reporting_url(run), "page_views") == PAGE_VIEWS


@check("multidb-nothing-committed")
def multidb_nothing_committed(run: PageRun) -> None:
    """The reporting database refused the constraint: the app database's column went too."""
    assert_multidb(run, "4f1a2b3c5d6e", {"users"}, {"page_views"})
    assert schema.columns(run.database_url, "users") == SEED_USERS
    assert path_check(reporting_url(run)) == []


@check("multidb-both-upgraded")
def multidb_both_upgraded(run: PageRun) -> None:
    assert_multidb(run, "8e9f0a1b2c3d", {"users"}, {"page_views"})
    assert [c.name for c in schema.columns(run.database_url, "users")][-1] == "email"
    assert path_check(reporting_url(run)) == [(True,)]
    paths = schema.rows(reporting_url(run), "SELECT path FROM page_views ORDER BY id")
    assert paths == [("/",), ("/pricing",)]


@check("multidb-both-empty")
def multidb_both_empty(run: PageRun) -> None:
    assert_multidb(run, None, set(), set())


# Tables in another schema (autogenerate-hygiene.md).
@check("audit-events-created")
def audit_events_created(run: PageRun) -> None:
    assert tables_by_schema(run.database_url) == {
        "audit": ["events"],
        "public": ["alembic_version", "apscheduler_jobs", "users"],
    }
    identity = "SELECT is_identity FROM information_schema.columns WHERE column_name = 'id'"
    assert schema.rows(run.database_url, identity + " AND table_schema = 'audit'") == [("YES",)]
    assert schema.alembic_versions(run.database_url) == ["3d5f7b9a1c2e"]


@check("only-our-schemas-compared")
def only_our_schemas_compared(run: PageRun) -> None:
    """alembic check passed, and cron's table is still there (a check writes nothing)."""
    found = tables_by_schema(run.database_url)
    assert found["cron"] == ["job"] and found["audit"] == ["events"]
    assert schema.alembic_versions(run.database_url) == ["3d5f7b9a1c2e"]


# Views, functions and triggers (replaceable-objects.md): the adult_users view, and the
# function set_updated_at() that the trigger users_set_updated_at runs, as each revision
# defines them.
VIEWS = "SELECT viewname FROM pg_views WHERE schemaname = 'public'"
UPDATED_AT_TRIGGER = (
    "CREATE TRIGGER users_set_updated_at BEFORE INSERT OR UPDATE ON public.users "
    "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
)


def view_columns(url: str, view: str) -> list[str]:
    query = (
        "SELECT attname FROM pg_attribute "
        f"WHERE attrelid = '{view}'::regclass AND attnum > 0 ORDER BY attnum"
    )
    return [name for (name,) in schema.rows(url, query)]


def set_updated_at_sources(url: str) -> list[str]:
    """Every function named set_updated_at: a replacement with other argument types
    would be a second one."""
    query = "SELECT prosrc FROM pg_proc WHERE proname = 'set_updated_at'"
    return [source for (source,) in schema.rows(url, query)]


def assert_updated_at_trigger(url: str) -> None:
    """The trigger is there, enabled, and calls the one set_updated_at()."""
    query = (
        "SELECT pg_get_triggerdef(t.oid), t.tgenabled, p.proname FROM pg_trigger t "
        "JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'users'::regclass "
        "AND NOT t.tgisinternal"
    )
    assert schema.rows(url, query) == [(UPDATED_AT_TRIGGER, "O", "set_updated_at")]


def readable_by_everyone(url: str) -> bool:
    query = "SELECT has_table_privilege('public', 'adult_users', 'SELECT')"
    return schema.rows(url, query) == [(True,)]


def assert_first_definitions(url: str) -> None:
    """Revision 4b6d8f0a2c1e's view and function."""
    assert view_columns(url, "adult_users") == ["id", "first_name", "age"]
    (source,) = set_updated_at_sources(url)
    assert "NEW.updated_at := now()" in source and "IS DISTINCT FROM" not in source
    assert_updated_at_trigger(url)
    assert schema.alembic_versions(url) == ["4b6d8f0a2c1e"]


@check("adult-users-created")
def adult_users_created(run: PageRun) -> None:
    """The first revision's view and function, also after the second's upgrade that
    `CREATE OR REPLACE VIEW` refused rolled back."""
    url = run.database_url
    assert_first_definitions(url)
    assert "updated_at" in [column.name for column in schema.columns(url, "users")]
    assert schema.rows(url, "SELECT id, first_name, age FROM adult_users") == [(1, "Ada", 36)]
    query = "SELECT first_name, updated_at IS NOT NULL FROM users ORDER BY id"
    assert schema.rows(url, query) == [("Ada", True), ("Alan", True)]


@check("adult-users-replaced")
def adult_users_replaced(run: PageRun) -> None:
    """Revision 7e9a1c3b5d2f's view and function, in place: the view built on adult_users
    and the grant on it are still there, and so is the trigger (also after a downgrade that
    dropping the view it reads stopped, and which rolled back)."""
    url = run.database_url
    assert view_columns(url, "adult_users") == ["id", "first_name", "age", "updated_at"]
    (source,) = set_updated_at_sources(url)
    assert "IF TG_OP = 'INSERT' OR NEW IS DISTINCT FROM OLD THEN" in source
    assert_updated_at_trigger(url)
    assert view_columns(url, "adult_first_names") == ["first_name"]
    assert readable_by_everyone(url)
    assert schema.alembic_versions(url) == ["7e9a1c3b5d2f"]


@check("adult-users-restored")
def adult_users_restored(run: PageRun) -> None:
    """The downgrade made the view again from the first revision's definition, three
    columns (id, first_name, age): without the grant, which went with the view it dropped."""
    url = run.database_url
    assert_first_definitions(url)
    assert "adult_first_names" not in [name for (name,) in schema.rows(url, VIEWS)]
    assert not readable_by_everyone(url)
    assert schema.rows(url, "SELECT id, first_name, age FROM adult_users") == [(1, "Ada", 37)]


@check("adult-users-gone")
def adult_users_gone(run: PageRun) -> None:
    url = run.database_url
    assert schema.rows(url, VIEWS) == []
    assert set_updated_at_sources(url) == []
    assert schema.tables(url) == {"alembic_version"}
    assert schema.alembic_versions(url) == []


# What autogenerate misses (autogenerate-review.md): the users.points column through its
# revisions, as the catalog describes it, and its two users.
def points_column(url: str) -> list[tuple]:
    query = (
        "SELECT data_type, character_maximum_length, column_default, "
        "col_description('users'::regclass, ordinal_position::int) "
        "FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'points'"
    )
    return schema.rows(url, query)


def points(url: str) -> list[tuple]:
    return schema.rows(url, "SELECT id, points FROM users ORDER BY id")


def check_constraints(url: str) -> list[tuple]:
    query = (
        "SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'users'::regclass AND contype = 'c'"
    )
    return schema.rows(url, query)


def generated_as_shown(run: PageRun, name: str) -> None:
    """The revision autogenerate wrote on the page is the example file the chains use
    (tests/chains.py), but for its Create Date."""

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Create Date:")]

    written = (run.shell.cwd / "migrations/versions" / name).read_text()
    assert body(written) == body((run.examples / "review" / name).read_text())


@check("review-points-still-text")
def review_points_still_text(run: PageRun) -> None:
    """The failed upgrade rolled back: the column, its values and the version as they were."""
    assert points_column(run.database_url) == [("character varying", 20, None, None)]
    assert points(run.database_url) == [(1, "120"), (2, "75")]
    assert schema.alembic_versions(run.database_url) == ["3f1b5d7a9c2e"]


@check("review-points-bigint")
def review_points_bigint(run: PageRun) -> None:
    assert points_column(run.database_url) == [("bigint", None, None, None)]
    assert points(run.database_url) == [(1, 120), (2, 75)]
    assert schema.alembic_versions(run.database_url) == ["6a8c0e2b4d7f"]


@check("review-points-default-zero")
def review_points_default_zero(run: PageRun) -> None:
    assert points_column(run.database_url) == [("bigint", None, "'0'::bigint", None)]
    assert schema.alembic_versions(run.database_url) == ["8b0d2f4a6c9e"]
    generated_as_shown(run, "8b0d2f4a6c9e_default_points_to_0.py")


@check("review-check-not-valid")
def review_check_not_valid(run: PageRun) -> None:
    """The constraint exists, unvalidated, and refused the negative update."""
    assert check_constraints(run.database_url) == [
        ("ck_users_points_not_negative", False, "CHECK ((points >= 0)) NOT VALID")
    ]
    assert points(run.database_url) == [(1, 120), (2, 75)]
    assert schema.alembic_versions(run.database_url) == ["9d1f3b5c7e0a"]


@check("review-check-validated")
def review_check_validated(run: PageRun) -> None:
    assert check_constraints(run.database_url) == [
        ("ck_users_points_not_negative", True, "CHECK ((points >= 0))")
    ]
    assert schema.alembic_versions(run.database_url) == ["b3d5f7a9c1e4"]


@check("review-points-commented")
def review_points_commented(run: PageRun) -> None:
    """Every step is in the database, and the hook's formatted file is the example's."""
    assert points_column(run.database_url) == [
        ("bigint", None, "'0'::bigint", "Loyalty points, never negative")
    ]
    assert points(run.database_url) == [(1, 120), (2, 75)]
    assert [(name, valid) for name, valid, _ in check_constraints(run.database_url)] == [
        ("ck_users_points_not_negative", True)
    ]
    assert schema.alembic_versions(run.database_url) == ["c5e7a9b1d3f6"]
    generated_as_shown(run, "c5e7a9b1d3f6_comment_on_points.py")


# Constraint names, by convention (naming-conventions.md): constraints and their indexes.
@check("constraint-names-by-convention")
def constraint_names_by_convention(run: PageRun) -> None:
    url = run.database_url
    constraints = (
        "SELECT conname, contype FROM pg_constraint"
        " WHERE conrelid = 'users'::regclass AND contype IN ('p', 'u')"  # PG 18 lists NOT NULL too
    )
    assert sorted(schema.rows(url, constraints)) == [("pk_users", "p"), ("uq_users_email", "u")]
    indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'users'"
    assert sorted(schema.rows(url, indexes)) == [("pk_users",), ("uq_users_email",)]
    assert schema.alembic_versions(url) == ["b82c4d6e0f13"]


# Extensions and what they own (extensions.md).
def extension_tables(url: str) -> list[tuple]:
    """Tables each extension owns, as (extension, table)."""
    return schema.rows(
        url,
        "SELECT e.extname, c.relname FROM pg_depend d"
        " JOIN pg_extension e ON e.oid = d.refobjid JOIN pg_class c ON c.oid = d.objid"
        " WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' ORDER BY 1, 2",
    )


@check("users-email-citext")
def users_email_citext(run: PageRun) -> None:
    url = run.database_url
    assert schema.columns(url, "users")[-1] == Column("email", "CITEXT", True, False)
    assert schema.rows(url, "SELECT email FROM users") == [("Ada@Example.com",)]
    assert extension_tables(url) == []
    assert schema.alembic_versions(url) == ["2f8a6c4e0d19"]


@check("extension-table-kept")
def extension_table_kept(run: PageRun) -> None:
    url = run.database_url
    assert extension_tables(url) == [("citext", "spatial_ref_sys")]
    assert schema.tables(url) == {"alembic_version", "spatial_ref_sys", "users"}
    assert schema.alembic_versions(url) == ["2f8a6c4e0d19"]


@check("email-gone-extension-kept")
def email_gone_extension_kept(run: PageRun) -> None:
    url = run.database_url
    assert schema.columns(url, "users") == SEED_USERS
    assert extension_tables(url) == [("citext", "spatial_ref_sys")]
    assert schema.alembic_versions(url) == ["1975ea83b712"]


# Reference data in migrations (reference-data.md): the countries table and its rows, in the
# page's database and in the new one it makes (NEW_DATABASE_URL).
COUNTRIES = [("CZ", "Czech Republic"), ("DE", "Germany"), ("FR", "France")]


def new_database_url(run: PageRun) -> str:
    return run.shell.env["NEW_DATABASE_URL"]


def countries(url: str, name: str) -> list[tuple]:
    return schema.rows(url, f"SELECT code, {name} FROM countries ORDER BY code")


def countries_columns(name: str) -> list[Column]:
    return [
        Column("code", "VARCHAR(2)", nullable=False, primary_key=True),
        Column(name, "TEXT", nullable=False, primary_key=False),
    ]


@check("countries-filled")
def countries_filled(run: PageRun) -> None:
    assert schema.columns(run.database_url, "countries") == countries_columns("name")
    assert countries(run.database_url, "name") == COUNTRIES
    assert schema.alembic_versions(run.database_url) == ["2e4a6c8e0b13"]


def assert_renamed_countries(url: str) -> None:
    """The first migration's rows, their name now in display_name."""
    assert schema.columns(url, "countries") == countries_columns("display_name")
    assert countries(url, "display_name") == COUNTRIES
    assert schema.alembic_versions(url) == ["5b7d9f1a3c60"]


@check("countries-name-renamed")
def countries_name_renamed(run: PageRun) -> None:
    assert_renamed_countries(run.database_url)


@check("new-database-empty")
def new_database_empty(run: PageRun) -> None:
    """The failed upgrade rolled back whole: not even alembic_version is left; the page's
    own database is as it was."""
    assert schema.tables(new_database_url(run)) == set()
    assert_renamed_countries(run.database_url)


@check("new-database-filled")
def new_database_filled(run: PageRun) -> None:
    assert schema.tables(new_database_url(run)) == {"alembic_version", "countries", "users"}
    assert_renamed_countries(new_database_url(run))


@check("countries-dropped")
def countries_dropped(run: PageRun) -> None:
    assert schema.tables(new_database_url(run)) == {"alembic_version", "users"}
    assert schema.alembic_versions(new_database_url(run)) == ["1975ea83b712"]


@check("czechia-renamed")
def czechia_renamed(run: PageRun) -> None:
    """Only the Czech row changed, in the page's database."""
    expected = [("CZ", "Czechia"), ("DE", "Germany"), ("FR", "France")]
    assert countries(run.database_url, "display_name") == expected
    assert schema.alembic_versions(run.database_url) == ["7c9e1b3d5f84"]


# Migrations from application code (app-code.md).
@check("app-code-users-migrated-and-empty")
def app_code_users_migrated_and_empty(run: PageRun) -> None:
    """The test fixture's upgrade made the users table, at head; the test's row was rolled
    back with its transaction."""
    assert_seed_schema(run.database_url, run.shell.cwd)
    assert users_rows(run.database_url) == []


@check("app-code-migrated-lock-released")
def app_code_migrated_lock_released(run: PageRun) -> None:
    """After the two starts under the deploying guide's env.py: users at head, and no
    advisory lock left in the database, so the next start can take it."""
    assert_seed_schema(run.database_url, run.shell.cwd)
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    assert schema.rows(run.database_url, query) == [(0,)]


# Partitioned tables (partitions.md): events, partitioned by month on created_at, and the
# rows the page writes (name, and when, UTC).
SIGNUP = ("signup", datetime(2026, 1, 15, 9, tzinfo=UTC))
LOGIN = ("login", datetime(2026, 2, 3, 17, 30, tzinfo=UTC))
MARCH_LOGIN = ("login", datetime(2026, 3, 2, 8, tzinfo=UTC))


def months(*numbers: int) -> list[tuple]:
    """events' monthly partitions of 2026, from the first of each month, UTC, to the next."""
    return [
        (
            f"events_2026_{n:02}",
            datetime(2026, n, 1, tzinfo=UTC),
            datetime(2026, n + 1, 1, tzinfo=UTC),
        )
        for n in numbers
    ]


def events_partitions(url: str) -> list[tuple]:
    """The partitions of events, each a plain table, with its bounds as times (the catalog
    writes them in the session's time zone)."""
    query = (
        "SELECT c.oid::regclass::text, c.relkind, c.relispartition,"
        " pg_get_expr(c.relpartbound, c.oid)"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass ORDER BY 1"
    )
    found = []
    for name, relkind, is_partition, bound in schema.rows(url, query):
        assert (relkind, is_partition) == ("r", True), name
        bounds = re.fullmatch(r"FOR VALUES FROM \('(.+)'\) TO \('(.+)'\)", bound)
        assert bounds, bound
        found.append((name, *map(datetime.fromisoformat, bounds.groups())))
    return found


def rows_where(url: str, table: str) -> list[tuple]:
    """Each row of `table` (name, created_at), after the table that holds it."""
    query = f"SELECT tableoid::regclass::text, name, created_at FROM {table} ORDER BY created_at"
    return schema.rows(url, query)


def assert_events(url: str, partitions: list[int], rows: list[tuple]) -> None:
    """events is partitioned (relkind p) by range of created_at, keyed on (id, created_at),
    with exactly these monthly partitions; its rows are these, each in its month's."""
    parent = (
        "SELECT relkind, relispartition, pg_get_partkeydef(oid) FROM pg_class"
        " WHERE oid = 'events'::regclass"
    )
    assert schema.rows(url, parent) == [("p", False, "RANGE (created_at)")]
    key = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_events'"
    assert schema.rows(url, key) == [("PRIMARY KEY (id, created_at)",)]
    assert events_partitions(url) == months(*partitions)
    expected = [(f"events_2026_{at.month:02}", name, at) for name, at in rows]
    assert rows_where(url, "events") == expected


def assert_january_archived(url: str) -> None:
    """January left events with its row, for the schema archive, as a plain table."""
    query = (
        "SELECT relkind, relispartition FROM pg_class"
        " WHERE oid = 'archive.events_2026_01'::regclass"
    )
    assert schema.rows(url, query) == [("r", False)]
    assert rows_where(url, "archive.events_2026_01") == [("archive.events_2026_01", *SIGNUP)]
    assert schema.rows(url, "SELECT to_regclass('public.events_2026_01')") == [(None,)]


@check("events-partitioned-by-month")
def events_partitioned_by_month(run: PageRun) -> None:
    """Each row went to its month's partition; March's, with no partition, went nowhere."""
    assert_events(run.database_url, [1, 2], [SIGNUP, LOGIN])
    assert schema.alembic_versions(run.database_url) == ["2a4c6e8f0b1d"]


@check("january-archived")
def january_archived(run: PageRun) -> None:
    assert_events(run.database_url, [2], [LOGIN])
    assert_january_archived(run.database_url)
    assert schema.alembic_versions(run.database_url) == ["5c7e9a1b3d4f"]


@check("january-attached-again")
def january_attached_again(run: PageRun) -> None:
    """The downgrade: January a partition of events again, with its row; no archive."""
    assert_events(run.database_url, [1, 2], [SIGNUP, LOGIN])
    archive = "SELECT nspname FROM pg_namespace WHERE nspname = 'archive'"
    assert schema.rows(run.database_url, archive) == []
    assert schema.alembic_versions(run.database_url) == ["2a4c6e8f0b1d"]


@check("partitions-left-out-nothing-dropped")
def partitions_left_out_nothing_dropped(run: PageRun) -> None:
    """alembic check passed with the partitions left out, March's, made by hand, among
    them; a check writes nothing: the partitions, the archive and the rows are there."""
    assert_events(run.database_url, [2, 3], [LOGIN, MARCH_LOGIN])
    assert_january_archived(run.database_url)
    assert schema.tables(run.database_url) == {
        "alembic_version",
        "users",
        "events",
        "events_2026_02",
        "events_2026_03",
    }
    assert schema.alembic_versions(run.database_url) == ["5c7e9a1b3d4f"]
