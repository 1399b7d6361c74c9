"""Run Alembic operations on `users` one at a time and print what PostgreSQL reports for each:
the strongest lock it holds on each table (pg_locks), whether a read and a write from another
session wait for that lock, and whether the table was rewritten (new file) or scanned.

Each step runs in a transaction that stays open while it is measured, then rolls back (or
commits, when the next step needs it). The database is left as it was found.
Run it on a development database: each step locks `users` while it is measured.
"""

import os
import threading
import time
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.engine import Connection, make_url

Operation = Callable[[Operations], object]

# Weakest to strongest, as in PostgreSQL's table of lock modes.
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
WRITES = {
    "users": "INSERT INTO users (first_name, last_name) VALUES ('Ada', 'Lovelace')",
    "teams": "INSERT INTO teams DEFAULT VALUES",
}

# The driver installed (psycopg2 as pinned), as the tutorial's env.py names it.
driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
url = make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)


def scalar(conn: Connection, query: str) -> Any:
    return conn.execute(sa.text(query)).scalar()


def pid(conn: Connection) -> int:
    return scalar(conn, "SELECT pg_backend_pid()")


def locks(conn: Connection, holder: int) -> dict[str, str]:
    """The strongest lock `holder` holds, or waits for, on each table: users first."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, l.mode, l.granted FROM pg_locks l "
            "JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = :pid AND c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace "
            "ORDER BY c.relname <> 'users', c.relname"
        ),
        {"pid": holder},
    )
    strongest: dict[str, tuple[str, bool]] = {}
    for table, mode, granted in rows:
        if MODES.index(mode) >= MODES.index(strongest.get(table, (MODES[0], True))[0]):
            strongest[table] = (mode, granted)
    return {t: m if granted else f"{m} (waiting)" for t, (m, granted) in strongest.items()}


def waits(statement: str) -> str:
    """Does `statement` wait for a lock? Another session tries it for 20 ms, then rolls back."""
    with engine.connect() as conn:
        conn.execute(sa.text("SET LOCAL lock_timeout = '20ms'"))
        try:
            conn.execute(sa.text(statement))
        except sa.exc.OperationalError as error:
            # psycopg2 names the SQLSTATE pgcode, psycopg 3 sqlstate
            code = getattr(error.orig, "pgcode", None) or getattr(error.orig, "sqlstate", None)
            if code != "55P03":  # lock_not_available
                raise
            return "waits"
        finally:
            conn.rollback()
    return "runs"


def files_and_scans(conn: Connection) -> dict[str, tuple[int, int]]:
    """Each table's file, and its sequential scans so far in this transaction."""
    query = "SELECT relname, pg_relation_filenode(relid), seq_scan FROM pg_stat_xact_user_tables"
    return {table: (file, scans) for table, file, scans in conn.execute(sa.text(query))}


def report(step: str, lock: str, read: str, write: str, rewrite: str, scan: str) -> None:
    print(f"{step:<33} {lock:<30} {read:<5} {write:<5} {rewrite:<7} {scan}")


def measure(step: str, operation: Operation, keep: bool = False) -> None:
    """Run `operation` in a transaction and report on it; then roll it back, or commit it."""
    with engine.connect() as conn:
        before = files_and_scans(conn)
        operation(Operations(MigrationContext.configure(conn)))
        after = files_and_scans(conn)
        for table, lock in locks(conn, pid(conn)).items():
            rewrite = "yes" if after[table][0] != before[table][0] else "no"
            scan = "yes" if after[table][1] > before[table][1] else "no"
            label = step if table == "users" else f"  on {table}"
            report(
                label,
                lock,
                waits(f"SELECT count(*) FROM {table}"),
                waits(WRITES[table]),
                rewrite,
                scan,
            )
        conn.commit() if keep else conn.rollback()


def measure_waiting(step: str, blocker: str, operation: Operation, autocommit: bool) -> None:
    """Run `operation` while another session holds `blocker` open, and report on it once
    PostgreSQL shows it waiting for that session; then end the blocker and let it finish."""
    with engine.connect() as holder, engine.connect() as watcher:
        holder.execute(sa.text(blocker))  # a transaction that stays open
        before = scalar(watcher, "SELECT pg_relation_filenode('users')")
        runner = engine.connect()
        if autocommit:
            runner = runner.execution_options(isolation_level="AUTOCOMMIT")
        with runner:
            runner_pid = pid(runner)
            runner.rollback()
            failed: list[BaseException] = []

            def run() -> None:
                try:
                    operation(Operations(MigrationContext.configure(runner)))
                except BaseException as error:
                    failed.append(error)

            thread = threading.Thread(target=run)
            thread.start()
            query = f"SELECT {pid(holder)} = ANY(pg_blocking_pids({runner_pid}))"
            deadline = time.monotonic() + 10
            while not scalar(watcher, query):
                watcher.rollback()  # a fresh look at pg_locks each time
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{step}: never waited for the other session")
                time.sleep(0.01)
            lock = locks(watcher, runner_pid)["users"]
            # Its transaction holds a snapshot with psycopg 3, and CREATE INDEX CONCURRENTLY
            # waits for every older snapshot to end.
            watcher.rollback()
            read, write = waits("SELECT count(*) FROM users"), waits(WRITES["users"])
            holder.rollback()  # the blocker ends: the operation goes on and finishes
            thread.join()
            if failed:
                raise failed[0]
            after = scalar(watcher, "SELECT pg_relation_filenode('users')")
            runner.rollback()
        report(step, lock, read, write, "yes" if after != before else "no", "-")


