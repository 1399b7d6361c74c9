"""`nox -s db`: the throwaway server a reader follows the pages with, in their terminal."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.inner_run import interruptible, sigint_ignored
from throwaway_pg.server import libpq_url


@pytest.mark.parametrize(("stop", "more"), [(signal.SIGINT, []), (signal.SIGTERM, ["reporting"])])
def test_it_prints_what_to_paste_and_removes_the_server(
    stop: signal.Signals, more: list[str]
) -> None:
    with sigint_ignored():  # as in a suite started by nohup: Ctrl-C must still stop it
        db = subprocess.Popen(
            [sys.executable, "-m", "throwaway_pg", *more],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "THROWAWAY_PG_URL"},
            preexec_fn=interruptible,
        )
    try:
        lines = [db.stdout.readline() for _ in range(4 + len(more))]
        assert lines[0].startswith("db: a throwaway PostgreSQL "), lines
        url = lines[1].removeprefix("export DATABASE_URL='").removesuffix("'\n")
        path = lines[2].removeprefix('export PATH="').removesuffix(':$PATH"\n')
        databases = {"tutorial": url}
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
