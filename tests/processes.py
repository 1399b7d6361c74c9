"""Processes the tests start and wait for: every wait is bounded."""

import contextlib
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

WAIT = 30  # seconds


def result(process: subprocess.Popen) -> tuple[int, str]:
    """(exit status, output) of a process started with text output piped; killed after
    WAIT seconds."""
    try:
        output, _ = process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return process.returncode, output


def until(condition: Callable[[], object], what: str) -> None:
    """Wait for `condition` to hold, failing after WAIT seconds with `what` was awaited."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting {WAIT} s for {what}"
        time.sleep(0.05)


def sleeping(seconds: str) -> list[int]:
    """The processes running `sleep SECONDS` itself (not a wrapper whose arguments name
    it)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # gone meanwhile
            if cmdline.read_bytes().split(b"\0")[:2] == [b"sleep", seconds.encode()]:
                found.append(int(cmdline.parent.name))
    return found
