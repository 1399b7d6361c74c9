"""The author's executor (watch, update): a profile's tool in this process, python blocks in
this interpreter, everything else as the terminal executor runs it; the same bytes, faster.

A console line goes to the profiles first (alembic_docs runs `alembic` in-process, printing
what the CLI prints on a terminal), else to bash on a terminal. Python blocks share one
namespace per page in this interpreter, their stdout and stderr captured in order. All of
it runs as this process's user, never as the reader: root's update runs a page as root.
"""

from __future__ import annotations

import contextlib
import io
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from docs_runner import shell
from docs_runner.executors.base import InterpreterEnded
from docs_runner.executors.terminal import Terminal


class _Capture(io.StringIO):
    encoding = "utf-8"  # what a terminal takes (some writers encode with `stream.encoding`)


class _Expired(BaseException):
    """The block's time is up (a BaseException: the block's own `except Exception` lets it
    through)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the Python code run in the block after `seconds` (a C call that blocks, when
    it returns); only the main thread gets signals, so elsewhere there is no limit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class InProcess(Terminal):
    name = "in-process"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.namespace: dict[str, Any] = {"__name__": "__main__"}

    def console(self, line: str, argv: list[str], fails: bool) -> tuple[int, str]:
        if self.hook is not None:
            try:
                with _time_limit(self.shell.timeout):
                    result = self.hook.pytest_docs_run_command(
                        executor=self, argv=argv, fails=fails
                    )
            except _Expired:
                raise shell.CommandTimeout(
                    f"`{line}` ran longer than {self.shell.timeout:g} s; stopped."
                ) from None
            if result is not None:
                return result
        return super().console(line, argv, fails)

    def python(self, source: str, filename: str) -> tuple[str, bool]:
        out = _Capture()
        with (
            shell.environment(self.shell.env),
            contextlib.chdir(self.shell.cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),  # a reader's terminal shows both
        ):
            try:
                with _time_limit(self.shell.timeout):
                    exec(compile(source, filename, "exec"), self.namespace)
            except _Expired:
                raise shell.CommandTimeout(
                    f"the python block ran longer than {self.shell.timeout:g} s; stopped. "
                    f"It printed:\n{out.getvalue()}"
                ) from None
            except SystemExit as exiting:  # the reader's interpreter ends: so does its namespace
                status = _exit_status(exiting)
                self.namespace = {"__name__": "__main__"}
                if status != 0:
                    raise InterpreterEnded(status, out.getvalue()) from None
            except Exception as error:  # printed as the interpreter prints it, not our frame
                error.__traceback__ = error.__traceback__ and error.__traceback__.tb_next
                traceback.print_exception(error)
                return out.getvalue(), True
        return out.getvalue(), False


def _exit_status(exiting: SystemExit) -> int:
    """The status an uncaught SystemExit ends an interpreter with, its message printed to
    stderr as the interpreter prints it: `sys.exit("why")` is status 1, `sys.exit(-1)` 255."""
    code = exiting.code
    if code is None:
        return 0
    if isinstance(code, int):  # a C int, as the interpreter passes it to exit()
        return code & 0xFF if -(1 << 63) <= code < 1 << 63 else 255
    print(code, file=sys.stderr)
    return 1
