"""Whom a run as root hands its work to: the server (Postgres refuses root) and the pages'
reader (most readers are not root).

Each is `nobody` in a user namespace of its own, whose `nobody` is a uid of the machine's that
no account, no other run and no other process has: a slot of SLOT_SIZE uids, claimed with a
lock for this process's life. So no process of the machine's `nobody` can signal the server,
read the pages' files or reach the server's socket, and the pages and the server cannot touch
each other's processes or files either. The pages of every run share one group, PAGES_GROUP,
which alone may reach a throwaway server's socket: a run given another's server (`python -m
throwaway_pg`'s URL) reaches it as its pages do. Inside, tools see `nobody` (`whoami`,
`ls -l`), as the pages show. Where the kernel refuses user namespaces (a container), both
are the machine's `nobody`, as before; not root, neither is needed (both are None).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import grp
import os
import pwd
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534  # its uid and gid in every namespace here (the overflow ids, as the kernel's)
# Slots start above systemd's container range (ends 0x6FFFFFFF) and end before its dynamic
# user-namespace range (0x7FFE0000): no account and no container of the machine has them.
FIRST_SLOT, SLOTS, SLOT_SIZE = 0x70000000, 4094, 65536
PAGES_GROUP = FIRST_SLOT  # slot 0's first id: no slot is claimed at 0 (_claim_slot)
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
        """What shell._namespace and checks.run_check take to run as this user: Popen's
        `user=`, `group=` as it sees them, and, in a namespace, which (`userns`) and its uid
        as the machine sees it (`owner`)."""
        uid, gid = self.inside
        given = {"user": uid, "group": gid, "extra_groups": []}
        return given | ({"userns": self.userns, "owner": self.uid} if self.userns else {})


def entering(userns: str | None) -> list[str]:
    """The command that enters `userns` (as its root: nsenter's default) and runs the rest."""
    return ["nsenter", f"--user={userns}", "--"] if userns else []


# setpriv keeps its capabilities until it execs: its own exec found programs in folders
# closed to the user (a 0700 home). A shell, the user's from the first instruction, execs
# the command instead.
AS_ITSELF = ["/bin/sh", "-c", 'exec "$0" "$@"']


def becoming(
    uid: int, gid: int | None, groups: str = "", pdeathsig: str | None = None
) -> list[str]:
    """The command that becomes `uid` (and `gid`, with `groups` or none), with `pdeathsig`
    armed once it has (a change of user clears it), and runs the rest as that user."""
    become = ["setpriv", f"--reuid={uid}"]
    become += [f"--regid={gid}"] if gid is not None else []
    become += [f"--groups={groups}"] if groups else ["--clear-groups"]
    become += ["--pdeathsig", pdeathsig] if pdeathsig else []
    return [*become, "--", *AS_ITSELF]


@functools.cache
def for_server() -> Identity | None:
    """Who runs the server, as root: `nobody` in its namespace, where root is root (so that
    peer authentication still tells the harness, root, from the pages, whom it sees as
    `nobody`). None when we are not root."""
    return _identity(map_root=True, group=None)


@functools.cache
def for_pages() -> Identity | None:
    """Who runs the pages' commands and checks, as root: `nobody` in its namespace, where
    root is no one (a set-user-ID program of root's runs as the user who started it)."""
    return _identity(map_root=False, group=PAGES_GROUP)


def _identity(map_root: bool, group: int | None) -> Identity | None:
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError, UserNamespaceRefused):
        return _namespaced(map_root, group)
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


def _namespaced(map_root: bool, group: int | None) -> Identity:
    """A new user namespace whose root is `root` (map_root) or the slot's first uid, and
    whose `nobody` is the slot's (its group: `group`, else the slot's); held by a descriptor
    of ours (named through /proc, so that nsenter, a child, can open it), not by a
    process."""
    if group is not None and _taken(group):
        raise UserNamespaceRefused(f"gid {group} is a group's already")
    base = _claim_slot()
    nobody = {"uid_map": base + NOBODY, "gid_map": base + NOBODY if group is None else group}
    holder = subprocess.Popen(
        UNSHARE_USER, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        ns = f"/proc/{holder.pid}/ns/user"
        _wait_for_namespace(holder, ns)
        root = "0 0 1\n" if map_root else f"0 {base} 1\n"
        for ids, outside in nobody.items():
            Path(f"/proc/{holder.pid}/{ids}").write_text(f"{root}{NOBODY} {outside} 1\n")
        fd = os.open(ns, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        holder.kill()
        holder.wait()
    _KEPT.append(fd)
    return Identity(nobody["uid_map"], nobody["gid_map"], f"/proc/{os.getpid()}/fd/{fd}")


def _wait_for_namespace(holder: subprocess.Popen, ns: str) -> None:
    """Until unshare(1) has made it (its /proc/PID/ns/user is no longer ours)."""
    ours = os.readlink("/proc/self/ns/user")
    deadline = time.monotonic() + 10
    while os.readlink(ns) == ours:
        if holder.poll() is not None or time.monotonic() > deadline:
            raise UserNamespaceRefused(f"unshare --user exited with {holder.returncode}")
        time.sleep(0.001)


_SLOT_LOCKS: list[int] = []


def _claim_slot() -> int:
    """The first uid of a slot no other run holds (a lock in a folder only root writes),
    none of whose ids is an account's or a group's."""
    folder = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    locks = folder / "throwaway-pg-uids"
    with contextlib.suppress(FileExistsError):
        locks.mkdir(mode=0o700)
    if locks.is_symlink() or locks.stat().st_uid != 0:
        raise UserNamespaceRefused(f"{locks} is not root's")
    for slot in range(1, SLOTS):
        base = FIRST_SLOT + slot * SLOT_SIZE
        if _taken(base, base + NOBODY):
            continue
        fd = os.open(locks / f"{slot}.lock", os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _SLOT_LOCKS.append(fd)
        return base
    raise UserNamespaceRefused("every uid slot is taken")


def _taken(*ids: int) -> bool:
    """Whether an account or a group of the machine has one of these ids."""
    for number in ids:
        for lookup in (pwd.getpwuid, grp.getgrgid):
            with contextlib.suppress(KeyError):
                lookup(number)
                return True
    return False
