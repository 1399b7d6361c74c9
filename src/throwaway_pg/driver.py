"""The PostgreSQL driver the harness connects with: psycopg2 where it is installed (the pins),
else psycopg 3, so that the harness runs with either (the version matrix swaps them)."""

from __future__ import annotations

try:
    import psycopg2 as dbapi
    from psycopg2 import sql

    NAME = "psycopg2"
except ImportError:
    import psycopg as dbapi  # type: ignore[no-redef]
    from psycopg import sql  # type: ignore[no-redef]

    NAME = "psycopg"

__all__ = [
    "NAME",
    "TIMEOUTS",
    "Error",
    "connect",
    "encrypted_password",
    "sent_password",
    "sql",
    "sqlstate",
    "version",
]

Error = dbapi.Error
# Every connection of the harness's own: a server that stops answering, or a statement
# stuck behind a lock, fails the run in one line instead of holding it for ever.
TIMEOUTS = {"connect_timeout": 10, "options": "-c statement_timeout=60s"}


def connect(url: str, **options: object):  # noqa: ANN201 - either driver's connection
    """A connection to `url` (a libpq URL, no SQLAlchemy driver suffix), with the harness's
    timeouts unless `options` say otherwise."""
    return dbapi.connect(url, **{**TIMEOUTS, **options})


def encrypted_password(connection, password: str, role: str) -> str:  # noqa: ANN001
    """`password` as the server stores it (as its password_encryption says), made here, as
    psql's \\password does: ALTER ROLE then sends no clear text, for a log to keep."""
    if NAME == "psycopg2":
        from psycopg2.extensions import encrypt_password

        return encrypt_password(password, role, connection)
    return connection.pgconn.encrypt_password(password.encode(), role.encode()).decode()


def sent_password(connection) -> str | None:  # noqa: ANN001
    """The password libpq sent on `connection` (from its URL, or a password file), if the
    server asked for one."""
    pgconn = connection.pgconn if NAME == "psycopg" else None
    if not (pgconn.used_password if pgconn else connection.info.used_password):
        return None
    return connection.info.password


def sqlstate(error: Error) -> str | None:
    """The error's SQLSTATE code (`42501`), as either driver names it."""
    return getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)


def version() -> str:
    return dbapi.__version__.split()[0]  # psycopg2 appends its build options
