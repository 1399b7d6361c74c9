"""Whom a run as root hands its work to: the server (Postgres refuses root) and the pages'
reader (most readers are not root).

Each is `nobody` in a user namespace of its own, whose `nobody` is a uid (and gid) of the
machine's that no account has, drawn at random for this process from over 200 million: no
other run gets it, nor any later one (a set-user-ID program a page leaves behind gives no
one anything then). So no process of the machine's `nobody` can signal the server, read the
pages' files or reach the server's socket, and the pages and the server cannot touch each
other's processes or files either. The server's namespace maps root to root, and this
process's pages to PAGES_AS_SEEN: peer authentication tells the harness (root) from its
pages, and both from anyone else (every other uid is `nobody` there). Inside, tools see
`nobody` (`whoami`, `ls -l`), as the pages show. Where the kernel refuses user namespaces
(a container), both are the machine's `nobody`, as before; not root, neither is needed
(both are None).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import grp
import os
import pwd
import random
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534  # its uid and gid in every namespace here (the overflow ids, as the kernel's)
# Drawn from above systemd's container range (ends 0x6FFFFFFF), below its dynamic
# user-namespace range (0x7FFE0000): no account and no container of the machine has them.
FIRST_ID, LAST_ID = 0x70000000, 0x7FFDFFFF
# Where the tools that root runs on a user's behalf are found: never on a PATH a page set
# (a page's `nsenter` first on its PATH ran as root when its next line started).
SYSTEM_TOOLS = "/usr/sbin:/usr/bin:/sbin:/bin"
# How the server sees this process's pages: an account every system has, which no one
# connects as (in the server's namespace, only the pages are it).
PAGES_AS_SEEN = "daemon"


@functools.cache
def tool(name: str) -> str:
    """The absolute path of the system's `name` (util-linux's nsenter, unshare, setpriv,
    prlimit; rm)."""
    found = shutil.which(name, path=SYSTEM_TOOLS)
    if found is None:
        raise FileNotFoundError(f"{name} is not in {SYSTEM_TOOLS}: install util-linux")
    return found


# Holds the new namespace until we hold it (ms); ends alone if we die before killing it.
UNSHARE_USER = ["unshare", "--user", "--", "sleep", "30"]


@dataclass(frozen=True)
class Identity:
    """A user commands run as: `nobody` to themselves; `uid` and `gid` to the machine (what
    chown takes); `userns` names its namespace (None: the machine's `nobody` itself)."""

    uid: int
    gid: int
    userns: str | None = None
    name: str = "nobody"

    def command(self, argv: list, pdeathsig: str | None = None) -> list:
        """`argv` run as this user: entered into its namespace (as its root, who may then
        make a PID namespace), then `nobody` there; `pdeathsig` once it is."""
        uid, gid = self.inside
        return [*entering(self.userns), *becoming(uid, gid, pdeathsig=pdeathsig), *argv]

    @property
    def inside(self) -> tuple[int, int]:
        """Its uid and gid as it sees them."""
        return (NOBODY, NOBODY) if self.userns else (self.uid, self.gid)

    @property
    def popen(self) -> dict:
        """What shell.namespace and checks.run_check take to run as this user: Popen's
        `user=`, `group=` as it sees them, and, in a namespace, which (`userns`) and its uid
        as the machine sees it (`owner`)."""
        uid, gid = self.inside
        given = {"user": uid, "group": gid, "extra_groups": []}
        return given | ({"userns": self.userns, "owner": self.uid} if self.userns else {})


# The folders every user may write in, where the pages' files may outlive the run (and the
# world-writable folders in them).
SHARED = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def remove_left(identity: Identity, roots: tuple[str, ...] = SHARED) -> list[str]:
    """Remove what `identity`, a uid of this process's alone (one in a namespace), left in
    the folders every user may write in; what was removed. As root, a page's files there
    outlived the run, and one named as another user's run names its folder
    (/dev/shm/throwaway-pg-1000) locked that user's runs out. Only under folders of root's:
    another user may swap a folder of theirs for a link between a look and a removal."""
    if identity.userns is None:  # the machine's nobody: not ours alone
        return []
    removed, todo = [], list(roots)
    while todo:
        with contextlib.suppress(OSError), os.scandir(todo.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):  # gone meanwhile
                    found = entry.stat(follow_symlinks=False)
                    if found.st_uid == identity.uid:
                        # rm, not shutil.rmtree: a tree of thousands of levels is not
                        # removed by recursion; neither follows a link
                        if subprocess.run([tool("rm"), "-rf", "--", entry.path]).returncode == 0:
                            removed.append(entry.path)
                    elif found.st_uid == 0 and _open_to_all(found):
                        todo.append(entry.path)
    return removed


def _open_to_all(found: os.stat_result) -> bool:
    """Whether it is a folder every user may write in."""
    return stat.S_ISDIR(found.st_mode) and bool(found.st_mode & stat.S_IWOTH)


def entering(userns: str | None) -> list[str]:
    """The command that enters `userns` (as its root: nsenter's default) and runs the rest."""
    return [tool("nsenter"), f"--user={userns}", "--"] if userns else []


# setpriv keeps its capabilities until it execs: its own exec found programs in folders
# closed to the user (a 0700 home). A shell, the user's from the first instruction, execs
# the command instead.
AS_ITSELF = ["/bin/sh", "-c", 'exec "$0" "$@"']


def becoming(
    uid: int, gid: int | None, groups: str = "", pdeathsig: str | None = None
) -> list[str]:
    """The command that becomes `uid` (and `gid`, with `groups` or none), with `pdeathsig`
    armed once it has (a change of user clears it), and runs the rest as that user, who
    gains no privilege by exec: in the server's namespace root is root, and a set-user-ID
    program of root's (su, mount, a copy the server's user made) ran as the machine's
    root."""
    become = [tool("setpriv"), "--no-new-privs", f"--reuid={uid}"]
    become += [f"--regid={gid}"] if gid is not None else []
    become += [f"--groups={groups}"] if groups else ["--clear-groups"]
    become += ["--pdeathsig", pdeathsig] if pdeathsig else []
    return [*become, "--", *AS_ITSELF]


@functools.cache
def for_pages() -> Identity | None:
    """Who runs the pages' commands and checks, as root: `nobody` in its namespace, where
    root is no one (a set-user-ID program of root's runs as the user who started it)."""
    if os.geteuid() != 0:
        return None
    with _or_the_machines_nobody():
        uid = _unused_ids()
        return _namespaced({0: uid - 1, NOBODY: uid})
    return _machines_nobody()


@functools.cache
def for_server() -> Identity | None:
    """Who runs the server, as root: `nobody` in its namespace, where root is root and this
    process's pages are PAGES_AS_SEEN, so that peer authentication tells them apart."""
    if os.geteuid() != 0:
        return None
    pages = for_pages()
    if pages is None or pages.userns is None:
        return _machines_nobody()
    with _or_the_machines_nobody():
        seen = pwd.getpwnam(PAGES_AS_SEEN).pw_uid
        return _namespaced({0: 0, NOBODY: _unused_ids(), seen: pages.uid})
    return _machines_nobody()


@contextlib.contextmanager
def _or_the_machines_nobody():
    """Where the kernel refuses (or a tool is missing), the caller goes on to the
    machine's nobody."""
    with contextlib.suppress(OSError, KeyError, subprocess.SubprocessError):
        yield


def _machines_nobody() -> Identity:
    nobody = pwd.getpwnam("nobody")
    return Identity(nobody.pw_uid, nobody.pw_gid)


_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000


def enter(userns: str) -> None:
    """Into the user namespace `userns` (an Identity's), as its root there: every capability
    inside, none outside. From a process of one thread (a fork's child); raises if refused."""
    fd = os.open(userns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _LIBC.setns(fd, CLONE_NEWUSER) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"cannot enter {userns}: {os.strerror(error)}")
    finally:
        os.close(fd)


class UserNamespaceRefused(OSError):
    """The kernel (a container's seccomp, a sysctl) will not make a user namespace here."""


_KEPT: list[int] = []  # the namespaces' descriptors: each lives as long as this process


def _namespaced(ids: dict[int, int]) -> Identity:
    """A new user namespace whose uids and gids map inside -> outside as `ids` say; held by
    a descriptor of ours (named through /proc, so that nsenter, a child, can open it), not
    by a process. Its `nobody` is the Identity."""
    holder = subprocess.Popen(
        [tool(UNSHARE_USER[0]), *UNSHARE_USER[1:]],
        env={"PATH": SYSTEM_TOOLS},
        # A stop signal just after the fork skips the kill below: it then outlived us for
        # its 30 s, holding our output (a CI step waited on it), but for these.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        ns = f"/proc/{holder.pid}/ns/user"
        _wait_for_namespace(holder, ns)
        lines = "".join(f"{inside} {outside} 1\n" for inside, outside in sorted(ids.items()))
        for ids_file in ("uid_map", "gid_map"):
            Path(f"/proc/{holder.pid}/{ids_file}").write_text(lines)
        fd = os.open(ns, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        holder.kill()
        holder.wait()
    _KEPT.append(fd)
    return Identity(ids[NOBODY], ids[NOBODY], f"/proc/{os.getpid()}/fd/{fd}")


def _wait_for_namespace(holder: subprocess.Popen, ns: str) -> None:
    """Until unshare(1) has made it (its /proc/PID/ns/user is no longer ours)."""
    ours = os.readlink("/proc/self/ns/user")
    deadline = time.monotonic() + 10
    while os.readlink(ns) == ours:
        if holder.poll() is not None or time.monotonic() > deadline:
            raise UserNamespaceRefused(f"unshare --user exited with {holder.returncode}")
        time.sleep(0.001)


def _unused_ids() -> int:
    """An id, drawn at random, that neither it nor the one below it is an account's or a
    group's (as a uid and as a gid)."""
    draw = random.SystemRandom()
    while True:
        number = draw.randint(FIRST_ID + 1, LAST_ID)
        if not _taken(number - 1, number):
            return number


def _taken(*ids: int) -> bool:
    """Whether an account or a group of the machine has one of these ids."""
    for number in ids:
        for lookup in (pwd.getpwuid, grp.getgrgid):
            with contextlib.suppress(KeyError):
                lookup(number)
                return True
    return False
