"""A whole pytest run of a tiny test file, in a subprocess: for what a run does with its
server when it passes, fails, is interrupted, or runs beside another one."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

from throwaway_pg.server import URL_VARIABLE

INNER_TEST = """
import os, time
from pathlib import Path

import pytest

from alembic_docs import alembic_cli, schema


@pytest.mark.parametrize("n", range(int(os.environ.get("COPIES", "1"))))
def test_uses_the_server(postgres_server, database_url, n):
    listen = schema.rows(database_url, "SHOW listen_addresses")
    with open(os.environ["RECORD"], "a") as record:
        record.write(f"{postgres_server.cluster.path} {database_url} {listen[0][0]!r}\\n")
    mode = os.environ["MODE"]
    if mode == "fail":
        assert False, "a failing test"
    if mode == "wait":
        time.sleep(60)
    if mode == "overlap":
        time.sleep(2)  # long enough for a second run to start beside this one
    if mode == "fill":  # writes until the disk is full
        from throwaway_pg import driver

        connection = driver.connect(database_url)
        connection.autocommit = True  # commits write WAL: the server itself runs out
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x text)")
            for _ in range(1000):
                cursor.execute(
                    "INSERT INTO t SELECT repeat(md5(random()::text), 30) "
                    "FROM generate_series(1, 20000)"
                )
    if mode in ("crash", "says-panic"):  # a backend killed, or a statement naming PANIC
        import signal

        from throwaway_pg import driver

        connection = driver.connect(database_url)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
            if mode == "says-panic":
                with pytest.raises(driver.Error):
                    cursor.execute("SELECT 'PANIC: terminated by signal 9'::int")
                return
        os.kill(pid, signal.SIGKILL)  # the server restarts all its processes: a crash
        for _ in range(100):  # until it takes connections again
            try:
                driver.connect(database_url).close()
                return
            except driver.Error:
                time.sleep(0.1)
    if mode == "failing-migration":
        project = Path(os.environ["PROJECT"])
        status, output = alembic_cli.run_cli(
            ["upgrade", "head"], project, {"DATABASE_URL": database_url}
        )
        assert status != 0 and "relation" in output
        assert schema.tables(database_url) == set(), "no partial schema"
        assert False, "the migration failed, as it should"
"""

# A page's line that leaves a temporary file, says where its TMPDIR is, then waits.
INNER_PAGE_TEST = """
def test_a_page_line(page_run):
    page_run.run('mktemp >/dev/null; printf "%s\\n" "$TMPDIR" "$PWD" >"$MARKER.new"; '
                 'mv "$MARKER.new" "$MARKER"; sleep 60')
"""


def postgres_processes(path: Path) -> list[int]:
    """PIDs of postgres processes started on a cluster directory."""
    return processes_naming(path)


def processes_naming(path: Path) -> list[int]:
    """PIDs of the running processes whose command line names `path`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(path).encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def start_inner_run(
    tmp_path: Path,
    mode: str,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    test: str = INNER_TEST,
    ini: str = "",
) -> tuple[subprocess.Popen, Path]:
    """Start the run (`ini`: lines of its pytest.ini); returns it and the file where each
    test records its cluster."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(test))
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}")
    run_env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k and k != URL_VARIABLE}
    run_env.update(RECORD=str(tmp_path / "record"), MODE=mode, **(env or {}))
    process = subprocess.Popen(
        [
            *prefix,
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *args,
            "test_inner.py",
        ],
        cwd=tmp_path,
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's job would be
        preexec_fn=interruptible,
    )
    return process, tmp_path / "record"


def interruptible() -> None:
    """In a child, before exec: Ctrl-C interrupts it, and closing its terminal (SIGHUP)
    reaches it, as from a terminal's shell, even when this suite was started with them
    ignored (nohup, a background job of a script), which children inherit and Python then
    keeps: it installs its KeyboardInterrupt handler only over the default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@contextlib.contextmanager
def sigint_ignored():
    """As in a suite started by `nohup` or as a script's background job."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def recorded(record: Path) -> list[tuple[Path, str, str]]:
    """(cluster, database URL, listen_addresses) of each test of the run."""
    lines = record.read_text().splitlines() if record.exists() else []
    return [(Path(cluster), url, listen) for cluster, url, listen in map(str.split, lines)]


def wait_for(record: Path, process: subprocess.Popen) -> Path:
    """The cluster of a run, once its first test has started."""
    wait_for_file(record, process)
    return recorded(record)[0][0]


def wait_for_file(path: Path, process: subprocess.Popen) -> None:
    """Until the run has written `path`."""
    deadline = time.monotonic() + 60
    while not path.exists() or not path.stat().st_size:
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, f"the inner run never wrote {path.name}"
        time.sleep(0.05)


def assert_gone(cluster: Path) -> None:
    deadline = time.monotonic() + 10
    while postgres_processes(cluster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not postgres_processes(cluster), "a postgres process was left running"
    assert not cluster.exists(), "the cluster directory was left behind"
