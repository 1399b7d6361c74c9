"""The throwaway server against other users of the machine, and URLs that carry secrets or
are wrong: what a root run must never do, and what a run must never print."""

import contextlib
import fnmatch
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from alembic_docs import schema
from tests.as_user import run_as
from tests.scratch_pages import page, run, write
from tests.shared_server import skip_unless_ours
from throwaway_pg import driver, identities, leftovers, postgres
from throwaway_pg.postgres import PostgresError
from throwaway_pg.server import (
    LeftOnServer,
    Passfile,
    Server,
    holds_secret,
    open_server,
    shown,
    with_database,
)

as_root = pytest.mark.skipif(os.getuid() != 0, reason="only root runs the server as nobody")


# -- 1. root never writes into the directory the server user controls ----------------------


@as_root
def test_a_symlink_planted_during_initdb_is_not_followed(tmp_path: Path, monkeypatch) -> None:
    """The data directory belongs to nobody while initdb runs in it: whatever nobody puts
    there (here, symlinks to a root-owned file, planted as initdb returns) root must not
    write through."""
    precious = tmp_path / "precious"
    precious.write_text("root's own file\n")
    real_run = postgres._run

    def initdb_then_plant(cmd: list, user, log) -> None:
        real_run(cmd, user, log)
        data = Path(cmd[cmd.index("-D") + 1])
        for name in ("pg_hba.conf", "pg_ident.conf"):
            (data / name).unlink()
            (data / name).symlink_to(precious)

    monkeypatch.setattr(postgres, "_run", initdb_then_plant)
    try:
        cluster = postgres.start_cluster()
    finally:  # checked even if the server could not start on what root wrote there
        assert precious.read_text() == "root's own file\n"
    try:
        assert schema.rows(cluster.url(), "SELECT current_user") == [("postgres",)]
    finally:
        cluster.stop()


# -- 2. the per-user base directory ---------------------------------------------------------


def base_made_by(tmp_path: Path, monkeypatch, make: Callable[[Path], None]) -> Path:
    monkeypatch.setenv(postgres.DIR_VARIABLE, str(tmp_path))
    base = tmp_path / f"{postgres.PREFIX}-{os.getuid()}"
    make(base)
    return base


def world_writable(base: Path) -> None:
    base.mkdir()
    base.chmod(0o777)


def a_symlink(base: Path) -> None:
    (base.parent / "elsewhere").mkdir(mode=0o711)
    base.symlink_to(base.parent / "elsewhere")


def another_users(base: Path) -> None:
    base.mkdir(mode=0o711)
    nobody = pwd.getpwnam("nobody")
    os.chown(base, nobody.pw_uid, nobody.pw_gid)


@pytest.mark.parametrize(
    "make",
    [
        world_writable,
        a_symlink,
        pytest.param(another_users, marks=as_root),
    ],
)
def test_a_base_directory_made_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch, make: Callable[[Path], None]
) -> None:
    base = base_made_by(tmp_path, monkeypatch, make)
    with pytest.raises(PostgresError) as error:
        postgres.base_dir()
    message = str(error.value)
    assert f"remove {base}" in message and "\n" not in message


def test_a_base_directory_of_our_own_is_used(tmp_path: Path, monkeypatch) -> None:
    base = base_made_by(tmp_path, monkeypatch, lambda base: base.mkdir(mode=0o711))
    assert postgres.base_dir() == base
    assert postgres.base_dir() == base  # and again, now that it exists


def test_nox_db_says_in_one_line_why_it_cannot_start(tmp_path: Path) -> None:
    world_writable(tmp_path / f"{postgres.PREFIX}-{os.getuid()}")
    env = {**os.environ, postgres.DIR_VARIABLE: str(tmp_path)}
    db = subprocess.run(
        [sys.executable, "-m", "throwaway_pg"], capture_output=True, text=True, env=env
    )
    assert db.returncode == 1
    assert db.stdout == ""
    assert db.stderr.startswith("db: ") and db.stderr.count("\n") == 1, db.stderr


# -- 3. no other process reaches the server, and the pages reach it as scratch only --------


