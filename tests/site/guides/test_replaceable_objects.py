"""What the views, functions and triggers guide (replaceable-objects.md) says beyond what
the page runs: the locks each of its revisions holds until it commits, and what the
helper module (examples/replaceable/replaceable.py) refuses."""

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from alembic_docs import schema
from throwaway_pg.server import sqlalchemy_url

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
VERSIONS = "migrations/versions"
FIRST, SECOND = "4b6d8f0a2c1e", "7e9a1c3b5d2f"
# This session's locks on the database's own tables and views (OIDs from 16384: not the
# catalogs'), by name; a view dropped in the transaction has only its OID.
LOCKS = """
SELECT relation::regclass::text, mode FROM pg_locks
WHERE pid = pg_backend_pid() AND locktype = 'relation' AND database = (
    SELECT oid FROM pg_database WHERE datname = current_database()
) AND relation >= 16384
"""
# From weakest to strongest, as PostgreSQL's table of lock modes lists them.
MODES = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]


def forget_migrations() -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "migrations"]:
        del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch) -> Iterator[Config]:
    """The tutorial's project with the page's module and revisions, as the current
    directory: the revisions import `migrations.replaceable` from there."""
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    shutil.copy(EXAMPLES / "replaceable/replaceable.py", tmp_path / "migrations")
    for revision in (FIRST, SECOND):
        (migration,) = (EXAMPLES / "replaceable").glob(f"{revision}_*.py")
        shutil.copy(migration, tmp_path / VERSIONS)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    forget_migrations()  # another project's
    importlib.invalidate_caches()  # the finder for "." may still list another directory
    yield Config(str(tmp_path / "alembic.ini"))
    forget_migrations()


def strongest_locks(config: Config, url: str, revision: str, direction: str) -> dict[str, str]:
    """Run one revision's upgrade() or downgrade() in a transaction, as env.py would, and
    return the strongest lock it holds on each relation before the commit; roll back."""
    script = ScriptDirectory.from_config(config)
    migration = getattr(script.get_revision(revision).module, direction)
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            context = MigrationContext.configure(connection, opts={"script": script})
            with Operations.context(context):
                migration()
            held = strongest(connection)
            transaction.rollback()
    finally:
        engine.dispose()
    return {("a dropped view" if name.isdigit() else name): mode for name, mode in held.items()}


def strongest(connection) -> dict[str, str]:
    """The strongest lock the connection's transaction holds on each relation."""
    held: dict[str, str] = {}
    for relation, mode in connection.execute(text(LOCKS)):
        if MODES.index(mode) >= MODES.index(held.get(relation, MODES[0])):
            held[relation] = mode
    return held


def test_the_first_revision_locks_users_against_reads_both_ways(
    project: Config, database_url: str
) -> None:
    command.upgrade(project, "1975ea83b712")
    assert strongest_locks(project, database_url, FIRST, "upgrade") == {
        "users": "AccessExclusiveLock",  # ADD COLUMN
        "adult_users": "AccessExclusiveLock",
    }
    command.upgrade(project, FIRST)
    assert strongest_locks(project, database_url, FIRST, "downgrade") == {
        "users": "AccessExclusiveLock",  # DROP TRIGGER, then DROP COLUMN
        "a dropped view": "AccessExclusiveLock",
    }


def test_the_second_revision_locks_the_view_and_lets_users_be_read_and_written(
    project: Config, database_url: str
) -> None:
    """CREATE OR REPLACE FUNCTION takes no lock on users; the view's readers wait."""
    command.upgrade(project, FIRST)
    assert strongest_locks(project, database_url, SECOND, "upgrade") == {
        "users": "AccessShareLock",
        "adult_users": "AccessExclusiveLock",
    }
    command.upgrade(project, SECOND)
    assert strongest_locks(project, database_url, SECOND, "downgrade") == {
        "users": "AccessShareLock",
        "adult_users": "AccessExclusiveLock",
        "a dropped view": "AccessExclusiveLock",
    }


def locks_of(url: str, statement: str) -> dict[str, str]:
    """The strongest lock one statement takes on each relation, in a transaction rolled
    back after."""
    engine = create_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            connection.execute(text(statement))
            held = strongest(connection)
            transaction.rollback()
    finally:
        engine.dispose()
    return held


