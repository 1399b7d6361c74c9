"""Database checks pages run by name with <!-- check: name -->: effects, not exit codes.

A site registers its own (this one in tests/page_checks.py) with the `check` decorator; each
takes the page's run (its database URL, its project, its terminal's state), and runs with the
reader's rights (`run_check`).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

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
    page's lines (run as the reader) left: files, links, FIFOs, the terminal's environment,
    migrations it imports. Root's rights would make each of those a way in, so the check
    runs in a forked child that becomes the reader first, bounded by the command timeout."""
    function = CHECKS[name]
    popen = run.shell.popen
    if "user" not in popen:  # the reader is this process's user
        function(run)
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child; it never returns)
        os.close(read)
        _as_reader_child(write, popen, function, run)
    os.close(write)
    try:
        report = _read_report(read, run.shell.timeout)
    finally:
        os.close(read)
        _end(pid)
    if report is None:
        raise CheckFailed(f"check {name!r} ran longer than {run.shell.timeout:g} s")
    if report:
        raise CheckFailed(report)


def _as_reader_child(write: int, popen: dict, function: Callable, run: PageRun) -> NoReturn:
    report = "check ended without a result"
    try:
        os.setpgid(0, 0)  # what the check starts goes with it
        os.setgroups(popen.get("extra_groups", []))
        os.setgid(popen["group"])
        os.setuid(popen["user"])
        function(run)
        report = ""
    except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
        report = "".join(traceback.format_exception(error))
    finally:
        with os.fdopen(write, "w") as out:
            out.write(report or "\0")  # "\0": passed, so that an empty read means no result
        os._exit(0)


def _read_report(fd: int, timeout: float) -> str | None:
    """What the child wrote, up to its end; None if it did not end within `timeout`."""
    deadline = time.monotonic() + timeout
    chunks = []
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                text = b"".join(chunks).decode(errors="replace")
                return "" if text == "\0" else text or "check ended without a result"
            chunks.append(chunk)
    return None


def _end(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