@as_root
def test_the_machines_nobody_cannot_reach_the_server_and_the_pages_get_scratch_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server and the pages both ran as the machine's `nobody`: any process of nobody's
    reached the socket (peer authentication gave it the scratch role), could signal the
    server and read what the pages wrote. Now each has a uid of its own: nobody cannot enter
    the socket's folder, nor signal the server; the pages' user may connect, as the role
    that owns scratch databases (no superuser), never as the admin. (A throwaway server of
    its own, even when the run was given a user's.)"""
    monkeypatch.delenv("THROWAWAY_PG_URL", raising=False)
    server = open_server(None)
    pages = identities.for_pages()
    try:
        nobody = pwd.getpwnam("nobody")
        assert server.cluster.user.uid not in (0, nobody.pw_uid, pages.uid)
        with server.database() as url:
            with pytest.raises(RuntimeError, match="Permission denied"):
                run_as(nobody, connect, url)
            for someone in (nobody, pages):  # nor can the pages
                with pytest.raises(RuntimeError, match="PermissionError"):
                    run_as(someone, os.kill, server.cluster.process.pid, 0)
            with pytest.raises(RuntimeError, match="authentication failed"):
                run_as(pages, connect, server.admin_url)
            assert schema.rows(server.admin_url, "SELECT current_user") == [("postgres",)]
            rights = "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
            query = f"{rights} WHERE rolname = current_user"
            who = run_as(pages, schema.rows, url, query)
            assert who == [("scratch", False, True, False)]  # CREATEDB, as a developer has
    finally:
        server.close()


ANOTHER_RUN_S_PAGE = """
import subprocess, sys
from throwaway_pg import identities, postgres
pages = identities.for_pages()
psql = postgres.runnable_install(pages) / "bin/psql"
said = subprocess.run(pages.command([psql, sys.argv[1], "-tAc", "select 1"]), capture_output=True)
print(said.stdout.decode() + said.stderr.decode())
"""


@as_root
def test_another_run_s_pages_do_not_get_the_scratch_role(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every run's pages could enter every run's socket folder (they shared a group), and
    the server took anyone it did not know for `nobody`, whom it let in as scratch: a page
    found other runs' sockets in /proc/net/unix and dropped their databases. Another
    process's pages are now kept out of the folder, and refused even where it is open."""
    monkeypatch.delenv("THROWAWAY_PG_URL", raising=False)
    server = open_server(None)  # its own: shared_url() opens its socket's folder
    try:
        with server.database() as url:
            for said in ("Permission denied", 'Peer authentication failed for user "scratch"'):
                page = [sys.executable, "-c", ANOTHER_RUN_S_PAGE, url]
                shown = subprocess.run(page, capture_output=True, text=True, timeout=60).stdout
                assert said in shown, shown
                server.shared_url()  # opens the folder to all
    finally:
        server.close()


def test_a_database_is_its_owner_s_and_template1_no_one_s(
    postgres_server: Server, role_url: tuple[str, str]
) -> None:
    """Any role could connect to a scratch database (PUBLIC's default), so one run's role
    read another's on a server both were given; and to template1, whence every later
    "fresh" database copied what a page put there (a large object, default privileges)."""
    other, _ = role_url
    with postgres_server.database() as url:
        name = make_url(url).database
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            psycopg2.connect(with_database(other, name)).close()
    if postgres_server.cluster:  # a throwaway server of ours
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            psycopg2.connect(with_database(postgres_server.owner_url, "template1")).close()


def connect(url: str) -> None:
    psycopg2.connect(url).close()


def connect_with(url: str, passfile: str) -> None:
    """As a page's command connects: with the run's PGPASSFILE in its environment."""
    os.environ["PGPASSFILE"] = passfile
    connect(url)


# -- 4. a password in a URL never reaches the output ----------------------------------------


@pytest.fixture
def role_url(postgres_server: Server) -> Iterator[tuple[str, str]]:
    """A URL with a password, of a role that may create databases, and the password."""
    skip_unless_ours(postgres_server)
    role, password = postgres.scratch_name("r"), postgres.scratch_name("pw")
    try:
        run_sql(
            postgres_server.admin_url, f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'"
        )
    except psycopg2.errors.InsufficientPrivilege:  # a user's server, given as CREATEDB only
        pytest.skip("the server's role may not create roles (CREATEROLE), which this needs")
    admin = make_url(postgres_server.admin_url)
    url = admin.set(username=role, password=password).render_as_string(hide_password=False)
    try:
        yield url, password
    finally:
        run_sql(postgres_server.admin_url, f"DROP ROLE {role}")


def test_a_plus_in_a_password_parameter_is_a_plus(postgres_server: Server) -> None:
    """libpq reads `password=pl+us` as `pl+us`; read as a form (a `+` is a space), the
    password file held `pl us`, and the server refused it."""
    skip_unless_ours(postgres_server)
    role = postgres.scratch_name("r")
    try:
        run_sql(postgres_server.admin_url, f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD 'pl+us27'")
    except psycopg2.errors.InsufficientPrivilege:  # a user's server, given as CREATEDB only
        pytest.skip("the server's role may not create roles (CREATEROLE), which this needs")
    admin = make_url(postgres_server.admin_url).set(username=role, password=None)
    url = admin.render_as_string(hide_password=False) + "&password=pl+us27"
    try:
        server = open_server(url, "a test")
        server.close()
    finally:
        run_sql(postgres_server.admin_url, f"DROP ROLE {role}")


def test_a_failing_test_does_not_show_the_password(
    pytester: pytest.Pytester, role_url: tuple[str, str], monkeypatch
) -> None:
    """Locals, long tracebacks, prints, the environment and a junit report: the password is
    in none, since no URL the harness hands out holds it."""
    url, password = role_url
    pytester.makepyfile(
        """
        import os, psycopg2

        def test_fails(postgres_server, database_url):
            print(database_url, postgres_server.admin_url, dict(os.environ))
            assert database_url == "postgresql://elsewhere", f"{database_url} {os.environ}"

        def test_fails_too(database_url):
            psycopg2.connect(database_url.replace("/t_", "/gone_"))
        """
    )
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    report = pytester.path / "report.xml"
    options = ["-p", "no:cacheprovider", "-l", "--tb=long", f"--junitxml={report}"]
    result = pytester.runpytest_subprocess(*options)
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=2)
    assert "database_url = 'postgresql://r_" in output  # pytest shows the fixture's value
    assert "does not exist" in output  # the connection's error, with its frames' locals
    assert password not in output and password not in report.read_text()


@pytest.mark.parametrize("superuser", [False, True])
def test_a_superuser_s_url_is_said(
    pytester: pytest.Pytester,
    role_url: tuple[str, str],
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
    superuser: bool,
) -> None:
    """A superuser's pages may change anything on the server (ALTER SYSTEM, tablespaces,
    other databases' tables), most of it unseen: the run said nothing of it."""
    url, _ = role_url
    if superuser:
        run_sql(postgres_server.admin_url, f"ALTER ROLE {make_url(url).username} SUPERUSER")
    pytester.makepyfile("def test_any(database_url):\n    pass\n")
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=int(superuser))
    said = "*throwaway_pg: the tests connect to PostgreSQL at postgresql://r_*@* as a superuser: *"
    assert bool(fnmatch.filter(result.stdout.lines, said)) is superuser


def test_opening_a_server_forgets_libpq_s_variables(
    postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tools open a server outside pytest (lab, watch, bench): with a developer's
    PGHOSTADDR, libpq took their connections, password and all, where it said."""
    monkeypatch.setenv("PGHOSTADDR", "127.0.0.1")
    monkeypatch.setenv("PGPORT", "9")
    open_server(postgres_server.admin_url, "a test").close()
    assert not {"PGHOSTADDR", "PGPORT"} & set(os.environ)


def test_what_runs_as_the_reader_to_probe_it_gets_no_secret_of_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finding the reader's Python and checking the server runs as them ran with our
    whole environment, which they read in /proc/PID/environ."""
    from docs_runner import reader

    monkeypatch.setenv("CLOUD_SECRET", "s3cret")
    given = []
    real_run = subprocess.run

    def recording(*args, **kwargs):
        given.append(kwargs.get("env"))
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording)
    nobody = pwd.getpwnam("nobody")  # not root: no pages' user, but the probes run alike
    pages = identities.for_pages() or identities.Identity(nobody.pw_uid, nobody.pw_gid)
    with contextlib.suppress(reader.ReaderError):  # not root: setpriv may not change user
        reader._python_for(pages)
    postgres._can_run(postgres.pg_install(), pages)
    assert given and all(env is not None and "CLOUD_SECRET" not in env for env in given)


def test_a_server_that_only_reads_is_one_line_per_test(
    pytester: pytest.Pytester,
    postgres_server: Server,
    role_url: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A role with CREATEDB on a server that only reads (a standby; here its role's
    default) gave ReadOnlySqlTransaction's traceback in every test."""
    url, password = role_url
    role = make_url(url).username
    run_sql(postgres_server.admin_url, f"ALTER ROLE {role} SET default_transaction_read_only = on")
    pytester.makepyfile("def test_any(database_url):\n    pass\n")
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-l", "--tb=long")
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(errors=1)
    said = f"cannot make a scratch database on PostgreSQL at postgresql://{role}@"
    (line,) = [line for line in output.splitlines() if line.startswith(said)]
    assert line.endswith(": cannot execute CREATE DATABASE in a read-only transaction")
    assert "Traceback" not in output and password not in output


def test_a_page_connects_to_a_users_server_through_the_password_file(
    project: pytest.Pytester,
    recorded: str,
    role_url: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The filter of secret-looking names took PGPASSFILE (PASS) from the pages: every
    connection of theirs to a user's server said `no password supplied`."""
    url, password = role_url
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    text = "# Yours\n\n```console\n$ psql \"$DATABASE_URL\" -tAc 'select 1'\n1\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(passed=3)
    assert password not in result.stdout.str()


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
def test_a_page_that_rewrites_its_password_file_harms_no_one_else(
    project: pytest.Pytester,
    recorded: str,
    role_url: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    executor: str,
) -> None:
    """The pages and the harness read one password file, the pages' to write: a page that
    rewrote it failed every later page, and the harness could not drop its database (or,
    had it changed its role's password and written it there, not set it back). In-process
    (`nox -s update`), too."""
    url, _ = role_url
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    rewrites = '# Rewrites\n\n```console\n$ echo nonsense > "$PGPASSFILE"\n```\n'
    connects = "# Connects\n\n```console\n$ psql \"$DATABASE_URL\" -tAc 'select 1'\n1\n```\n"
    write(project, "a", page(rewrites, recorded))
    write(project, "b", page(connects, recorded))
    result = project.runpytest_inprocess("docs/a.md", "docs/b.md", f"--docs-executor={executor}")
    result.assert_outcomes(passed=6)


@as_root
def test_a_server_the_pages_cannot_reach_is_one_line_before_any_page(
    project: pytest.Pytester, recorded: str, postgres_server: Server, monkeypatch
) -> None:
    """The URL `python -m throwaway_pg` prints (root's socket, peer authentication), given
    as a user's server: every page failed, each with psql's error, as the pages' user may
    not connect where root does (from another process, not even reach the socket). Now one
    line, before any page runs a line."""
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.admin_url)
    text = "# Any\n\n```console\n$ touch ran\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(errors=3)  # the provenance line, the block, its end
    said = result.stdout.str()
    assert said.count("\nthe pages, run as nobody, cannot connect to PostgreSQL at ") == 3
    assert 'failed: FATAL:  Peer authentication failed for user "postgres"; give a server' in said
    assert not (project.path / "ran").exists() and "Traceback" not in said


@as_root
def test_a_password_from_the_user_s_password_file_reaches_the_pages_and_nothing_else(
    project: pytest.Pytester,
    recorded: str,
    role_url: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A URL without its password, which the user's PGPASSFILE holds (as libpq allows):
    the harness connected, and as root every page waited at psql's password prompt, which
    the pages' user may not read, until its timeout. The harness now keeps the password
    libpq sent in a file of its own; the pages get a copy, and no other line of theirs."""
    url, password = role_url
    role = make_url(url).username
    passwords = tmp_path / "pgpass"
    passwords.write_text(f"prod.example:5432:*:admin:production\n*:*:*:{role}:{password}\n")
    passwords.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passwords))
    monkeypatch.setenv("THROWAWAY_PG_URL", url.replace(f":{password}@", "@"))
    text = (
        "# Yours\n\n```console\n$ psql \"$DATABASE_URL\" -tAc 'select 1'\n1\n"
        '$ grep -c production "$PGPASSFILE"  # fails (exit status 1)\n0\n```\n'
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@as_root
def test_the_pages_get_no_copy_of_a_password_file_the_harness_did_not_make(
    project: pytest.Pytester, recorded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page got a copy of whatever file PGPASSFILE named (a developer's, with every
    password in it), read through a link, and from a FIFO without end."""
    passwords = tmp_path / "pgpass"
    passwords.write_text("prod.example:5432:*:admin:production-password\n")
    passwords.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passwords))
    text = (
        '# Theirs\n\n```console\n$ test -r "$PGPASSFILE" && echo readable || echo unreadable\n'
        "unreadable\n```\n"
    )
    result = run(project, text, recorded)
    result.assert_outcomes(passed=3)
    assert "production-password" not in result.stdout.str()


def test_scratch_urls_hold_no_password_yet_connect(role_url: tuple[str, str]) -> None:
    """The password goes to a file of its own (PGPASSFILE) that this run's processes, and
    a page's commands as nobody, read; it is gone when the server is closed."""
    url, password = role_url
    server = open_server(url, "a test")
    passfile = Path(os.environ["PGPASSFILE"])
    try:
        assert oct(passfile.stat().st_mode & 0o777) == "0o600"
        with server.database() as database_url:
            assert password not in database_url + server.admin_url + server.owner_url
            env = {**os.environ, "DATABASE_URL": database_url}
            python = "import os, psycopg2; psycopg2.connect(os.environ['DATABASE_URL']).close()"
            subprocess.run([sys.executable, "-c", python], env=env, check=True)
            if os.getuid() == 0:
                pages_read_their_own_copy(database_url, passfile)
    finally:
        server.close()
    assert not passfile.exists() and "PGPASSFILE" not in os.environ


def pages_read_their_own_copy(database_url: str, passfile: Path) -> None:
    """The pages read a copy of the password file that is theirs (docs_runner.reader), not
    root's, which a page could rewrite (every later connection of the harness's said `no
    password supplied`, and its scratch databases stayed on the user's server)."""
    from docs_runner.reader import passfile_copy

    pages, nobody = identities.for_pages(), pwd.getpwnam("nobody")
    with pytest.raises(RuntimeError, match="no password supplied"):  # root's is root's
        run_as(pages, connect_with, database_url, str(passfile))
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o711)
        copy = passfile_copy(passfile, folder / "pgpass", pages)
        run_as(pages, connect_with, database_url, str(copy))
        # No one else: the socket's folder is closed to them, or (once a test opened it for
        # another process's pages: shared_url) the copy is, which libpq then skips.
        refused = "Permission denied|no password supplied"
        with pytest.raises(RuntimeError, match=refused):
            run_as(nobody, connect_with, database_url, str(copy))
    finally:
        shutil.rmtree(folder)


# The password file's descriptor is swapped for /dev/full's: its writes fail as on a full
# disk (ENOSPC, from the kernel), after the file and its directory were made for real.
ONTO_A_FULL_DISK = """
import os
from pathlib import Path

real_open = os.open


def opening(path, flags, mode=0o777, *, dir_fd=None):
    fd = real_open(path, flags, mode, dir_fd=dir_fd)
    if Path(path).name == "pgpass":
        Path(os.environ["OPENED"]).write_text(str(path))
        full = real_open("/dev/full", os.O_WRONLY)
        os.dup2(full, fd)
        os.close(full)
    return fd


os.open = opening
"""


def test_a_full_disk_at_the_password_file_is_one_line_that_leaves_nothing(
    pytester: pytest.Pytester, role_url: tuple[str, str], monkeypatch
) -> None:
    """The OSError escaped with the URL, password and all, in its frames' arguments (and
    locals, with -l) into the output and the junit file, and left its directory behind."""
    url, password = role_url
    pytester.makeconftest(ONTO_A_FULL_DISK)
    pytester.makepyfile("def test_any(database_url):\n    pass\n")
    monkeypatch.setenv("THROWAWAY_PG_URL", url)
    opened = pytester.path / "opened"
    monkeypatch.setenv("OPENED", str(opened))
    report = pytester.path / "report.xml"
    options = ["-p", "no:cacheprovider", "-l", "--tb=long", f"--junitxml={report}"]
    result = pytester.runpytest_subprocess(*options)
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(errors=1)
    said = "no PostgreSQL for the tests: cannot write the password of postgresql://"
    # Its own line; with CI set, pytest repeats it, whole, in the short summary too.
    (line,) = [line for line in output.splitlines() if line.startswith(said)]
    assert line.endswith(f"No space left on device ({postgres.ROOM})")
    assert "Traceback" not in output and "def " not in output, output
    assert password not in output and password not in report.read_text()
    assert not Path(opened.read_text()).parent.exists()  # its pass-* directory


