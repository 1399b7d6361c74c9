"""The reader's executor: every console line in bash on a terminal, python blocks in the
reader's own `python`, as someone following the page in a terminal window runs them.

Nothing of the harness's process is used: `alembic` is whichever the terminal's PATH finds,
and a python block runs in one interpreter per page (a REPL's namespace), started from the
`python` on that PATH, on a terminal too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time

from docs_runner import shell
from docs_runner.executors.base import Executor

END, RAISED = "--- end of block ---", "--- the block raised ---"
# Reads code blocks from descriptor `fd` (a line "<size> <file name>", then the code) into
# one namespace, as a REPL; a traceback leaves out this loop's own frame.
_INTERPRETER = f"""
import os, sys, traceback
source = os.fdopen(int(sys.argv[1]))
namespace = {{"__name__": "__main__"}}
for header in iter(source.readline, ""):
    size, name = header.rstrip("\\n").split(" ", 1)
    try:
        exec(compile(source.read(int(size)), name, "exec"), namespace)
    except Exception as error:
        error.__traceback__ = error.__traceback__.tb_next
        traceback.print_exception(error)
        print({RAISED!r}, flush=True)
    print({END!r}, flush=True)
"""


class Terminal(Executor):
    name = "terminal"
    _python: tuple[subprocess.Popen, int, int] | None = None  # process, controller, code

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
            self._python = (process, controller, code_in)
        process, controller, code_in = self._python
        os.write(code_in, f"{len(source)} {filename}\n{source}".encode())
        deadline = time.monotonic() + self.shell.timeout
        marker = (END + "\n").encode()
        try:
            output = shell.read_until(
                controller, lambda shown: shown.endswith(marker), deadline, process
            )
            if not output.endswith(END + "\n"):  # no one writes to its terminal any more:
                shell.wait(process, deadline)  # the block ended it (exit()), or closed it
        except shell.CommandTimeout as timeout:
            self.close()  # killed: the next block starts a new interpreter
            raise shell.CommandTimeout(
                f"the python block ran longer than {self.shell.timeout:g} s; killed. "
                f"It printed:\n{timeout}"
            ) from None
        if not output.endswith(END + "\n"):
            self.close()  # the block ended the interpreter (exit()); the next starts anew
        output = output.removesuffix(END + "\n")
        raised = output.endswith(RAISED + "\n")
        return shell.screen(output.removesuffix(RAISED + "\n")), raised

    @property
    def _marker(self) -> str:
        return f"python-blocks-{self.shell.token}"

    def close(self) -> None:
        if self._python is not None:
            process, controller, code_in = self._python
            os.close(code_in)  # the interpreter reads to the end and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            shell.kill_group(process)  # and what its blocks started that still runs
            shell.kill_strays(self.shell, self._marker)
            os.close(controller)
            self._python = None
