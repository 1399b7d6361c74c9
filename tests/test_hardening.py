"""The throwaway server against other users of the machine, and URLs that carry secrets or
are wrong: what a root run must never do, and what a run must never print."""

import subprocess
from pathlib import Path

import pytest

from tutorial_harness import postgres
from tutorial_harness.postgres import PostgresError

# -- 6. a server that exits at once, saying nothing ------------------------------------------


def test_a_server_that_exits_silently_still_gets_a_message(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "server.log").write_text("")
    process = subprocess.Popen(["false"])
    cluster = postgres.Cluster(tmp_path, process, -1, tmp_path, 0.0)
    with pytest.raises(PostgresError) as error:
        postgres._wait_ready(cluster)
    assert str(error.value) == (
        f"postgres exited at start (exit status 1), with nothing in {tmp_path}/server.log"
    )