@pytest.fixture
def tiny_disk() -> Iterator[Callable[[int], Path]]:
    """A tmpfs of so many inodes (its root takes one), unmounted after."""
    mounted: list[Path] = []

    def mount(inodes: int) -> Path:
        path = Path(tempfile.mkdtemp(prefix="tiny-"))
        options = f"size=8k,nr_inodes={inodes},mode=0755"
        if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path]).returncode:
            path.rmdir()
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", "--lazy", path], check=True)  # even if a descriptor is left open
        path.rmdir()


@as_root
@pytest.mark.parametrize(
    ("inodes", "fails_at"), [(4, "owner.lock"), (5, "pgpass")], ids=["its-lock", "its-file"]
)
def test_no_inode_left_for_the_password_file_is_one_line_that_leaves_nothing(
    tiny_disk: Callable[[int], Path], inodes: int, fails_at: str, monkeypatch
) -> None:
    """The base directory, the registry's lock and the password file's directory fit; then
    its lock, or the file itself, has no inode left (ENOSPC, as the attack's tmpfs)."""
    disk = tiny_disk(inodes)
    monkeypatch.setenv(postgres.DIR_VARIABLE, str(disk))
    with pytest.raises(PostgresError) as error:
        open_server("postgresql://u:s3cret@/db?host=/nowhere", "a test")
    assert str(error.value).endswith(f"No space left on device ({postgres.ROOM})")
    assert "s3cret" not in str(error.value)
    base = postgres.base_dir()
    assert sorted(path.name for path in base.iterdir()) == ["registry.lock"], fails_at


def test_a_failure_once_connected_is_one_line_that_leaves_nothing(
    role_url: tuple[str, str], monkeypatch
) -> None:
    """The question whether the role may create databases fails (here, a statement
    timeout): it was a driver error out of open_server, its URL in the frames."""
    url, password = role_url
    monkeypatch.setattr("throwaway_pg.server.MAY_CREATE", "SELECT pg_sleep(5)")
    monkeypatch.setitem(driver.TIMEOUTS, "options", "-c statement_timeout=50ms")
    monkeypatch.delenv("PGPASSFILE", raising=False)
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    message = str(error.value)
    assert message.startswith(f"cannot ask {shown(url)} (a test) about its role: ")
    assert "statement timeout" in message and "\n" not in message
    assert password not in message and "PGPASSFILE" not in os.environ


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@/db?host=/tmp&password=a&password=b",
        "postgresql://u:a@/db?host=/tmp&password=b",
        "postgresql://u@/db?host=/tmp&password=a&pass%77ord=b",
    ],
)
def test_a_password_given_twice_is_refused(url: str) -> None:
    """The file held `('a', 'b')`, and authentication failed without saying why."""
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    assert str(error.value) == (
        "a test gives a password twice (before the host and as `password=`, or `password=` "
        "twice), which libpq and SQLAlchemy read differently: keep one"
    )


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("postgresql://u@/db?host=/tmp&sslpassword=s3cret", "sslpassword"),
        ("postgresql://u@/db?host=/tmp&password=pw&sslpass%77ord=s3cret", "sslpassword"),
        ("postgresql://u@/db?host=/tmp&oauth_client_secret=s3cret", "oauth_client_secret"),
    ],
)
def test_a_secret_other_than_the_password_is_refused(url: str, key: str) -> None:
    """libpq reads a key's passphrase, or libpq 18's OAuth client secret, from no file:
    moved nowhere, it stayed in every scratch URL, and so in a page's `echo
    $DATABASE_URL` and a test's `-l` locals (the OAuth secret in messages too)."""
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    message = str(error.value)
    assert message.startswith(f"a test gives a secret (`{key}=`), which every scratch URL")
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@/postgres?application_name=a#&host=/elsewhere&password=s3cret",
        "postgresql://u@/x#?dbname=postgres&host=/elsewhere",
    ],
)
def test_a_hash_after_the_host_is_refused(url: str) -> None:
    """libpq reads a # as any other character, urllib and SQLAlchemy as the URL's end:
    what came after it (a password, `host=`, `dbname=`) passed every check unseen, the
    password stayed in the URL, and libpq connected where it said."""
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    assert str(error.value).startswith("a test has a # after its host: ")
    assert holds_secret(url) == ("password" in url)  # so --postgres-url refuses the first


@pytest.mark.parametrize(
    "url",
    ["postgresql://dev:Pa55@w0rd-tail@db.example.com/app", "postgresql://dev/ops:s3cret@db/app"],
)
def test_a_user_part_not_read_as_meant_is_shown_as_stars(url: str) -> None:
    """The report header showed `dev:***@w0rd-tail@db...` (the tail of a password with a
    raw @), or the whole URL where SQLAlchemy found no password (`dev/ops:s3cret`)."""
    assert shown(url) == f"postgresql://***@{url.rsplit('@', 1)[1]}"


@pytest.mark.parametrize(
    ("password", "named", "encoded"),
    [("p@ss", "an @", "%40"), ("p#ss", "a #", "%23"), ("p?ss", "a ?", "%3F"),
     ("p/ss", "a /", "%2F"), ("p[ss", "a [", "%5B")],
)  # fmt: skip
def test_a_raw_separator_in_the_password_is_one_line_without_the_url(
    password: str, named: str, encoded: str
) -> None:
    """Read raw, `#` or `?` ended the user part: the rest of the password became the
    URL's fragment or query, stayed in every URL handed out, and a URL naming the user's
    own database (`.../victim?...`) was taken for a scratch one and dropped."""
    with pytest.raises(PostgresError) as error:
        open_server(f"postgresql://u:{password}@/victim?host=/tmp", "THROWAWAY_PG_URL")
    assert str(error.value) == (
        f"THROWAWAY_PG_URL has {named} in its user or password: percent-encode it "
        f"({encoded}), or the URL is read otherwise than meant"
    )


@pytest.mark.parametrize(
    ("url", "stripped", "line"),
    [
        (
            "postgresql://u:s3:c\\r@/db?host=/tmp",
            "postgresql://u@/db?host=/tmp",
            "*:*:*:u:s3\\:c\\\\r",
        ),
        (
            "postgresql://u@/db?host=/tmp&password=s3cret",
            "postgresql://u@/db?host=/tmp",
            "*:*:*:u:s3cret",
        ),
        (
            "postgresql://u@/db?host=/tmp&pass%77ord=s3cret",
            "postgresql://u@/db?host=/tmp",
            "*:*:*:u:s3cret",
        ),
        (
            "postgresql:///db?host=/tmp&user=u&password=s3cret",
            "postgresql:///db?host=/tmp&user=u",
            "*:*:*:*:s3cret",
        ),
    ],
    ids=["in-the-url", "as-a-parameter", "its-name-encoded", "libpq-s-form"],
)
def test_a_password_moves_to_its_file_as_libpq_reads_it(
    url: str, stripped: str, line: str, monkeypatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", "/home/someone/.pgpass")  # a developer's own
    without, passfile = Passfile.taking(url)
    try:
        assert without == stripped
        assert (passfile.directory / "pgpass").read_text() == line + "\n"
    finally:
        passfile.remove()
    assert os.environ["PGPASSFILE"] == "/home/someone/.pgpass"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("postgresql://u:pw@localhost:abc/db", "its port is not a number"),
        ("mysql://u:pw@localhost/db", "a mysql URL, not PostgreSQL"),
        ("not a url", "not a database URL"),
        ("postgresql://u:pw@h]/db", "Invalid IPv6 URL"),  # urllib's, after SQLAlchemy's
        ("postgresql://u:pw@[abc]/db", "does not appear to be an IPv4 or IPv6 address"),
        # the driver's UnicodeDecodeError: 3,200 lines, the URL's password in its frames
        ("postgresql://u:pw@h/db?application_name=%FF", "a percent-encoded byte in it is"),
        ("postgresql://u%E2%28:pw@h/db", "a percent-encoded byte in it is not UTF-8"),
        ("postgresql://u:pw@h/d%FFb", "a percent-encoded byte in it is not UTF-8"),
    ],
)
def test_a_url_that_is_not_postgresqls_is_one_line(url: str, reason: str) -> None:
    with pytest.raises(PostgresError) as error:
        open_server(url, "THROWAWAY_PG_URL")
    message = str(error.value)
    assert message.startswith("THROWAWAY_PG_URL is not a PostgreSQL URL") and reason in message
    assert "pw" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("host=/sock&dbname=precious", "`dbname=` in its query"),
        ("host=/sock&dbname=", "`dbname=` in its query"),  # libpq: the user's database
        ("host=/sock&%64bname=precious", "`dbname=` in its query"),
        ("service=prod", "`service=` in its query"),
        ("host=/sock&servicefile=/etc/pg_service.conf", "`servicefile=` in its query"),
        ("host=/a,/b", "several hosts"),  # the harness on one, a page on the other
        ("host=/sock&hostaddr=10.0.0.1,10.0.0.2", "several hosts"),
        ("host=/sock&load_balance_hosts=random", "`load_balance_hosts=` in its query"),
    ],
)
def test_a_url_whose_query_names_another_database_is_refused(
    postgres_server: Server, query: str, named: str
) -> None:
    """Every scratch URL is made by rewriting the path, and libpq lets `dbname=` (or a
    service) win over the path: such a URL would put the pages' migrations in the user's
    real database. Refused before anything connects, in one line."""
    with pytest.raises(PostgresError) as error:
        open_server(f"postgresql://u:pw@/postgres?{query}", "THROWAWAY_PG_URL")
    message = str(error.value)
    assert message.startswith(f"THROWAWAY_PG_URL names {named}: scratch databases are made")
    assert "pw" not in message and "\n" not in message
    socket_only = urlsplit(postgres_server.owner_url).query  # host=DIR: allowed, as always
    open_server(f"{postgres_server.owner_url.split('?')[0]}?{socket_only}").close()


