"""The reader's executor: every console line in bash on a terminal, python blocks in the
reader's own `python`, as someone following the page in a terminal window runs them.

Nothing of the harness's process is used: `alembic` is whichever the terminal's PATH finds,
and a python block runs in one interpreter per page (a REPL's namespace), started from the
`python` on that PATH, on a terminal too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import shutil
import subprocess
import time

from docs_runner import shell
from docs_runner.executors.base import Executor, InterpreterEnded

# What the interpreter prints after each block (and before that, if it raised), with a
# token of the page's: no block prints it by chance, or knows it without digging.
END, RAISED = "--- end of block {} ---", "--- the block raised {} ---"
EXITED = "--- the block exited {} ---"  # raised SystemExit: the interpreter ends, as a REPL
# Reads the token, then code blocks from descriptor `fd` (a line "<size> <file name>", then
# the code) into one namespace, as a REPL; a traceback leaves out this loop's own frame.
# What it calls is bound first, and the markers go to the terminal's descriptor: a block
# may replace the builtins (`exec`) or the streams (sys.stdout) the later ones share, and
# one that did made every later block pass.
_INTERPRETER = f"""
import os, sys, traceback
def serve(source, exec=exec, compile=compile, report=traceback.print_exception, write=os.write):
    token = source.readline().strip().decode()  # a local: not in the blocks' namespace
    namespace = {{"__name__": "__main__"}}
    def mark(text):
        for stream in (sys.stdout, sys.stderr):  # what the block printed comes first
            try:
                stream.flush()
            except BaseException:
                pass
        write(1, (text.format(token) + "\\n").encode())
    for header in iter(source.readline, b""):
        name, size = (int(part) for part in header.split())  # bytes, whatever the locale
        name, code = (source.read(n).decode("utf-8", "surrogateescape") for n in (name, size))
        try:
            exec(compile(code, name, "exec"), namespace)
        except SystemExit:
            mark({EXITED!r})
            raise
        except Exception as error:
            error.__traceback__ = error.__traceback__.tb_next
            report(error)
            mark({RAISED!r})
        mark({END!r})
serve(os.fdopen(int(sys.argv[1]), "rb"))
"""


class Terminal(Executor):
    name = "terminal"
    _python: tuple[subprocess.Popen, int, int] | None = None  # process, controller, code
    _token = ""  # the running interpreter's (END, RAISED)
    _running = False  # a block was handed over, its end not read (a stop signal came)

    def console(self, line: str, argv: list[str], fails: bool) -> tuple[int, str]:
        return shell.run_line(line, self.shell)

    def python(self, source: str, filename: str) -> tuple[str, bool]:
        if self._python is None:
            python = shutil.which("python", path=self.shell.env.get("PATH"))
            if python is None:
                return "python: command not found\n", True
            code_out, code_in = os.pipe()
            argv = [python, "-u", "-c", _INTERPRETER, str(code_out)]
            # What the blocks start carries a marker of its own (not the lines', whose sweep
            # after each line would end the interpreter): found at the page's end even where
            # it left the interpreter's process group (shell.kill_strays).
            env = {**self.shell.env, "__BLOCKS": self._marker}
            try:
                process, controller = shell.spawn(
                    argv, self.shell.cwd, env, pass_fds=(code_out,), **self.shell.popen
                )
            finally:
                os.close(code_out)
            self._token = secrets.token_hex(16)
            os.write(code_in, f"{self._token}\n".encode())  # into an empty pipe: at once
            os.set_blocking(code_in, False)  # blocks are written only as time allows (_send)
            self._python = (process, controller, code_in)
        process, controller, code_in = self._python
        end, raised_marker = END.format(self._token) + "\n", RAISED.format(self._token) + "\n"
        deadline = time.monotonic() + self.shell.timeout
        status = 0  # the interpreter's, if the block ended it
        self._running = True  # until its end is read: a stop signal meanwhile kills at once
        try:
            name, code = (text.encode(errors="surrogateescape") for text in (filename, source))
            self._send(f"{len(name)} {len(code)}\n".encode() + name + code, deadline)
            output = shell.read_until(
                controller, lambda shown: shown.endswith(end.encode()), deadline, process
            )
            if not output.endswith(end):  # no one writes to its terminal any more:
                # the block ended it (exit(), sys.exit(3), a signal), or closed it. As root
                # the process is a shell that waited for it: death by signal N is 128 + N.
                status = shell.wait(process, deadline)
        except shell.TooMuchOutput as error:
            self.close()  # killed: the next block starts a new interpreter
            raise shell.TooMuchOutput(f"the python block {error}") from None
        except shell.CommandTimeout as timeout:
            self.close()  # killed: the next block starts a new interpreter
            raise shell.CommandTimeout(
                f"the python block ran longer than {self.shell.timeout:g} s; killed. "
                f"It printed:\n{timeout}"
            ) from None
        if not output.endswith(end):
            self.close()  # the block ended the interpreter (exit()); the next starts anew
            # Before what Python prints as it exits (a SystemExit's message)
            exited = EXITED.format(self._token) + "\n"
            by_exit, output = exited in output, output.replace(exited, "", 1)
            # Ended at 0 with no SystemExit of the block's: by os._exit, or by what an
            # earlier block left (an audit hook, a thread), which made it pass unrun.
            if status != 0 or not by_exit:
                raise InterpreterEnded(status, shell.screen(output), by_exit or status != 0)
        self._running = False
        output = output.removesuffix(end)
        raised = output.endswith(raised_marker)
        return shell.screen(output.removesuffix(raised_marker)), raised

    def _send(self, code: bytes, deadline: float) -> None:
        """Write `code` to the interpreter as it reads it, until `deadline`: a block over a
        pipe's 64 KiB waits for the interpreter, which may never read (a stopped process)."""
        assert self._python is not None
        process, _, code_in = self._python
        while code:
            left = deadline - time.monotonic()
            if left <= 0:
                shell.kill_group(process)
                raise shell.CommandTimeout("")
            if select.select([], [code_in], [], min(left, 1.0))[1]:
                try:
                    code = code[os.write(code_in, code) :]
                except BrokenPipeError:  # `threading.Timer(1, os._exit, (0,))` a block before
                    self.close()  # the next block starts a new interpreter
                    raise shell.LineError(
                        "the page's python interpreter ended before this block"
                    ) from None

    @property
    def _marker(self) -> str:
        return f"python-blocks-{self.shell.token}"

    def close(self) -> None:
        if self._python is not None:
            process, controller, code_in = self._python
            self._python = None
            try:
                os.close(code_in)  # the interpreter reads to the end and exits
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0 if self._running else 10)
            finally:  # a stop signal in that wait (a cancelled run) still kills it all
                shell.kill_group(process)  # and what its blocks started that still runs
                shell.kill_strays(self.shell, self._marker)
                os.close(controller)
