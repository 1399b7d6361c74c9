"""`nox -s db`: the throwaway server a reader follows the pages with, in their terminal."""

import ast
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.inner_run import interruptible, sigint_ignored
from tests.site_tree import top_level_function
from throwaway_pg.server import URL_VARIABLE, libpq_url

ROOT = Path(__file__).resolve().parents[3]


def nox_db_command() -> list[str]:
    """What `nox -s db` runs, before the reader's own arguments (`-- reporting`)."""
    session = top_level_function(ROOT / "noxfile.py", "db")
    [run] = [
        call
        for call in ast.walk(session)
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "run"
    ]
    *command, posargs = run.args
    assert ast.unparse(posargs) == "*session.posargs"
    return [ast.literal_eval(arg) for arg in command]


def test_nox_db_runs_the_module_on_a_database_named_tutorial() -> None:
    """The pages' `createdb tutorial` and `nox -s db` give readers the same database name."""
    assert nox_db_command() == ["python", "-m", "throwaway_pg", "--database", "tutorial"]


@pytest.mark.parametrize(
    ("stop", "args", "more"),
    [
        (signal.SIGINT, nox_db_command()[3:], []),
        (signal.SIGTERM, [*nox_db_command()[3:], "reporting"], ["reporting"]),
        (signal.SIGINT, [], []),  # outside the site: a generic name
        (signal.SIGHUP, [], []),  # its terminal closed
    ],
    ids=["nox-s-db", "nox-s-db-reporting", "default", "terminal-closed"],
)
def test_it_prints_what_to_paste_and_removes_the_server(
    stop: signal.Signals, args: list[str], more: list[str]
) -> None:
    main_database = "tutorial" if args else "app"
    with sigint_ignored():  # as in a suite started by nohup: Ctrl-C must still stop it
        db = subprocess.Popen(
            [sys.executable, "-m", "throwaway_pg", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if k != URL_VARIABLE},
            preexec_fn=interruptible,
        )
    try:
        lines = [db.stdout.readline() for _ in range(4 + len(more))]
        assert lines[0].startswith("db: a throwaway PostgreSQL "), lines
        url = lines[1].removeprefix("export DATABASE_URL='").removesuffix("'\n")
        path = lines[2].removeprefix('export PATH="').removesuffix(':$PATH"\n')
        databases = {main_database: url}
        for name, line in zip(more, lines[3:], strict=False):
            prefix = f"export {name.upper()}_DATABASE_URL='"
            assert line.startswith(prefix), line
            databases[name] = line.removeprefix(prefix).removesuffix("'\n")
        assert lines[-1] == "db: Ctrl-C stops the server and removes it\n"
        # What the reader pastes works: the databases are empty, and the psql on PATH runs.
        for name, database_url in databases.items():
            with psycopg2.connect(libpq_url(database_url)) as conn, conn.cursor() as cursor:
                cursor.execute(
                    "SELECT current_database(), count(*) FROM pg_tables WHERE schemaname = 'public'"
                )
                assert cursor.fetchone() == (name, 0)
        psql = subprocess.run(
            [Path(path) / "psql", url, "-tAc", "SELECT 1"], capture_output=True, text=True
        )
        assert psql.stdout == "1\n", psql.stderr
        db.send_signal(stop)
        output, _ = db.communicate(timeout=30)
    finally:
        db.kill()
    assert db.returncode == 0
    assert output == "db: server stopped, its files removed\n"
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(libpq_url(url), connect_timeout=2)
    assert not Path(url.split("host=")[1]).exists()  # the socket's directory went with it