def test_a_url_whose_query_names_its_role_is_refused() -> None:
    """libpq lets `user=` win over the user before the @, whose line the password file
    holds: every connection said `no password supplied`."""
    with pytest.raises(PostgresError) as error:
        open_server("postgresql://u:pw@/postgres?host=/sock&user=alice", "THROWAWAY_PG_URL")
    assert str(error.value) == (
        "THROWAWAY_PG_URL names its role in its query (`user=`): put it before the @, as in"
        " postgresql://user:password@host:5432/dbname"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db.example.com/app?host=other.example.com",
        "postgresql://u@db.example.com/app?host=",  # libpq: the default socket, not db.
        "postgresql://u@/app?host=/sock&host=/other",  # libpq: the last; SQLAlchemy: the first
        "postgresql://u@/app?host=/sock&hostaddr=10.0.0.1",
    ],
    ids=["before-and-after", "empty-after", "twice-after", "host-and-hostaddr"],
)
def test_a_url_with_two_hosts_is_refused(url: str) -> None:
    """Where libpq and SQLAlchemy would read another host, the harness and the pages
    would work on different servers."""
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    assert str(error.value).startswith("a test names a host twice (before the path and as `host=`")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:pw@%2Fnonexistent%2C%2Ftmp/postgres",  # libpq: two sockets
        "postgresql://u:pw@one.example.com%2Ctwo.example.com/postgres",
        "postgresql://u@/postgres?host=%2Fnonexistent%2C%2Ftmp",
        "postgresql://u@/postgres?host=/tmp&port=5432%2C5433",
        "postgresql://u@/postgres?host=/tmp&%70ort=5432,5433",
    ],
    ids=["socket-encoded", "host-encoded", "query-host-encoded", "port-encoded", "key-encoded"],
)
def test_several_hosts_are_refused_however_the_comma_is_written(url: str) -> None:
    """libpq decodes a host or port, then splits it on commas: `%2C` is a comma. The first
    was taken for one host, its scratch databases made there, and psql tried the next."""
    with pytest.raises(PostgresError) as error:
        open_server(url, "a test")
    assert str(error.value).startswith("a test names several hosts: ")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@/db?host=/tmp&PASSWORD=s3cret",  # libpq refuses it, and says so
        "postgresql://u@/db?host=/tmp&sslpassword=s3cret",  # a client key's passphrase
        "postgresql://u:s3cret@/db?host=/tmp&sslpassword=s3cret",
        "postgresql://u@/db?host=/tmp&oauth_client_secret=s3cret",
    ],
)
def test_messages_show_no_password_under_any_name(url: str) -> None:
    assert "s3cret" not in shown(url) and "***" in shown(url)


def test_a_host_that_does_not_resolve_is_one_line() -> None:
    with pytest.raises(PostgresError) as error:
        open_server("postgresql://u:pw@nowhere.invalid/db", "THROWAWAY_PG_URL")
    message = str(error.value)
    assert "cannot connect to postgresql://u:***@nowhere.invalid/db" in message
    assert "could not translate host name" in message and "\n" not in message


def test_a_role_that_may_not_create_databases_is_one_line(
    postgres_server: Server, role_url: tuple[str, str]
) -> None:
    url, password = role_url
    role = make_url(url).username
    run_sql(postgres_server.admin_url, f"ALTER ROLE {role} NOCREATEDB")
    with pytest.raises(PostgresError) as error:
        open_server(url, "THROWAWAY_PG_URL")
    message = str(error.value)
    assert message.startswith(f"the role {role} of postgresql://{role}:***@")
    assert message.endswith(
        "may not create databases: each page and test gets a scratch "
        "database of its own; grant it CREATEDB"
    )
    assert password not in message and "\n" not in message


def test_a_wrong_password_is_one_line(role_url: tuple[str, str]) -> None:
    url, password = role_url
    with pytest.raises(PostgresError) as error:
        open_server(url.replace(password, "wrong"), "THROWAWAY_PG_URL")
    message = str(error.value)
    assert "password authentication failed" in message and "\n" not in message
    assert "wrong" not in message


def test_a_server_that_never_answers_is_one_line_after_the_timeout() -> None:
    """A port that accepts connections and then says nothing (as a host dropping packets
    behind a proxy does): without a timeout, the run would wait forever. In a child
    process, which a hang cannot take the suite with."""
    with socket.create_server(("127.0.0.1", 0), backlog=1) as silent:  # never accepts
        url = f"postgresql://u:pw@127.0.0.1:{silent.getsockname()[1]}/db"
        code = (
            "from throwaway_pg import server; server.CONNECT_TIMEOUT = 1; "
            f"server.open_server({url!r}, 'THROWAWAY_PG_URL')"
        )
        child = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
    last = child.stderr.strip().splitlines()[-1]
    assert last.startswith("throwaway_pg.postgres.PostgresError: cannot connect to "), last
    assert "u:***@127.0.0.1" in last and "timeout expired" in last


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


def test_a_server_that_exits_at_start_is_named_by_its_fatal_line(tmp_path: Path) -> None:
    """Not by its last line, which says only that it shut down."""
    (tmp_path / "data").mkdir()
    (tmp_path / "server.log").write_text(
        "2026-12-07 10:00:00.000 UTC [1] LOG:  Unix-domain socket path is too long\n"
        "2026-12-07 10:00:00.000 UTC [1] FATAL:  could not create any Unix-domain sockets\n"
        "2026-12-07 10:00:00.000 UTC [1] LOG:  database system is shut down\n"
    )
    cluster = postgres.Cluster(tmp_path, subprocess.Popen(["false"]), -1, tmp_path, 0.0)
    with pytest.raises(PostgresError) as error:
        postgres._wait_ready(cluster)
    assert str(error.value).endswith(": could not create any Unix-domain sockets")