def committed(operation: Operation) -> None:
    with engine.begin() as conn:
        operation(Operations(MigrationContext.configure(conn)))


def validate(constraint: str) -> Operation:
    # Alembic has no operation for it: plain SQL.
    return lambda op: op.execute(f"ALTER TABLE users VALIDATE CONSTRAINT {constraint}")


# What the committed steps below leave behind, removed however the script ends.
CLEANUP = [
    "DROP INDEX IF EXISTS ix_users_age",
    "ALTER TABLE users DROP CONSTRAINT IF EXISTS ck_users_last_name",
    "ALTER TABLE users DROP COLUMN IF EXISTS team_id",  # and its foreign key
    "DROP TABLE IF EXISTS teams",
]


def main() -> None:
    report("step", "lock", "read", "write", "rewrite", "scan")
    measure(
        "ADD COLUMN, nullable",
        lambda op: op.add_column("users", sa.Column("nickname", sa.Text)),
    )
    measure(
        "ADD COLUMN, constant DEFAULT",
        lambda op: op.add_column(
            "users", sa.Column("active", sa.Boolean, server_default=sa.true(), nullable=False)
        ),
    )
    measure(
        "ADD COLUMN, volatile DEFAULT",
        lambda op: op.add_column(
            "users", sa.Column("token", sa.Uuid, server_default=sa.text("gen_random_uuid()"))
        ),
    )
    measure("CREATE INDEX", lambda op: op.create_index("ix_users_age", "users", ["age"]))
    # It cannot run in a transaction, and waits for open write transactions before it
    # finishes: one is held open, and the build is observed from outside meanwhile.
    measure_waiting(
        "CREATE INDEX CONCURRENTLY",
        WRITES["users"],
        lambda op: op.create_index("ix_users_age", "users", ["age"], postgresql_concurrently=True),
        autocommit=True,
    )
    measure(
        "ALTER COLUMN TYPE, int to bigint",
        lambda op: op.alter_column("users", "age", type_=sa.BigInteger),
    )
    measure(
        "ALTER COLUMN TYPE, longer varchar",
        lambda op: op.alter_column("users", "first_name", type_=sa.String(2000)),
    )

    committed(lambda op: op.create_table("teams", sa.Column("id", sa.Integer, primary_key=True)))
    committed(lambda op: op.add_column("users", sa.Column("team_id", sa.Integer)))
    fk = ("fk_users_team_id", "users", "teams", ["team_id"], ["id"])
    measure("ADD FOREIGN KEY", lambda op: op.create_foreign_key(*fk))
    measure(
        "ADD FOREIGN KEY NOT VALID",
        lambda op: op.create_foreign_key(*fk, postgresql_not_valid=True),
        keep=True,
    )
    measure("  VALIDATE CONSTRAINT", validate("fk_users_team_id"))

    measure("SET NOT NULL", lambda op: op.alter_column("users", "last_name", nullable=False))
    check = ("ck_users_last_name", "users", "last_name IS NOT NULL")
    measure("ADD CHECK", lambda op: op.create_check_constraint(*check))
    measure(
        "ADD CHECK NOT VALID",
        lambda op: op.create_check_constraint(*check, postgresql_not_valid=True),
        keep=True,
    )
    measure("  VALIDATE CONSTRAINT", validate("ck_users_last_name"), keep=True)
    measure("  SET NOT NULL", lambda op: op.alter_column("users", "last_name", nullable=False))

    # A lock waited for blocks too: what comes after it queues behind it.
    measure_waiting(
        "ADD COLUMN behind a reader",
        "SELECT count(*) FROM users",
        lambda op: op.add_column("users", sa.Column("nickname", sa.Text)),
        autocommit=False,
    )


try:
    main()
finally:
    with engine.begin() as conn:
        for statement in CLEANUP:
            conn.execute(sa.text(statement))