def test_the_trigger_and_its_function_alone(project: Config, database_url: str) -> None:
    """CREATE TRIGGER lets users be read (writes wait); DROP TRIGGER does not; replacing
    the function locks no table."""
    command.upgrade(project, FIRST)
    drop_trigger = "DROP TRIGGER users_set_updated_at ON users"
    assert locks_of(database_url, drop_trigger) == {"users": "AccessExclusiveLock"}
    create_trigger = (
        "CREATE TRIGGER users_set_updated_at_2 BEFORE INSERT OR UPDATE ON users "
        "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
    )
    assert locks_of(database_url, create_trigger) == {"users": "ShareRowExclusiveLock"}
    create_or_replace_function = (
        "CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END $$"
    )
    assert locks_of(database_url, create_or_replace_function) == {}


def test_a_function_with_other_argument_types_is_another_function(database_url: str) -> None:
    """Why the helper refuses a previous definition of another name: CREATE OR REPLACE
    FUNCTION with other argument types leaves the old function beside the new."""
    engine = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for arguments in ("integer", "integer, text"):
                body = "RETURNS integer LANGUAGE sql AS 'SELECT 1'"
                connection.execute(text(f"CREATE OR REPLACE FUNCTION f({arguments}) {body}"))
            query = "SELECT oid::regprocedure::text FROM pg_proc WHERE proname = 'f' ORDER BY 1"
            functions = connection.execute(text(query)).scalars().all()
    finally:
        engine.dispose()
    assert functions == ["f(integer)", "f(integer,text)"]


def test_a_replacement_must_name_an_object_of_the_same_name(
    project: Config, tmp_path: Path, database_url: str
) -> None:
    """The helper refuses to replace set_updated_at() by what another variable holds."""
    command.upgrade(project, FIRST)
    second = next((tmp_path / VERSIONS).glob(f"{SECOND}_*.py"))
    right = 'op.replace_function(set_updated_at, replaces="4b6d8f0a2c1e.set_updated_at")'
    wrong = 'op.replace_function(set_updated_at, replaces="4b6d8f0a2c1e.adult_users")'
    source = second.read_text()
    assert right in source
    second.write_text(source.replace(right, wrong))
    message = r"4b6d8f0a2c1e.adult_users is adult_users, not set_updated_at\(\)"
    with pytest.raises(ValueError, match=message):
        command.upgrade(project, SECOND)
    assert schema.alembic_versions(database_url) == [FIRST]


PAGE = EXAMPLES.parent / "docs/guides/replaceable-objects.md"
SHOWN = {"AccessExclusiveLock": "ACCESS EXCLUSIVE", "AccessShareLock": "ACCESS SHARE"}
# What a mode means for the relation's readers and writers, as the table's cells say it.
EFFECTS = {
    "ACCESS EXCLUSIVE": {"reads and writes wait", "its readers wait"},
    "ACCESS SHARE": {"reads and writes go on"},
}


def lock_table() -> dict[tuple[str, str], dict[str, str]]:
    """The page's table of locks: (revision, up or down) -> relation -> cell."""
    lines = [line for line in PAGE.read_text().splitlines() if line.startswith("| `")]
    rows = [[cell.strip() for cell in line.strip("| ").split("|")] for line in lines]
    header = ["Revision", "users", "adult_users"]
    table = {}
    for revision, *cells in rows:
        name, direction = revision.split()
        table[(name.strip("`"), f"{direction}grade")] = dict(zip(header[1:], cells, strict=True))
    return table


@pytest.mark.parametrize(
    ("revision", "direction"),
    [(FIRST, "upgrade"), (SECOND, "upgrade"), (SECOND, "downgrade"), (FIRST, "downgrade")],
)
def test_the_page_s_table_shows_the_locks_each_revision_takes(
    project: Config, database_url: str, revision: str, direction: str
) -> None:
    """Each cell's mode is the strongest the revision holds on that relation (on the
    view: on the one it replaces or drops too), and what it says readers meet follows."""
    script = ScriptDirectory.from_config(project)
    start = revision if direction == "downgrade" else script.get_revision(revision).down_revision
    command.upgrade(project, start)
    held = strongest_locks(project, database_url, revision, direction)
    on_view = [held[name] for name in ("adult_users", "a dropped view") if name in held]
    observed = {"users": held["users"], "adult_users": max(on_view, key=MODES.index)}
    for relation, cell in lock_table()[(revision, direction)].items():
        mode, _, effect = cell.partition(": ")
        assert mode.split("`")[1] == SHOWN[observed[relation]], (relation, cell)
        assert not effect or effect in EFFECTS[SHOWN[observed[relation]]], (relation, cell)