def test_a_base_directory_too_deep_for_a_socket_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said before anything starts, naming the setting; nothing is left behind."""
    deep = tmp_path / ("d" * 70)
    deep.mkdir()
    monkeypatch.setenv(postgres.DIR_VARIABLE, str(deep))
    with pytest.raises(PostgresError) as error:
        postgres.start_cluster()
    assert "is too deep for the server's socket" in str(error.value)
    assert f"set {postgres.DIR_VARIABLE} to a shorter directory" in str(error.value)
    assert [p.name for p in deep.rglob("*") if "cluster-" in p.name] == []


def test_the_harness_s_own_connections_time_out(database_url: str, monkeypatch) -> None:
    """A statement stuck behind a lock, or a server gone silent, fails the run instead of
    holding it: every connection of the harness's own has a statement timeout (60 s;
    shortened here) and a connect timeout."""
    monkeypatch.setitem(driver.TIMEOUTS, "options", "-c statement_timeout=50ms")
    with (
        pytest.raises(driver.Error, match="statement timeout"),
        postgres.admin_connection(database_url) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("SELECT pg_sleep(5)")
    with pytest.raises(Exception, match="statement timeout"):
        schema.rows(database_url, "SELECT pg_sleep(5)")
    assert driver.TIMEOUTS["connect_timeout"] == 10


@pytest.mark.parametrize("trap", ["fifo", "link-to-dev-zero", "huge"])
def test_a_trap_in_the_server_users_directory_never_hangs_root(trap: str) -> None:
    """postmaster.pid lives in a directory the server user (nobody) owns: a FIFO there
    would block a plain read for ever (holding the registry lock, so every later run
    hangs), a link to /dev/zero would read without end. An orphan cluster holding one is
    swept at once."""
    orphan = Path(tempfile.mkdtemp(prefix="cluster-", dir=postgres.base_dir()))
    (orphan / "owner.lock").touch()  # nobody holds it: an orphan
    (orphan / "data").mkdir()
    pidfile = orphan / "data/postmaster.pid"
    if trap == "fifo":
        os.mkfifo(pidfile)
    elif trap == "link-to-dev-zero":
        pidfile.symlink_to("/dev/zero")
    else:
        pidfile.write_text("1" * 10_000_000)
    sweep = threading.Thread(target=postgres.sweep_orphans, daemon=True)
    sweep.start()
    sweep.join(timeout=10)
    assert not sweep.is_alive(), "the sweep hung on the trap"
    assert not orphan.exists()


def test_a_role_that_may_not_end_another_s_session_drops_its_database_without_force(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """On a user's server the role is no superuser: `WITH (FORCE)` may not end another
    role's session (autovacuum's, which a plain DROP DATABASE stops by itself). The drop
    then ends its own role's sessions and drops without FORCE; a session it may not end
    still refuses it, saying so."""
    url, _ = role_url
    server = open_server(url, "a test")

    def in_database(admin_url: str):  # noqa: ANN202 - a psycopg2 connection
        return psycopg2.connect(make_url(admin_url).set(database=name).render_as_string(False))

    try:
        name = make_url(server.create_database()).database
        own, superuser = in_database(server.admin_url), in_database(postgres_server.admin_url)
        with pytest.raises(psycopg2.errors.ObjectInUse, match="being accessed by other users"):
            postgres.drop_database(server.admin_url, name)  # not 42501: the plain DROP ran
        with pytest.raises(psycopg2.OperationalError):  # its own session was ended
            own.cursor().execute("SELECT 1")
        superuser.close()
        postgres.drop_database(server.admin_url, name)
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert cur.fetchone() == (0,)
    finally:
        server.close()


def test_libpq_s_url_without_a_host_part_keeps_its_form() -> None:
    """urllib drops `//` with no host for a scheme it does not know: every scratch URL
    became `postgresql:/t_...`, which nothing could parse, and teardown left them all."""
    url = "postgresql:///app?host=/sock&user=u"
    assert with_database(url, "t_x") == "postgresql:///t_x?host=/sock&user=u"
    assert make_url(with_database(url, "t_x")).database == "t_x"


def test_a_stopped_initdb_is_killed_at_the_start_timeout(tmp_path: Path, monkeypatch) -> None:
    """The server user may SIGSTOP initdb (it runs as them): start-up still ends in time."""
    monkeypatch.setattr(postgres, "START_TIMEOUT", 1.0)
    started = time.monotonic()
    with open(tmp_path / "log", "wb") as log, pytest.raises(PostgresError) as error:
        postgres._run(["sh", "-c", "kill -STOP $$"], None, log)
    assert time.monotonic() - started < 10
    assert str(error.value).startswith("sh did not finish in 1 s in ")


@pytest.mark.parametrize("log", ["a file", "/dev/full"])
def test_a_full_disk_at_initdb_is_named_though_initdb_says_more_after(
    log: str, tmp_path: Path
) -> None:
    """Its line was looked for in the log, on the disk that is full: the log may not have
    it. Its output is read first, then written to the log."""
    script = "echo '[1] FATAL:  could not write: No space left on device'; " + "echo rm; " * 4
    path = tmp_path / "log" if log == "a file" else Path(log)
    with open(path, "wb") as file, pytest.raises(PostgresError) as error:
        postgres._run(["sh", "-c", script + "exit 1"], None, file)
    assert str(error.value).endswith(
        f": could not write: No space left on device ({postgres.ROOM})"
    )
    if log == "a file":
        assert path.read_text().startswith("[1] FATAL:  could not write")


@pytest.mark.parametrize("parent", ["/proc", "/sys/kernel"])
def test_a_base_directory_where_nothing_can_be_made_is_one_line(parent: str, monkeypatch) -> None:
    monkeypatch.setenv(postgres.DIR_VARIABLE, parent)
    with pytest.raises(PostgresError) as error:
        postgres.base_dir()
    assert str(error.value).startswith(f"cannot make {parent}/{postgres.PREFIX}-")


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only as root")
def test_a_base_directory_the_server_s_user_cannot_enter_is_named(monkeypatch) -> None:
    """Under a home only root may enter (0700), initdb failed with its banner's last lines
    first: `Data page checksums are enabled. |  | initdb: error: ...`."""
    shut = Path(tempfile.mkdtemp(prefix="home-"))  # 0700; short, for the socket's path
    (shut / "db").mkdir()
    monkeypatch.setenv(postgres.DIR_VARIABLE, str(shut / "db"))
    try:
        with pytest.raises(PostgresError) as error:
            postgres.start_cluster()
        assert list((shut / "db").rglob("cluster-*")) == []
    finally:
        shutil.rmtree(shut)
    said = str(error.value)
    assert said.startswith(f"initdb failed in {shut}/db/{postgres.PREFIX}-0: initdb: error: ")
    assert said.endswith(
        f": Permission denied (it runs as another user, whom {shut} keeps out: set"
        f" {postgres.DIR_VARIABLE} to a directory every user may enter)"
    )


# -- 7. what is done as the pages' role outlives nothing watched ---------------------------


def test_a_setting_on_the_user_s_own_database_is_undone(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """Only the role's settings were read: `ALTER DATABASE <the user's own> SET
    default_transaction_read_only = on` outlived the run on a user's server, and every
    later run failed there."""
    url, _ = role_url
    server = open_server(url, "a test")
    own = postgres.scratch_name("own")  # the user's, no scratch database
    database_settings = (
        "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
        f" WHERE s.setrole = 0 AND d.datname = '{own}'"
    )
    try:
        postgres.create_database(server.admin_url, own)
        said = left_by(server, f"ALTER DATABASE {own} SET default_transaction_read_only = on")
        assert said == (
            f"settings changed (ALTER DATABASE {own} SET default_transaction_read_only), reset"
        )
        assert schema.rows(postgres_server.admin_url, database_settings) == [(0,)]
    finally:
        postgres.drop_database(postgres_server.admin_url, own)
        server.close()


@pytest.fixture
def odd_password_url(role_url: tuple[str, str], postgres_server: Server) -> str:
    """role_url's role, with a password a password file escapes (`:` and `\\`)."""
    url, _ = role_url
    role, password = make_url(url).username, "co:lon\\back"
    with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
        cur.execute(f"ALTER ROLE {role} PASSWORD %s", (password,))
    return make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.mark.parametrize("log", ["none", "ddl"])
def test_a_password_a_page_changes_is_set_back_and_never_sent_in_clear(
    log: str, odd_password_url: str, postgres_server: Server
) -> None:
    """A page may change its role's password on a user's server (`ALTER ROLE CURRENT_USER
    PASSWORD`): the user's own, and every later connection failed. The connection held
    across the page sets it back, as the server stores it: a server that logs DDL keeps
    no password in clear."""
    server = open_server(odd_password_url, "a test")
    role = make_url(odd_password_url).username
    try:
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(f"ALTER ROLE {role} SET log_statement = %s", (log,))
        with (
            pytest.raises(LeftOnServer) as left,
            server.watching(),
            postgres.admin_connection(server.admin_url) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("ALTER ROLE CURRENT_USER PASSWORD 'the page''s'")
        assert str(left.value) == "the role's password changed (ALTER ROLE ... PASSWORD), set back"
        driver.connect(server.admin_url).close()  # the password file's password gets in
    finally:
        server.close()
        run_sql(postgres_server.admin_url, f"ALTER ROLE {role} RESET log_statement")
    if postgres_server.cluster:  # a throwaway server: its log is here
        kept = postgres.log_tail(postgres_server.cluster.path / "server.log")
        assert (f'ALTER ROLE "{role}" PASSWORD \'SCRAM'.encode() in kept) is (log == "ddl")
        assert b"co:lon" not in kept


def test_a_password_that_cannot_be_set_back_is_one_line(odd_password_url: str) -> None:
    """A page that also ends the connection held across it (its role may end its own
    sessions) leaves the password changed: one line says so, and how to set it back."""
    server = open_server(odd_password_url, "a test")
    try:
        with (
            pytest.raises(PostgresError) as error,
            server.watching(),
            postgres.admin_connection(server.admin_url) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("ALTER ROLE CURRENT_USER PASSWORD 'the page''s'")
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = current_user AND pid <> pg_backend_pid()"
            )
        said = str(error.value)
        assert said.startswith("the role's password no longer gets into PostgreSQL at ")
        assert "a page changed it? Set it back with ALTER ROLE ... PASSWORD; " in said
        assert "; cannot undo what was left on PostgreSQL at " in said  # with a new connection
        assert "\n" not in said
    finally:
        server.close()


def test_what_a_page_does_to_the_user_s_own_databases_is_set_back(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A page renamed the user's database (the harness took it for one the page made, and
    dropped it, data and all), locked it (ALLOW_CONNECTIONS false, CONNECTION LIMIT 0,
    CONNECT revoked: every later run failed), made another a template (any role may copy
    it), changed its comment, or dropped one: all set back, and a drop named."""
    url, _ = role_url
    server = open_server(url, "a test")
    kept, locked, gone = (postgres.scratch_name(prefix) for prefix in ("kept", "lock", "gone"))
    odd = f"a=b{os.getpid()}"
    statements = [
        f"ALTER DATABASE {kept} RENAME TO stash",
        f"ALTER DATABASE {locked} WITH ALLOW_CONNECTIONS false CONNECTION LIMIT 0 IS_TEMPLATE true",
        f"REVOKE ALL ON DATABASE {locked} FROM PUBLIC, CURRENT_USER",
        f"COMMENT ON DATABASE {locked} IS 'the page''s'",
        f"DROP DATABASE {gone}",
    ]
    try:
        for name in (kept, locked, gone):
            postgres.create_database(server.admin_url, name)
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(f"GRANT CONNECT ON DATABASE {locked} TO PUBLIC")
            cur.execute(f"COMMENT ON DATABASE {locked} IS 'the user''s'")
            # aclitem text leaves `a=b` unquoted: the restore split it there and failed
            cur.execute(f'CREATE ROLE "{odd}"; GRANT CONNECT ON DATABASE {locked} TO "{odd}"')
        before = database_state(postgres_server, locked)
        assert left_by(server, *statements) == (
            f"a database {kept} renamed to stash, renamed back; the database {locked} changed"
            f" (ALTER DATABASE...), set back; databases dropped ({gone}): they cannot be put back"
        )
        assert database_state(postgres_server, locked) == before
        driver.connect(with_database(server.admin_url, locked)).close()
        driver.connect(with_database(server.admin_url, kept)).close()
    finally:
        for name in (kept, "stash", locked):
            postgres.drop_database(postgres_server.admin_url, name)
        run_sql(postgres_server.admin_url, f'DROP ROLE IF EXISTS "{odd}"')
        server.close()


def test_the_url_s_own_database_locked_by_a_page_is_unlocked(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """The restore connected anew to the URL's database, which the page had closed to new
    connections: it said only that the scratch database could not be dropped, and every
    later run failed there. The connection held across the page unlocks it."""
    url, _ = role_url
    home = postgres.scratch_name("home")
    role = make_url(url).username
    run_sql(postgres_server.admin_url, f"CREATE DATABASE {home} OWNER {role}")
    server = open_server(with_database(url, home), "a test")
    try:
        with (
            pytest.raises(LeftOnServer) as left,
            server.database() as scratch_url,  # where the page is
            server.watching(),
            postgres.admin_connection(scratch_url) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(f"ALTER DATABASE {home} ALLOW_CONNECTIONS false")
            cur.execute(f"REVOKE ALL ON DATABASE {home} FROM PUBLIC, CURRENT_USER")
        assert str(left.value) == f"the database {home} changed (ALTER DATABASE...), set back"
        driver.connect(server.admin_url).close()
    finally:
        server.close()
        postgres.drop_database(postgres_server.admin_url, home)


def test_a_database_given_a_scratch_database_s_name_is_not_the_one_dropped(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """The harness dropped a page's scratch database by name: a page that moved it away,
    gave the user's database its name and took the user's name (so that neither could be
    renamed back) had the user's dropped, table and all. It is dropped by its oid."""
    url, _ = role_url
    server = open_server(url, "a test")
    prod, away = postgres.scratch_name("prod"), f"away_{os.getpid()}"
    user_s = postgres.create_database(server.admin_url, prod)
    scratch = ""
    try:
        with pytest.raises(LeftOnServer) as left, beside_its_database(server) as (cur, scratch):
            cur.execute("SELECT oid FROM pg_database WHERE datname = %s", (scratch,))
            (scratch_s,) = cur.fetchone()
            cur.execute(f"ALTER DATABASE {scratch} RENAME TO {away}")
            cur.execute(f"ALTER DATABASE {prod} RENAME TO {scratch}")
            cur.execute(f"CREATE DATABASE {prod}")
        assert f"a database {prod} renamed to {scratch}, not renamed back" in str(left.value)
        assert postgres.database_named(postgres_server.admin_url, user_s) == scratch  # kept
        assert postgres.database_named(postgres_server.admin_url, scratch_s) is None  # dropped
    finally:
        for name in (prod, scratch, away):
            postgres.drop_database(postgres_server.admin_url, name)
        server.close()


def test_two_databases_a_page_swapped_are_both_renamed_back(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A page gave the user's database a scratch database's name, and its own the user's:
    renamed back in one pass, the user's could not be (its name was taken), and kept a
    scratch database's name, which later runs pass over."""
    url, _ = role_url
    server = open_server(url, "a test")
    prod, like_scratch = postgres.scratch_name("prod"), postgres.scratch_name()
    user_s = postgres.create_database(server.admin_url, prod)
    try:
        with pytest.raises(LeftOnServer) as left, beside_its_database(server) as (cur, scratch):
            cur.execute(f"ALTER DATABASE {prod} RENAME TO {like_scratch}")
            cur.execute(f"ALTER DATABASE {scratch} RENAME TO {prod}")
        assert f"a database {prod} renamed to {like_scratch}, renamed back" in str(left.value)
        assert f"a database {scratch} renamed to {prod}, renamed back" in str(left.value)
        assert postgres.database_named(postgres_server.admin_url, user_s) == prod
    finally:
        for name in (prod, like_scratch):
            postgres.drop_database(postgres_server.admin_url, name)
        server.close()


@contextlib.contextmanager
def beside_its_database(server: Server) -> Iterator[tuple[psycopg2.extensions.cursor, str]]:
    """A page's session as the URL's role, watched, and the name of its scratch database."""
    with (
        server.database() as scratch_url,
        server.watching(),
        postgres.admin_connection(server.admin_url) as conn,
        conn.cursor() as cur,
    ):
        yield cur, make_url(scratch_url).database


def run_sql(url: str, *statements: str) -> None:
    """Run `statements` on `url`, one after the other, each committed."""
    with postgres.admin_connection(url) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def left_by(server: Server, *statements: str, as_admin: Server | None = None) -> str:
    """What `watching` says a page left that ran `statements` as the URL's role (or as
    `as_admin`'s admin, another role)."""
    with (
        pytest.raises(LeftOnServer) as left,
        server.watching(),
        postgres.admin_connection((as_admin or server).admin_url) as conn,
        conn.cursor() as cur,
    ):
        for statement in statements:
            cur.execute(statement)
    return str(left.value)


def database_state(server: Server, name: str) -> list[tuple]:
    """What a page may change of a database, as the server's admin sees it ([]: none)."""
    query = (
        "SELECT datallowconn, datconnlimit, datistemplate,"
        " ARRAY(SELECT unnest(datacl)::text ORDER BY 1), shobj_description(oid, 'pg_database')"
        " FROM pg_database WHERE datname = %s"
    )
    with postgres.admin_connection(server.admin_url) as conn, conn.cursor() as cur:
        cur.execute(query, (name,))
        return cur.fetchall()


def test_a_page_s_database_under_a_scratch_name_is_dropped_on_the_harness_s_server(
    postgres_server: Server,
) -> None:
    """Any name of the scratch databases' shape was taken for the harness's: a page's
    database under one was kept, and a later page read it. On its own server the harness
    knows the names it made."""
    if postgres_server.cluster is None:
        pytest.skip("a user's server: other runs make scratch databases there")
    name = "t_000000000000"
    with (
        pytest.raises(LeftOnServer) as left,
        postgres_server.watching(),
        postgres.admin_connection(postgres_server.owner_url) as conn,
        conn.cursor() as cur,
    ):
        postgres_server.create_database()  # the harness's, for this page or another
        cur.execute(f"CREATE DATABASE {name}")
    assert str(left.value) == f"a database {name} it made, dropped"


def test_a_scratch_database_made_a_template_is_dropped(postgres_server: Server) -> None:
    """DROP DATABASE refuses a template: a page that made its own one was left, for any
    role to copy."""
    with (
        postgres_server.database() as url,
        postgres.admin_connection(url) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(f"ALTER DATABASE {make_url(url).database} IS_TEMPLATE true")
    assert database_state(postgres_server, make_url(url).database) == []


def test_what_the_role_leaves_is_undone_and_only_that(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """On a user's server (a role that is no superuser, here with its own database already),
    `watching` undoes what was done as the role: its session defaults, even one that makes
    its own connections read-only. A database made as the role meanwhile is named, not
    dropped: the user may have made it, in another terminal. Scratch databases made beside
    it (other pages'), databases of other roles and the role's own from before stay."""
    url, _ = role_url
    server = open_server(url, "a test")
    role = make_url(url).username
    own, odd = postgres.scratch_name("own"), "odd\nname"
    others: list[str] = []

    def as_admin(statement: str) -> list[tuple]:
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(statement)
            return cur.fetchall() if cur.description else []

    def names() -> set[str]:
        return {name for (name,) in as_admin("SELECT datname FROM pg_database")}

    try:
        postgres.create_database(server.admin_url, own)
        with pytest.raises(LeftOnServer) as left, server.watching():
            others.append(make_url(server.create_database()).database)  # another page's
            others.append(postgres.scratch_name("theirs"))  # another role's
            postgres.create_database(postgres_server.admin_url, others[-1])
            with postgres.admin_connection(server.admin_url) as conn, conn.cursor() as cur:
                cur.execute('CREATE DATABASE "odd\nname"')
                cur.execute("ALTER ROLE CURRENT_USER SET default_transaction_read_only = on")
        assert str(left.value) == (
            f"the role {role}'s settings changed (ALTER ROLE ... SET "
            "default_transaction_read_only), reset; databases made as this role while it ran "
            "('odd\\nname'), kept: on your server they may be yours; drop those that are the page's"
        )
        assert {odd, own, *others} <= names()
        settings = f"SELECT count(*) FROM pg_db_role_setting WHERE setrole = '{role}'::regrole"
        assert as_admin(settings) == [(0,)]
    finally:
        as_admin(f"ALTER ROLE {role} RESET ALL")
        for name in (own, odd, *others):
            postgres.drop_database(postgres_server.admin_url, name)
        server.close()


@pytest.fixture
def preparing_url(monkeypatch) -> Iterator[tuple[str, str]]:
    """(URL, admin URL) of a server that allows prepared transactions, as a team's server
    may (a throwaway one, started so): the URL's role, with a password, may create
    databases, owns one of its own (its name the URL's), and is a member of `team`."""
    monkeypatch.setitem(postgres.SETTINGS, "max_prepared_transactions", "4")
    cluster = postgres.start_cluster()
    try:
        role, password = postgres.scratch_name("r"), postgres.scratch_name("pw")
        with postgres.admin_connection(cluster.url()) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'")
            cur.execute(f"CREATE DATABASE {role} OWNER {role}")
            cur.execute(f"CREATE ROLE team; GRANT team TO {role}")
        url = make_url(cluster.url()).set(username=role, password=password, database=role)
        yield url.render_as_string(hide_password=False), cluster.url()
    finally:
        cluster.stop()


@pytest.mark.parametrize(
    ("as_role", "then"),
    [
        ("NONE", ""),
        ("team", ""),
        # the rollback connects to the database: refused, the transaction stayed
        ("NONE", "ALTER DATABASE {} ALLOW_CONNECTIONS false"),
        ("NONE", "ALTER DATABASE {} CONNECTION LIMIT 0"),
        ("NONE", "REVOKE ALL ON DATABASE {} FROM PUBLIC, CURRENT_USER"),
    ],
)
def test_transactions_a_page_prepares_are_rolled_back_in_its_database_named_elsewhere(
    preparing_url: tuple[str, str], as_role: str, then: str
) -> None:
    """A transaction prepared (PREPARE TRANSACTION) outlives its session, holding its locks
    and back every vacuum of the server: in the page's database, no DROP took it. There it
    is rolled back, and the database dropped, even if the page then closed it to
    connections; one in the user's own database is named. So are those prepared as a group
    role the role is a member of (SET ROLE), which went unnamed, and the scratch database's
    undropped."""
    url, admin_url = preparing_url
    server = open_server(url, "a test")
    try:
        with pytest.raises(LeftOnServer) as left, server.database() as scratch, server.watching():
            for gid, there in (("in its own", scratch), ("the page's", url)):
                with contextlib.closing(driver.connect(there)) as conn, conn.cursor() as cur:
                    cur.execute(f"SET ROLE {as_role}; SELECT 1")
                    cur.execute("PREPARE TRANSACTION %s", (gid,))
            if then:
                with contextlib.closing(driver.connect(url)) as conn, conn.cursor() as cur:
                    conn.autocommit = True
                    cur.execute(then.format(make_url(scratch).database))
        own = make_url(url).database
        assert str(left.value) == (
            f'transactions prepared as this role while it ran ("the page\'s" in {own}), kept:'
            " on your server they may be yours; ROLLBACK PREPARED those that are the page's"
        )
        assert schema.rows(admin_url, "SELECT database FROM pg_prepared_xacts") == [(own,)]
        assert make_url(scratch).database not in {
            name for (name,) in schema.rows(admin_url, "SELECT datname FROM pg_database")
        }
    finally:
        server.close()


def test_roles_a_page_makes_renames_or_drops_are_named(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """On a user's server whose role may make roles (CREATEROLE), a page may make, rename
    and drop them: a renamed one is renamed back (before the grants that name it are: they
    failed, "role does not exist"), in turns (one may hold another's old name), a made one
    named (the user may have made it meanwhile), a dropped one named, whatever its name
    (one named as the tests name theirs was not)."""
    url, _ = role_url
    role, own = make_url(url).username, postgres.scratch_name("own")
    made, kept, gone, other = (f"{w}{os.getpid()}" for w in ("made", "kept", "gone", "other"))
    moved, like_ours = f"moved{os.getpid()}", postgres.scratch_name("r")  # as tests name
    with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
        cur.execute(f"ALTER ROLE {role} CREATEROLE")
        cur.execute(f"CREATE DATABASE {own} OWNER {role}")
    server = open_server(url, "a test")
    try:
        with postgres.admin_connection(server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {kept}; CREATE ROLE {gone}; CREATE ROLE {other}")
            cur.execute(f"GRANT CONNECT ON DATABASE {own} TO {kept}")
        before = database_state(postgres_server, own)
        said = left_by(
            server,
            f"CREATE ROLE {made}; CREATE ROLE {like_ours}",
            f"ALTER ROLE {kept} RENAME TO {moved}; DROP ROLE {gone}",
            f"ALTER ROLE {other} RENAME TO {kept}",  # which must be renamed back first
            f"REVOKE CONNECT ON DATABASE {own} FROM {moved}",
        )
        assert said == (
            f"the database {own} changed (ALTER DATABASE...), set back; a role {other} renamed"
            f" to {kept}, renamed back; a role {kept} renamed to {moved}, renamed back; roles"
            f" made while it ran ({made}, {like_ours}), kept: on your server they may be yours;"
            f" drop those that are the page's; roles dropped ({gone}): they cannot be put back"
        )
        assert database_state(postgres_server, own) == before
        roles = schema.rows(postgres_server.admin_url, "SELECT rolname FROM pg_roles")
        assert {(made,), (kept,), (other,)} <= set(roles)
    finally:
        postgres.drop_database(postgres_server.admin_url, own)
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            for name in (made, kept, moved, gone, like_ours, other):
                cur.execute(f"DROP ROLE IF EXISTS {name}")
        server.close()


def test_what_a_page_changes_of_its_own_role_is_set_back(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A role that may (a superuser; CREATEROLE on PostgreSQL 15) changed its own
    attributes unseen: NOCREATEDB failed every later run; a VALID UNTIL in the past was
    said to be a changed password, and the scratch database was left."""
    url, _ = role_url
    role = make_url(url).username
    valid = "coalesce(rolvaliduntil, 'infinity')"  # none: no end, which ALTER ROLE sets so
    roles = f"SELECT rolcreatedb, rolconnlimit, {valid}, shobj_description(oid, 'pg_authid')"
    roles += f" FROM pg_roles WHERE rolname = '{role}'"
    run_sql(postgres_server.admin_url, f"ALTER ROLE {role} SUPERUSER")
    server = open_server(url, "a test")
    try:
        before = schema.rows(postgres_server.admin_url, roles)
        said = left_by(
            server,
            "ALTER ROLE CURRENT_USER NOCREATEDB CONNECTION LIMIT 5"
            " VALID UNTIL '2001-02-03 04:05:06+00'",
            f"COMMENT ON ROLE {role} IS 'mine'",
        )
        assert said == (
            f"the role {role} changed (ALTER ROLE ... NOCREATEDB, CONNECTION LIMIT 5, VALID"
            " UNTIL '2001-02-03 04:05:06.000000+00', COMMENT ON ROLE), set back"
        )
        assert schema.rows(postgres_server.admin_url, roles) == before
    finally:
        server.close()


def test_the_role_renamed_by_another_is_named_not_taken_for_a_password(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A page that made a second role renamed its own: reading the role by its old name
    raised a TypeError, hidden behind "cannot drop the scratch database: password
    authentication failed"; nothing was named."""
    url, _ = role_url
    role = make_url(url).username
    moved = f"moved{os.getpid()}"
    server = open_server(url, "a test")
    try:
        said = left_by(server, f"ALTER ROLE {role} RENAME TO {moved}", as_admin=postgres_server)
        assert said == (
            f"the role {role} renamed to {moved}, not renamed back (session user cannot be renamed)"
        )
    finally:
        run_sql(postgres_server.admin_url, f"ALTER ROLE {moved} RENAME TO {role}")
        server.close()


def test_a_page_s_defaults_for_its_role_do_not_steer_the_harness(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """On a user's server the harness connects as the pages' role, whose defaults a page may
    set: a search_path that put a page's view named pg_database before the catalog's gave
    the harness another database's oid for a scratch one, and it dropped the user's; an
    encoding the driver cannot read broke every later run with a traceback."""
    url, _ = role_url
    server = open_server(url, "a test")
    role = make_url(url).username
    own, precious = postgres.scratch_name("own"), f"precious{os.getpid()}"
    view = (
        "CREATE VIEW public.pg_database AS SELECT d.datname, CASE WHEN d.datname <> %s"
        " THEN (SELECT o.oid FROM pg_catalog.pg_database o WHERE o.datname = %s) ELSE d.oid"
        " END AS oid, d.datistemplate FROM pg_catalog.pg_database d"
    )
    try:
        for name in (own, precious):
            postgres.create_database(server.admin_url, name)
        with postgres.admin_connection(with_database(server.admin_url, own)) as conn:
            conn.cursor().execute(view, (own, precious))
        with postgres.admin_connection(server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(
                f"ALTER ROLE CURRENT_USER IN DATABASE {own} SET search_path = public, pg_catalog"
            )
            cur.execute('CREATE DATABASE "café"')
            cur.execute("ALTER ROLE CURRENT_USER SET client_encoding = SQL_ASCII")
        there = open_server(with_database(url, own), "a test")
        with there.database():
            pass
        there.close()
        assert precious in {
            name
            for (name,) in schema.rows(postgres_server.admin_url, "SELECT datname FROM pg_database")
        }
        before = leftovers.read(server.admin_url, None)
        assert "café" in {database.name for database in before.databases.values()}
    finally:
        with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
            cur.execute(f"ALTER ROLE {role} RESET ALL")
            cur.execute(f"ALTER ROLE {role} IN DATABASE {own} RESET ALL")
        for name in (own, precious, "café"):
            postgres.drop_database(postgres_server.admin_url, name)
        server.close()


@pytest.mark.parametrize("scratch_too", [False, True], ids=["its-own-open", "its-own-renamed"])
def test_a_page_that_ends_the_held_connection_and_locks_the_url_s_database_is_undone(
    role_url: tuple[str, str], postgres_server: Server, scratch_too: bool
) -> None:
    """With the connection held across the page ended, no new one got into the URL's
    database the page had closed: nothing was undone, a password the page never changed
    was blamed, and the scratch database's drop hid both. The restore goes through a
    scratch database of the harness's instead, or, that renamed too, `postgres`."""
    url, _ = role_url
    role, own = make_url(url).username, postgres.scratch_name("own")
    moved = f"moved{os.getpid()}"
    run_sql(postgres_server.admin_url, f"CREATE DATABASE {own} OWNER {role}")
    server = open_server(with_database(url, own), "a test")
    try:
        with (
            server.database() as scratch,
            pytest.raises(LeftOnServer) as left,
            server.watching(),
            postgres.admin_connection(with_database(url, "postgres")) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = current_user AND pid <> pg_backend_pid()"
            )
            if scratch_too:
                cur.execute(f"ALTER DATABASE {make_url(scratch).database} RENAME TO {moved}")
            cur.execute(f"REVOKE CONNECT ON DATABASE {own} FROM PUBLIC, CURRENT_USER")
        said = f"the database {own} changed (ALTER DATABASE...), set back"
        if scratch_too:
            said = (
                f"a database {make_url(scratch).database} renamed to {moved}, renamed back; {said}"
            )
        assert str(left.value) == said
        driver.connect(server.admin_url).close()
    finally:
        server.close()
        postgres.drop_database(postgres_server.admin_url, own)


@pytest.fixture
def team_url(role_url: tuple[str, str], postgres_server: Server) -> Iterator[tuple[str, str]]:
    """(URL, group role): role_url's role, a member of a group role (a team's) that owns a
    database named as the group; the role owns one named as itself, with a setting of its
    own (work_mem), as has the team's. The URL is of the role's database."""
    url, _ = role_url
    role, team = make_url(url).username, postgres.scratch_name("team")
    statements = [
        f"CREATE ROLE {team}",
        f"GRANT {team} TO {role}",
        f"CREATE DATABASE {team} OWNER {team}",
        f"CREATE DATABASE {role} OWNER {role}",
        f"ALTER DATABASE {role} SET work_mem = '3MB'",
        f"ALTER DATABASE {team} SET work_mem = '3MB'",
    ]
    with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    try:
        yield with_database(url, role), team
    finally:
        for name in (role, team, "leak", "moved"):
            postgres.drop_database(postgres_server.admin_url, name)
        run_sql(postgres_server.admin_url, f"DROP ROLE {team}")


def test_a_database_handed_to_another_role_or_a_team_s_is_set_back(
    team_url: tuple[str, str], postgres_server: Server
) -> None:
    """Only the role's own databases were looked at: one handed to its team's role (OWNER
    TO) was said to be "set back" and was not, with a setting it kept said to be reset; one
    made for the team was not named; and a team database the role may change as a member
    was renamed without a word."""
    url, team = team_url
    own = make_url(url).database
    server = open_server(url, "a test")
    try:
        said = left_by(
            server,
            f"ALTER DATABASE {own} OWNER TO {team}",
            f"CREATE DATABASE leak OWNER {team}",
            f"ALTER DATABASE {team} RENAME TO moved",
        )
        assert said == (
            f"a database {team} renamed to moved, renamed back; the database {own} changed"
            " (ALTER DATABASE...), set back; databases made as this role while it ran (leak),"
            " kept: on your server they may be yours; drop those that are the page's"
        )
        query = (
            "SELECT datname, pg_get_userbyid(datdba), s.setconfig FROM pg_database d"
            " LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0"
            f" WHERE datname IN ('{own}', '{team}') ORDER BY datname <> '{own}'"
        )
        assert schema.rows(postgres_server.admin_url, query) == [
            (own, own, ["work_mem=3MB"]),
            (team, team, ["work_mem=3MB"]),
        ]
    finally:
        server.close()


def test_a_database_a_page_renamed_and_replaced_keeps_its_settings(
    team_url: tuple[str, str], postgres_server: Server
) -> None:
    """Settings were known by their database's name: renamed, with a new database under its
    old name (so that it could not be renamed back), the user's database lost its settings
    to the page's."""
    url, team = team_url
    server = open_server(url, "a test")
    try:
        said = left_by(server, f"ALTER DATABASE {team} RENAME TO moved", f"CREATE DATABASE {team}")
        assert said.startswith(f"a database {team} renamed to moved, not renamed back")
        assert "settings" not in said
        query = (
            "SELECT datname, s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s"
            f" ON s.setdatabase = d.oid WHERE datname IN ('{team}', 'moved') ORDER BY 1"
        )
        assert schema.rows(postgres_server.admin_url, query) == [
            ("moved", ["work_mem=3MB"]),
            (team, None),
        ]
    finally:
        server.close()


def test_a_database_of_the_harness_s_a_page_renames_is_not_named_as_the_page_s(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A page's second database (<!-- database: VARIABLE -->), renamed by the page, was
    named as one it made, "kept: drop those that are the page's"; the harness then dropped
    it, by its oid."""
    url, _ = role_url
    server = open_server(url, "a test")
    moved = f"moved{os.getpid()}"
    try:
        with server.watching():  # the page's end: nothing to say
            extra = make_url(server.create_database()).database
            run_sql(server.admin_url, f"ALTER DATABASE {extra} RENAME TO {moved}")
        server.drop_database(with_database(url, extra))  # then the page's databases go
        names = schema.rows(postgres_server.admin_url, "SELECT datname FROM pg_database")
        assert (moved,) not in names
    finally:
        postgres.drop_database(postgres_server.admin_url, moved)
        server.close()


def test_a_role_a_page_makes_its_role_s_default_does_not_become_the_harness_s(
    team_url: tuple[str, str], postgres_server: Server
) -> None:
    """`ALTER ROLE CURRENT_USER SET role = team` made every new connection of the URL's act
    as the team: the restore (its held connection ended) read and set back the team's
    settings, not the role's, and could drop nothing; the next run blamed the team."""
    url, team = team_url
    role = make_url(url).username
    server = open_server(url, "a test")
    try:
        said = left_by(
            server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE usename = current_user AND pid <> pg_backend_pid()",
            f"ALTER ROLE CURRENT_USER SET role = {team}",
        )
        assert said == f"the role {role}'s settings changed (ALTER ROLE ... SET role), reset"
    finally:
        server.close()


def test_a_name_in_no_encoding_is_one_line(
    team_url: tuple[str, str], postgres_server: Server
) -> None:
    """From a SQL_ASCII database, a page may give a database (in the shared catalog) a
    name that is no UTF-8: reading it raised UnicodeDecodeError, a traceback at every page
    of every later run."""
    url, team = team_url
    role, ascii_db = make_url(url).username, postgres.scratch_name("ascii")
    with postgres.admin_connection(postgres_server.admin_url) as conn, conn.cursor() as cur:
        cur.execute(
            f"CREATE DATABASE {ascii_db} OWNER {role} ENCODING SQL_ASCII LOCALE 'C'"
            " TEMPLATE template0"
        )
    server = open_server(url, "a test")
    bad = b'"bad\xffname"'
    try:
        with pytest.raises(PostgresError) as error, server.watching():
            there = with_database(url, ascii_db)
            with postgres.admin_connection(there, client_encoding="SQL_ASCII") as conn:
                conn.cursor().execute(b"ALTER DATABASE " + team.encode() + b" RENAME TO " + bad)
        said = str(error.value)
        assert said.startswith("cannot undo what was left on PostgreSQL at ")
        assert said.endswith(": a name or setting there is not UTF-8 (byte 0xff)")
    finally:
        there = with_database(postgres_server.admin_url, ascii_db)
        with postgres.admin_connection(there, client_encoding="SQL_ASCII") as conn:
            conn.cursor().execute(b"ALTER DATABASE " + bad + b" RENAME TO " + team.encode())
        server.close()
        postgres.drop_database(postgres_server.admin_url, ascii_db)


def test_what_a_page_makes_outside_its_scratch_databases_is_named(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A page reached the user's template1 (any role may connect to it on their server):
    its ALTER DEFAULT PRIVILEGES ... TO PUBLIC and large objects went unseen, into every
    database made from it later, the next page's scratch database too. Scratch databases
    are made from template0; what the role made in any other database is named."""
    url, _ = role_url
    role = make_url(url).username
    template1 = with_database(postgres_server.admin_url, "template1")
    on_server = [f"GRANT CONNECT ON DATABASE template1 TO {role}"]  # as a user's server has
    run_sql(postgres_server.admin_url, *on_server)
    server = open_server(url, "a test")
    try:
        with (
            pytest.raises(LeftOnServer) as left,
            server.watching(),
            postgres.admin_connection(with_database(url, "template1")) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC")
            cur.execute("SELECT lo_create(0)")
        assert str(left.value) == (
            "objects of this role's made, dropped or granted in template1 while it ran, kept:"
            " on your server they may be yours; every database made from template1 copies its"
        )
        fresh = "SELECT (SELECT count(*) FROM pg_default_acl), (SELECT count(*) FROM"
        fresh += " pg_largeobject_metadata)"
        with server.database() as scratch:
            assert schema.rows(scratch, fresh) == [(0, 0)]
    finally:
        run_sql(
            template1,
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {role} REVOKE ALL ON TABLES FROM PUBLIC",
            "SELECT lo_unlink(oid) FROM pg_largeobject_metadata"
            f" WHERE lomowner = '{role}'::regrole",
            f"REVOKE CONNECT ON DATABASE template1 FROM {role}",
        )
        server.close()


PG15 = Path("/usr/lib/postgresql/15")  # Debian's postgresql-15, which .ci/run installs


@pytest.mark.skipif(not PG15.is_dir(), reason=f"needs PostgreSQL 15 in {PG15}")
def test_roles_a_page_grants_its_own_role_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role that may make roles (CREATEROLE, on PostgreSQL 15 and older: later ones let
    it grant only roles it is a member of) granted itself others' rights, unseen:
    pg_read_all_data reads every database, pg_execute_server_program runs programs as the
    server's user."""
    monkeypatch.setenv(postgres.INSTALL_VARIABLE, str(PG15))
    cluster = postgres.start_cluster()
    try:
        run_sql(cluster.url(), "CREATE ROLE maker LOGIN CREATEDB CREATEROLE PASSWORD 'pw'")
        url = make_url(cluster.url(user="maker")).set(password="pw")
        server = open_server(url.render_as_string(hide_password=False), "a test")
        try:
            said = left_by(server, "GRANT pg_read_all_data TO CURRENT_USER")
        finally:
            server.close()
        assert said == (
            "roles granted to this role while it ran (pg_read_all_data), kept: on your server"
            " they may be yours; revoke those that are the page's"
        )
    finally:
        cluster.stop()


def test_a_library_a_page_preloads_for_its_role_locks_no_one_out(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A role may name a library for its sessions to load (local_preload_libraries): one
    that is not there refused every connection of the role's, the harness's too, which
    could then neither set it back nor drop the scratch database."""
    url, _ = role_url
    server = open_server(url, "a test")
    try:
        said = left_by(
            server,
            "ALTER ROLE CURRENT_USER SET local_preload_libraries = 'not_there'",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE usename = current_user AND pid <> pg_backend_pid()",  # the held one too
        )
        role = make_url(url).username
        assert said == (
            f"the role {role}'s settings changed (ALTER ROLE ... SET local_preload_libraries),"
            " reset"
        )
        postgres.guarded(url).close()
    finally:
        server.close()


def test_settings_behind_a_lock_held_elsewhere_are_not_waited_for_one_by_one(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """A session a page left in a transaction that changed its role's settings holds their
    row: each of the page's other settings waited for it as long as a statement may run
    (60 s), one after the other, for as many as the page changed."""
    url, _ = role_url
    role = make_url(url).username
    server = open_server(url, "a test")
    holder = postgres.guarded(url)
    try:
        with pytest.raises(LeftOnServer) as left, server.watching():
            run_sql(url, *(f"ALTER ROLE CURRENT_USER SET {name} = off" for name in SETTING_NAMES))
            holder.autocommit = False  # what a page's psql left open
            holder.cursor().execute("ALTER ROLE CURRENT_USER SET work_mem = '2MB'")
        assert str(left.value) == (
            f"the role {role}'s settings changed, not reset (ALTER ROLE ... SET enable_hashjoin:"
            " canceling statement due to lock timeout; the rest not tried)"
        )
    finally:
        holder.close()
        run_sql(postgres_server.admin_url, f"ALTER ROLE {role} RESET ALL")
        server.close()


SETTING_NAMES = ("enable_hashjoin", "enable_mergejoin", "enable_seqscan")


def test_databases_behind_a_lock_held_elsewhere_are_not_waited_for_one_by_one(
    role_url: tuple[str, str], postgres_server: Server
) -> None:
    """Each of the user's databases a page changed waited for a lock a page's leftover
    transaction held on it, LOCK_WAIT each, one after the other; after the first, each is
    named, not tried."""
    url, _ = role_url
    role = make_url(url).username
    owned = [postgres.scratch_name("own") for _ in range(3)]
    run_sql(postgres_server.admin_url, *(f"CREATE DATABASE {name} OWNER {role}" for name in owned))
    server = open_server(url, "a test")
    holder = postgres.guarded(url)
    try:
        with pytest.raises(LeftOnServer) as left, server.watching():
            run_sql(url, *(f"ALTER DATABASE {name} CONNECTION LIMIT 3" for name in owned))
            holder.autocommit = False  # what a page's psql left open
            for name in owned:
                holder.cursor().execute(f"ALTER DATABASE {name} CONNECTION LIMIT 4")
        said = str(left.value)
        assert said.count("lock timeout") == 1  # each next one named, not tried
        for name in owned:
            assert f"the database {name} changed, not set back (" in said
        assert said.count("(not tried: a lock held elsewhere)") == len(owned) - 1
    finally:
        holder.close()
        for name in owned:
            postgres.drop_database(postgres_server.admin_url, name)
        server.close()


def test_a_scratch_database_renamed_each_time_it_is_dropped_is_said(
    postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's session that kept renaming its scratch database made the drop by its old
    name drop nothing, unsaid: the database stayed."""
    renamed = []

    def rename(admin_url: str, name: str) -> None:  # as the page's session did meanwhile
        renamed.append(postgres.scratch_name())
        run_sql(admin_url, f"ALTER DATABASE {name} RENAME TO {renamed[-1]}")

    monkeypatch.setattr(postgres, "drop_database", rename)
    with pytest.raises(PostgresError) as error, postgres_server.database():
        pass
    monkeypatch.undo()
    assert str(error.value) == (
        f"cannot drop the scratch database {renamed[-1]}: renamed each time it was dropped"
        " (a session of a page's still runs)"
    )
    postgres.drop_database(postgres_server.admin_url, renamed[-1])


def test_a_database_of_the_user_s_dropped_in_a_scratch_one_s_place_is_said(
    role_url: tuple[str, str], postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scratch database is dropped by the name its oid has: a page's session (on a user's
    server, not ended) that gave that name to a database of the user's between the two had
    it dropped, unsaid."""
    url, _ = role_url
    server = open_server(url, "a test")
    victim = postgres.scratch_name("victim")
    postgres.create_database(server.admin_url, victim)
    drop = postgres.drop_database

    def swapped(admin_url: str, name: str) -> None:  # as the page's session did meanwhile
        if (victim,) not in schema.rows(admin_url, "SELECT datname FROM pg_database"):
            return drop(admin_url, name)
        away = postgres.scratch_name("away")
        run_sql(admin_url, f"ALTER DATABASE {name} RENAME TO {away}")
        run_sql(admin_url, f"ALTER DATABASE {victim} RENAME TO {name}")
        return drop(admin_url, name)

    monkeypatch.setattr(postgres, "drop_database", swapped)
    try:
        with pytest.raises(PostgresError) as error, server.database() as scratch:
            pass
        assert str(error.value) == (
            f"as the scratch database {make_url(scratch).database} was dropped, the database"
            f" {victim} dropped (a session of a page's still runs, renaming databases)"
        )
    finally:
        monkeypatch.undo()
        postgres.drop_database(postgres_server.admin_url, victim)
        server.close()
