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


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_it_prints_what_to_paste_and_removes_the_server(stop: signal.Signals) -> None:
    with sigint_ignored():  # as in a suite started by nohup: Ctrl-C must still stop it
        db = subprocess.Popen(
            [sys.executable, "-m", "throwaway_pg"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "TUTORIAL_DATABASE_URL"},
            preexec_fn=interruptible,
        )
    try:
        lines = [db.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("db: a throwaway PostgreSQL "), lines
        url = lines[1].removeprefix("export DATABASE_URL='").removesuffix("'\n")
        path = lines[2].removeprefix('export PATH="').removesuffix(':$PATH"\n')
        assert lines[3] == "db: Ctrl-C stops the server and removes it\n"
        # What the reader pastes works: the database is empty, and the psql on PATH runs.
        with psycopg2.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT current_database(), count(*) FROM pg_tables WHERE schemaname = 'public'"
            )
            assert cursor.fetchone() == ("tutorial", 0)
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
