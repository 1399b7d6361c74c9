"""`nox -s lab` hands Jupyter a working DATABASE_URL and cleans up after it."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.inner_run import postgres_processes
from tests.tools import TOOLS
from throwaway_pg.postgres import base_dir
from throwaway_pg.server import URL_VARIABLE

CHILD = (
    "import os, psycopg2, sys; "
    "conn = psycopg2.connect(os.environ['DATABASE_URL']); "
    "cur = conn.cursor(); cur.execute('SELECT current_database()'); "
    "print('connected to', cur.fetchone()[0]); sys.stdout.flush(); "
    "conn.close(); {rest}"
)


def lab(rest: str, **env: str) -> subprocess.Popen:
    """The lab launcher, with a small Python program standing in for Jupyter."""
    code = (
        f"import sys; sys.path.insert(0, {str(TOOLS)!r}); from lab import run; "
        f"sys.exit(run([sys.executable, '-c', {CHILD.format(rest=rest)!r}]))"
    )
    given = env
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k and k != URL_VARIABLE}
    env["DATABASE_URL"] = "postgresql://reader:pw@127.0.0.1:1/mydb"  # a reader's, not read
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env={**env, **given},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def its_cluster(output: str) -> Path:
    """The cluster the launcher reports (other tests' clusters may be running beside it)."""
    match = re.search(r"lab: throwaway PostgreSQL in (\S+) \(PostgreSQL 18\.", output)
    assert match, output
    return Path(match[1])


def test_the_child_gets_a_working_database_and_everything_is_removed() -> None:
    process = lab("sys.exit(3)")
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 3  # the child's status is passed on
    cluster = its_cluster(output)
    assert cluster.parent == base_dir()
    assert "connected to t_" in output
    assert "lab: database dropped, server removed" in output
    assert not cluster.exists() and not postgres_processes(cluster)


def test_sigterm_stops_jupyter_and_removes_the_server() -> None:
    process = lab("import time; time.sleep(60)")
    seen = ""
    for line in process.stdout:
        seen += line
        if line.startswith("connected to"):
            break  # the child runs on its database
    cluster = its_cluster(seen)
    assert cluster.exists()
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 128 + signal.SIGTERM  # Jupyter was terminated, as a shell says
    assert "lab: database dropped, server removed" in output
    assert not cluster.exists() and not postgres_processes(cluster)


def test_a_bad_server_url_is_one_line() -> None:
    process = lab("sys.exit(0)", THROWAWAY_PG_URL="postgresql://u@localhost:notaport/db")
    output, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert errors.splitlines() == [
        "lab: THROWAWAY_PG_URL is not a PostgreSQL URL (its port is not a number); "
        "expected postgresql://user:password@host:5432/dbname"
    ], errors
