"""What the partitioned tables guide (partitions.md) says of PostgreSQL beyond what the page
runs: DETACH PARTITION ... CONCURRENTLY, and the scan an ATTACH PARTITION makes."""

import threading
import time
from collections.abc import Iterator

import psycopg2
import pytest

from throwaway_pg.server import libpq_url

SETUP = [
    "CREATE TABLE events (id uuid, created_at timestamptz NOT NULL, name text NOT NULL,"
    " PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)",
    "CREATE TABLE events_2026_01 PARTITION OF events"
    " FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00')",
    "CREATE TABLE events_2026_02 PARTITION OF events"
    " FOR VALUES FROM ('2026-02-01 00:00+00') TO ('2026-03-01 00:00+00')",
    "INSERT INTO events VALUES (gen_random_uuid(), '2026-01-15 09:00+00', 'signup')",
]
READ = "SELECT count(*) FROM events"
WRITE = "INSERT INTO events VALUES (gen_random_uuid(), '2026-02-03 17:30+00', 'login')"


@pytest.fixture
def connect(database_url: str) -> Iterator:
    """Sessions on the page's events table, as it stands after its first migration; each
    closed at the end."""
    opened = []

    def session(autocommit: bool = True):
        connection = psycopg2.connect(libpq_url(database_url))
        connection.autocommit = autocommit
        opened.append(connection)
        return connection

    with session().cursor() as cursor:
        for statement in SETUP:
            cursor.execute(statement)
    yield session
    for connection in opened:
        connection.close()


def scalar(connection, query: str, *args):
    with connection.cursor() as cursor:
        cursor.execute(query, args)
        return cursor.fetchone()[0]


def waits(connection, statement: str) -> bool:
    """Does `statement` wait for a lock? Tried for 20 ms in a transaction, rolled back."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '20ms'")
            cursor.execute(statement)
        return False
    except psycopg2.errors.LockNotAvailable:
        return True
    finally:
        connection.rollback()


def test_detach_concurrently_runs_outside_a_transaction_and_lets_reads_and_writes_go_on(
    connect,
) -> None:
    """Refused in a transaction. Outside one, while a reader's transaction keeps it
    waiting (it waits for every transaction that uses events), other reads and writes of
    events go on; then it finishes."""
    in_transaction = connect(autocommit=False)
    with pytest.raises(psycopg2.errors.ActiveSqlTransaction), in_transaction.cursor() as cursor:
        cursor.execute("ALTER TABLE events DETACH PARTITION events_2026_01 CONCURRENTLY")
    in_transaction.rollback()

    reader = connect(autocommit=False)
    scalar(reader, READ)  # its transaction stays open, and the detach waits for it
    detacher, watcher, other = connect(), connect(), connect(autocommit=False)
    detacher_pid = scalar(detacher, "SELECT pg_backend_pid()")
    failed: list[BaseException] = []

    def detach() -> None:
        try:
            with detacher.cursor() as cursor:
                cursor.execute("ALTER TABLE events DETACH PARTITION events_2026_01 CONCURRENTLY")
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=detach)
    thread.start()
    deadline = time.monotonic() + 10
    while not scalar(watcher, "SELECT cardinality(pg_blocking_pids(%s)) > 0", detacher_pid):
        assert time.monotonic() < deadline, "the detach never waited for the reader"
        time.sleep(0.01)
    assert not waits(other, READ)
    assert not waits(other, WRITE)
    reader.rollback()  # the reader ends: the detach finishes
    thread.join(10)
    assert not thread.is_alive() and not failed, failed
    partition = "SELECT relispartition FROM pg_class WHERE oid = 'events_2026_01'::regclass"
    assert scalar(watcher, partition) is False


def seq_scans(connection, table: str) -> int:
    """Sequential scans of `table` so far in this transaction."""
    query = "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = %s::regclass"
    return scalar(connection, query, table)


def test_attach_reads_the_table_it_attaches(connect) -> None:
    """The downgrade's comment: ATTACH PARTITION reads the whole table to check that each
    row is within the bounds (no statement_timeout for it)."""
    with connect().cursor() as cursor:
        cursor.execute("ALTER TABLE events DETACH PARTITION events_2026_01")
    attaching = connect(autocommit=False)
    before = seq_scans(attaching, "events_2026_01")
    with attaching.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE events ATTACH PARTITION events_2026_01"
            " FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00')"
        )
    assert seq_scans(attaching, "events_2026_01") == before + 1
    attaching.rollback()