def test_a_bad_database_name_is_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "throwaway_pg", "Reporting-DB"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "python -m throwaway_pg: error: argument NAME: "
        "'Reporting-DB': expected a lowercase name like reporting"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--database", "postgres"], "argument --database: 'postgres' is the server's own"),
        (["--database", "tutorial", "tutorial"], "argument NAME: each database is named once"),
        (["reporting", "reporting"], "argument NAME: each database is named once"),
        (["a" * 64], f"argument NAME: '{'a' * 64}': at most 63 characters"),  # cut short
    ],
)
def test_a_database_name_it_cannot_create_is_one_line(args: list[str], error: str) -> None:
    """Refused before any server starts, not a traceback from CREATE DATABASE."""
    result = subprocess.run(
        [sys.executable, "-m", "throwaway_pg", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(f"python -m throwaway_pg: error: {error}")


@pytest.fixture
def base() -> Iterator[Path]:
    """A base directory of its own, which the server user (nobody, as root) can reach."""
    path = Path(tempfile.mkdtemp(prefix="db-base-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_killed_while_it_starts_it_leaves_no_cluster(base: Path) -> None:
    """A closed terminal (SIGHUP) or a kill during initdb ends as Ctrl-C does: the half-made
    cluster is removed then, not by the next run's sweep, and so are the shared memory
    segments initdb's backends made in /dev/shm (a MiB each time, which nothing removed)."""
    before = set(Path("/dev/shm").glob("PostgreSQL.*"))
    env = {k: v for k, v in os.environ.items() if k != URL_VARIABLE}
    db = subprocess.Popen(
        [sys.executable, "-m", "throwaway_pg"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**env, "THROWAWAY_PG_DIR": str(base)},
        # as a terminal starts it, whatever this run ignores (under nohup, SIGHUP)
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while not list(base.glob("*/cluster-*/data/*")) and time.monotonic() < deadline:
            time.sleep(0.005)  # initdb has begun writing
        db.send_signal(signal.SIGHUP)
        assert db.wait(timeout=30) == 130, db.stdout.read()
    finally:
        db.kill()
    assert list(base.glob("*/cluster-*")) == []
    assert set(Path("/dev/shm").glob("PostgreSQL.*")) - before == set()


def test_a_second_signal_does_not_cut_the_clean_up_short(base: Path) -> None:
    """A closed terminal sends SIGHUP, and its shell may follow with SIGTERM: the second
    lands in the clean-up the first began, which still removes the cluster, silently."""
    db = subprocess.Popen(
        [sys.executable, "-m", "throwaway_pg"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != URL_VARIABLE},
             "THROWAWAY_PG_DIR": str(base)},
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )  # fmt: skip
    try:
        lines = [db.stdout.readline() for _ in range(4)]
        assert lines[-1] == "db: Ctrl-C stops the server and removes it\n", lines
        db.send_signal(signal.SIGHUP)
        db.send_signal(signal.SIGTERM)
        output, _ = db.communicate(timeout=30)
    finally:
        db.kill()
    assert "Traceback" not in output and db.returncode == 0, output
    assert list(base.glob("*/cluster-*")) == []


def test_an_output_that_cannot_be_written_is_one_line(base: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "throwaway_pg"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**{k: v for k, v in os.environ.items() if k != URL_VARIABLE},
                 "THROWAWAY_PG_DIR": str(base)},
        )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        1,
        "db: cannot print the lines to paste: No space left on device\n",
    )
    assert list(base.glob("*/cluster-*")) == []


def test_under_nohup_a_closed_terminal_does_not_stop_it() -> None:
    """SIGHUP stops it (its terminal closed), unless it was started ignoring SIGHUP, as
    `nohup` starts it: then only SIGTERM or Ctrl-C does."""
    db = subprocess.Popen(
        [sys.executable, "-m", "throwaway_pg"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != URL_VARIABLE},
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    try:
        lines = [db.stdout.readline() for _ in range(4)]
        assert lines[-1] == "db: Ctrl-C stops the server and removes it\n", lines
        db.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):
            db.wait(timeout=2)
        db.send_signal(signal.SIGTERM)
        output, _ = db.communicate(timeout=30)
    finally:
        db.kill()
    assert (db.returncode, output) == (0, "db: server stopped, its files removed\n")


def test_a_full_disk_while_the_database_is_made_is_one_line(
    base: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server's error as it made the database (a tmpfs that filled) was a traceback."""
    from throwaway_pg import __main__ as db
    from throwaway_pg import postgres

    def full(*args, **kwargs) -> None:
        raise psycopg2.errors.DiskFull('could not extend file "base/16385/3605": No space')

    monkeypatch.setenv("THROWAWAY_PG_DIR", str(base))
    monkeypatch.setattr(postgres, "create_database", full)
    assert db.main([]) == 1
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith('db: cannot make the database: could not extend file "base/')
    assert said[0].endswith(f"({postgres.ROOM})")
