"""pg_locks and pg_stat_activity show the whole server: a test that reads them keeps to
its own database, since other runs may migrate theirs on the same server at the same time
(pytest-xdist's workers, the mutation test's, whoever else uses a server given by
THROWAWAY_PG_URL). Append one of these to the query's WHERE. And `admin`, for what only
the server's own role may do (roles, owners), as `role_owning_a_database` does."""

import contextlib
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from throwaway_pg.server import Server

LOCKS_HERE = " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
SESSIONS_HERE = " AND datname = current_database()"


def admin(server: Server, sql: str, *params: str) -> None:
    """One statement as the server's admin role, outside any transaction."""
    conn = psycopg2.connect(server.admin_url)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql, params)
    finally:
        conn.close()


def skip_unless_ours(server: Server) -> None:
    """Skip a test that makes roles on a server given by THROWAWAY_PG_URL: the pages of the
    other workers there, as a role that may make roles, would name them as theirs."""
    if server.cluster is None:
        pytest.skip("it makes roles, which the pages of other runs on this server would see")


@contextlib.contextmanager
def role_owning_a_database(server: Server, prefix: str, password: str) -> Iterator[tuple[str, str]]:
    """(role, database): a login role (no superuser) with `password`, owning a fresh
    database; dropped afterwards, database first. Skips on a server whose role may not
    create roles."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    skip_unless_ours(server)
    try:
        admin(server, f"CREATE ROLE {name} LOGIN PASSWORD %s", password)
    except psycopg2.errors.InsufficientPrivilege:  # a user's server, given as CREATEDB only
        pytest.skip("the server's role may not create roles (CREATEROLE), which this needs")
    try:
        with server.database() as url:
            database = make_url(url).database
            admin(server, f'ALTER DATABASE "{database}" OWNER TO {name}')
            yield name, database
    finally:
        admin(server, f"DROP ROLE {name}")
