"""The env.py readers copy, through the real `alembic` CLI: each production point tested."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg2
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tests.page_checks import assert_seed_schema
from tests.shared_server import role_owning_a_database
from tests.site_tree import top_level_function
from throwaway_pg.server import Server, with_database

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "tutorial"
ASYNC_ENV_PY = EXAMPLE.parent / "async/migrations/env.py"
MULTIDB_ENV_PY = EXAMPLE.parent / "multidb/env.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    return tmp_path


def alembic(project: Path, database_url: str | None, *argv: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [str(Path(sys.executable).parent / "alembic"), *argv],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "url, message",
    [
        (None, "DATABASE_URL is not set, e.g. export DATABASE_URL=postgresql://"),
        ("", "DATABASE_URL is not set"),
        ("not a url", "DATABASE_URL is not a database URL, expected postgresql://"),
    ],
    ids=["unset", "empty", "malformed"],
)
def test_bad_database_url_is_one_clear_line(project: Path, url: str | None, message: str) -> None:
    result = alembic(project, url, "upgrade", "head")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback


def test_offline_mode_needs_no_database_url(project: Path) -> None:
    """`--sql` never connects: without DATABASE_URL, env.py names only the dialect."""
    result = alembic(project, None, "upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE users (\n    id SERIAL NOT NULL," in result.stdout
    assert result.stdout.rstrip().endswith("COMMIT;")


def test_info_lines_go_to_stderr_the_rest_to_stdout(project: Path) -> None:
    """Alembic's log (`INFO` lines, set up from alembic.ini) goes to stderr, the rest to
    stdout (the SQL of `--sql`): a redirected script holds only SQL."""
    result = alembic(project, None, "upgrade", "head", "--sql")
    assert result.returncode == 0, result.stderr
    assert "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl." in result.stderr
    assert "INFO" not in result.stdout and "CREATE TABLE users" in result.stdout
    history = alembic(project, None, "history")
    assert "-> 1975ea83b712 (head), create users table" in history.stdout


def test_herokus_postgres_scheme_works(project: Path, database_url: str) -> None:
    heroku_style = database_url.replace("postgresql://", "postgres://", 1)
    result = alembic(project, heroku_style, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert_seed_schema(database_url, project)


@pytest.fixture
def role_with_awkward_password(postgres_server: Server):
    """(role, password, database URL as postgres): a role whose password has %, @ and :,
    owning a fresh database. Dropped afterwards, database first."""
    password = "p%ss@w:rd 100%"
    with role_owning_a_database(postgres_server, "alice", password) as (name, database):
        yield name, password, with_database(postgres_server.admin_url, database)


def url_as(database_url: str, user: str, password: str) -> str:
    """The URL with credentials, percent-encoded as a URL must be."""
    rest = database_url.split("://", 1)[1].split("@", 1)[1]
    return f"postgresql://{quote(user)}:{quote(password, safe='')}@{rest}"


def test_a_password_with_percent_works(project: Path, role_with_awkward_password) -> None:
    user, password, database_url = role_with_awkward_password
    result = alembic(project, url_as(database_url, user, password), "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert_seed_schema(database_url, project)
    conn = psycopg2.connect(database_url)
    try:
        owner = conn.cursor()
        owner.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'users'")
        assert owner.fetchone() == (user,)  # really connected as that role, with that password
    finally:
        conn.close()


def test_the_password_is_never_printed(project: Path, role_with_awkward_password) -> None:
    user, password, database_url = role_with_awkward_password
    wrong = "wr0ng%secret"
    result = alembic(project, url_as(database_url, user, wrong), "upgrade", "head")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "password authentication failed" in output
    for secret in (wrong, quote(wrong, safe=""), password):
        assert secret not in output


def test_current_verbose_masks_the_password(project: Path, role_with_awkward_password) -> None:
    """`alembic current --verbose` prints the URL: with the password masked."""
    user, password, database_url = role_with_awkward_password
    result = alembic(project, url_as(database_url, user, password), "current", "--verbose")
    assert result.returncode == 0, result.stderr
    assert f"{user}:***@" in result.stdout
    assert password not in result.stdout and quote(password, safe="") not in result.stdout


def database_url_with(installed: set[str], env_py: Path = EXAMPLE / "migrations/env.py"):
    """env.py's database_url(), run where only the drivers `installed` can be imported."""
    function = top_level_function(env_py, "database_url")
    online = SimpleNamespace(is_offline_mode=lambda: False)
    namespace = {"os": os, "sys": sys, "make_url": make_url, "ArgumentError": ArgumentError}
    namespace |= {"context": online, "find_spec": lambda name: name in installed or None}
    exec(compile(ast.Module([function], []), "env.py", "exec"), namespace)
    return namespace["database_url"]


@pytest.mark.parametrize(
    "installed, driver",
    [
        ({"psycopg2", "psycopg", "pg8000"}, "psycopg2"),
        ({"psycopg", "pg8000"}, "psycopg"),
        ({"pg8000"}, "pg8000"),
        (set(), "psycopg2"),  # none: the error names the pinned one
    ],
)
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_the_url_names_the_driver_installed(
    installed: set[str], driver: str, scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://alice:secret@db.example.com/app")
    url = make_url(database_url_with(installed)())
    assert (url.drivername, url.password) == (f"postgresql+{driver}", "secret")


def exit_message(env_py: Path, *args: str) -> str:
    """What env.py's database_url(*args) exits with (a multidb env.py reads `app`'s URL
    from DATABASE_URL)."""
    function = database_url_with({"psycopg2"}, env_py)
    function.__globals__["URL_VARIABLES"] = {"app": "DATABASE_URL"}
    with pytest.raises(SystemExit) as exit:
        function(*args)
    return exit.value.code


@pytest.mark.parametrize("url", [None, "not a url"], ids=["unset", "malformed"])
def test_the_other_env_py_say_a_bad_url_as_the_tutorial_s_does(
    url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The async and multidb guides' env.py have their own database_url() (asyncpg; a URL
    per database): their one-line errors are the tutorial's, word for word (multidb's
    example URL names its database)."""
    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)
    tutorial = exit_message(EXAMPLE / "migrations/env.py")
    assert tutorial.startswith("DATABASE_URL is not")
    assert exit_message(ASYNC_ENV_PY) == tutorial
    assert exit_message(MULTIDB_ENV_PY, "app") == tutorial.replace("/mydb", "/app")
