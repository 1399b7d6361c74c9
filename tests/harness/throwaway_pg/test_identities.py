"""Whom a root run hands its work to (throwaway_pg/identities.py)."""

import contextlib
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from throwaway_pg import identities
from throwaway_pg.identities import Identity
from throwaway_pg.pytest_plugin import pytest_report_header

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root hands work to other users")


def whoami(user: Identity, script: str) -> str:
    argv = user.command(["/bin/sh", "-c", script])
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


@as_root
def test_the_server_and_the_pages_are_nobody_to_themselves_and_no_one_else_to_the_machine() -> None:
    """Both ran as the machine's `nobody`, as did every other process of nobody's."""
    server, pages = identities.for_server(), identities.for_pages()
    nobody = pwd.getpwnam("nobody")
    uids = {server.uid, pages.uid, nobody.pw_uid, 0}
    assert len(uids) == 4
    assert len({pages.gid, server.gid, nobody.pw_gid, 0}) == 4
    for user in (server, pages):
        assert whoami(user, "id -un; id -u") == "nobody\n65534\n"
        with pytest.raises(KeyError):
            pwd.getpwuid(user.uid)


@as_root
def test_the_server_sees_root_as_root_and_this_process_s_pages_as_pages() -> None:
    """The server tells the harness (root) from its pages, and both from anyone else, by
    peer authentication: root is root in its namespace, the pages are PAGES_AS_SEEN, and
    every other uid is nobody. Root is no one in the pages' namespace (a set-user-ID
    program of root's would run as root there)."""
    server, pages = identities.for_server(), identities.for_pages()
    seen = pwd.getpwnam(identities.PAGES_AS_SEEN).pw_uid
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        for owner in (pages.uid, pwd.getpwnam("nobody").pw_uid):
            (Path(folder) / str(owner)).touch()
            os.chown(Path(folder) / str(owner), owner, -1)
        shown = whoami(server, f"stat -c %u / {folder}/{pages.uid} {folder}/65534")
        assert shown.split() == ["0", str(seen), "65534"]
    assert whoami(pages, "stat -c %u /") == "65534\n"


@as_root
def test_a_set_user_id_program_of_root_s_gives_no_one_root() -> None:
    """The server's namespace maps root to root (the harness is root to it): a set-user-ID
    program of root's, run there by the server's user, ran as the machine's root."""
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        program = Path(folder) / "id"
        program.write_bytes(Path("/usr/bin/id").read_bytes())
        program.chmod(0o4755)  # root's, set-user-ID
        for user in (identities.for_server(), identities.for_pages()):
            assert whoami(user, f"{program} -u") == "65534\n"


@as_root
def test_a_program_in_a_folder_closed_to_the_user_does_not_start(tmp_path: Path) -> None:
    """setpriv keeps root's capabilities up to its own exec, which found the binaries under a
    0700 home: the probe said the server's user could run them, and initdb then could not."""
    hidden = tmp_path / "home"
    hidden.mkdir(mode=0o700)
    program = hidden / "echo"
    program.write_bytes(Path("/bin/echo").read_bytes())
    program.chmod(0o755)
    nobody = pwd.getpwnam("nobody")
    for user in (identities.for_server(), Identity(nobody.pw_uid, nobody.pw_gid)):
        argv = user.command([str(program), "ran"])
        ran = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert ran.returncode == 126 and "Permission denied" in ran.stderr


@as_root
def test_where_the_kernel_refuses_user_namespaces_it_is_the_machines_nobody(
    monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> None:
    monkeypatch.setattr(identities, "UNSHARE_USER", ["false"])
    for made in (identities.for_pages, identities.for_server):
        monkeypatch.setattr(identities, made.__name__, made.__wrapped__)  # not the cached
    nobody = pwd.getpwnam("nobody")
    for user in (identities.for_pages(), identities.for_server()):
        assert user == Identity(nobody.pw_uid, nobody.pw_gid)
        assert whoami(user, "id -u") == f"{nobody.pw_uid}\n"
    (said,) = [line for line in pytest_report_header(pytestconfig) if "nobody" in line]  # say so
    assert "the machine's nobody" in said


def test_ids_are_drawn_anew_and_never_an_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same few uids went to every run in turn, the pages' of one run the server's of
    the next: a set-user-ID program a page left behind gave anyone that server."""
    drawn = {identities._unused_ids() for _ in range(20)}
    assert len(drawn) == 20
    assert all(identities.FIRST_ID < n <= identities.LAST_ID for n in drawn)
    taken = sorted(drawn)[:10]
    monkeypatch.setattr(identities, "_taken", lambda *ids: any(n in taken for n in ids))
    assert not set(taken) & {identities._unused_ids() for _ in range(20)}


def test_not_root_it_is_no_one_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert identities.for_pages.__wrapped__() is None
    assert identities.for_server.__wrapped__() is None


@as_root
def test_a_stop_as_a_namespace_is_made_leaves_nothing_holding_the_output() -> None:
    """A SIGHUP just after the fork of the namespace's holder (`sleep 30`) left it running,
    holding the run's standard output: a CI step reading it waited on it."""
    interrupted = """
import subprocess, sys
from throwaway_pg import identities
real = subprocess.Popen
def popen(*args, **kwargs):
    holder = real(*args, **kwargs)
    print(holder.pid, file=sys.stderr, flush=True)
    raise KeyboardInterrupt  # as a signal landing right after the fork
identities.subprocess.Popen = popen
identities._namespaced({65534: 200000})
"""
    child = subprocess.Popen(
        [sys.executable, "-c", interrupted], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    holder = int(child.stderr.readline())
    try:
        started = time.monotonic()
        child.stdout.read()  # its end: when every process holding it has closed it
        assert time.monotonic() - started < 10
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder, signal.SIGKILL)
        child.wait()
