"""Database checks pages run by name with <!-- check: name -->: effects, not exit codes.

A site registers its own (this one in tests/page_checks.py) with the `check` decorator; each
takes the page's run (its database URL, its project, its terminal's state), and runs with the
reader's rights (`run_check`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from docs_runner import shell
from throwaway_pg import identities

if TYPE_CHECKING:
    from docs_runner.run import PageRun

CHECKS: dict[str, Callable[[PageRun], None]] = {}


def check(name: str):
    """Register a database check that pages run with <!-- check: name -->."""

    def register(function: Callable[[PageRun], None]) -> Callable[[PageRun], None]:
        CHECKS[name] = function
        return function

    return register


class CheckFailed(AssertionError):
    """A check that failed in the reader's process: its traceback, as text."""


def run_check(name: str, run: PageRun) -> None:
    """Run a registered check with the reader's rights. As root, a check reads what the
    page's lines (run as the reader) left: files, links, FIFOs, migrations it imports.
    Root's rights would make each of those a way in, so the check runs in a forked child
    that leaves root's session, files and environment and becomes the reader before it
    does anything else; it is bounded by the command timeout, its report by REPORT_LIMIT."""
    function = CHECKS[name]
    popen = run.shell.popen
    if "user" not in popen:  # the reader is this process's user
        function(run)
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child; it never returns)
        _as_reader_child(write, popen, function, run)
    os.close(write)
    try:
        report = _read_report(read, run.shell.timeout)
    finally:
        os.close(read)
        _end(pid)
        shell.kill_strays(run.shell, _marker(run))  # what it started in a session of its own
    if report is None:
        raise CheckFailed(f"check {name!r} ran longer than {run.shell.timeout:g} s")
    if report:
        raise CheckFailed(report)


REPORT_LIMIT = 1 << 16  # bytes of a failed check's traceback


def _marker(run: PageRun) -> str:
    """In the environment of what a check starts (a line's kind: see shell.kill_strays)."""
    return f"shell-state-{run.shell.token}-check"


def _as_reader_child(write: int, popen: dict, function: Callable, run: PageRun) -> NoReturn:
    """The check, in the child: nothing of root's is left to it but memory, which it leaves
    only through `write`, and it never returns into the caller's code."""
    try:
        report = b"check ended without a result"
        try:
            # The line's marker: what the check leaves running is swept as theirs is.
            env = {**run.shell.env, "__STATE": _marker(run)}
            _alone(popen.get("userns"))
            _leave_root(write, popen, env)
            function(run)
            report = b"\0"  # passed: an empty read means no result
        except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
            text = "".join(traceback.format_exception(error))
            report = text.encode(errors="replace")[:REPORT_LIMIT] or report
        os.write(write, report)  # within a pipe's buffer, or the parent reads as it comes
    finally:
        os._exit(0)


_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
PR_SET_PDEATHSIG = 1


def _alone(userns: str | None) -> None:
    """Into the reader's user namespace, if it has one, then into a PID namespace and a /proc
    of its own, as lines go (shell.UNSHARE): this process forks, and its child, the
    namespace's first process, goes on. When that ends, the kernel kills all the check
    started (`env -i` took a page's script past the sweep), and it sees no process outside.
    Where the kernel refuses a PID namespace, only that is left out."""
    if userns:
        identities.enter(userns)  # raises: never on as root outside it
    if not shell.pid_namespaces() or _LIBC.unshare(CLONE_NEWPID | CLONE_NEWNS) != 0:
        return
    if pid := os.fork():  # waits for the check; killed (its timeout), the check dies too
        os.waitpid(pid, 0)
        os._exit(0)
    _LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    _LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def _leave_root(keep: int, popen: dict, env: dict[str, str]) -> None:
    """A session of its own (no terminal of root's to type into), no descriptor of root's
    but `keep` (logs, locks, sockets, captured output), the reader's environment instead
    of root's, then the reader's user."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    os.environ.clear()
    os.environ.update(env)
    resource.setrlimit(resource.RLIMIT_NPROC, (shell.NPROC, shell.NPROC))
    os.setgroups(popen.get("extra_groups", []))
    os.setgid(popen["group"])
    os.setuid(popen["user"])
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it


def _read_report(fd: int, timeout: float) -> str | None:
    """What the child wrote, up to its end (REPORT_LIMIT at most); None if it did not end
    within `timeout`."""
    deadline = time.monotonic() + timeout
    report = b""
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                text = report.decode(errors="replace")
                return "" if text == "\0" else text or "check ended without a result"
            report = (report + chunk)[: REPORT_LIMIT + 1]
    return None


def _end(pid: int) -> None:
    """The child and its group gone (a child that left its group is killed by itself)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
