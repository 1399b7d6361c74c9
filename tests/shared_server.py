"""pg_locks and pg_stat_activity show the whole server: a test that reads them keeps to
its own database, since other runs may migrate theirs on the same server at the same time
(pytest-xdist's workers, the mutation test's, whoever else uses a server given by
THROWAWAY_PG_URL). Append one of these to the query's WHERE. And `admin`, for what only
the server's own role may do (roles, owners)."""

import psycopg2

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
