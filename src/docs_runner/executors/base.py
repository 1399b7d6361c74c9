"""What every executor shares: a page's project directory, its terminal's state, its databases.

An executor is where a page's blocks run. Blocks ask it to run a console line or a python
block, to start from an example project, or to give one more database; how it does that is
its own business (in this process, in a reader's terminal, in a browser).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from docs_runner.shell import LineError, ShellState, run_as

CACHES = shutil.ignore_patterns("__pycache__")  # an example's own runs leave them


class InterpreterEnded(LineError):
    """A python block ended the page's interpreter with a failure: `sys.exit(3)`,
    `raise SystemExit("why")` (status 1), `os._exit(1)`, a signal. One line saying so;
    `output` is what the block printed, as for any block."""

    def __init__(self, status: int, output: str, by_exit: bool = True) -> None:
        said = f"the python block ended the interpreter with exit status {status}"
        if not by_exit:  # at 0, with no SystemExit: os._exit(0), or an earlier block's doing
            said = "the interpreter ended during the python block (exit status 0, no SystemExit)"
        with contextlib.suppress(ValueError):  # 128 + N: a shell's status for signal N
            said += f" (a shell's status for death by {signal.Signals(status - 128).name})"
        super().__init__(said)
        self.status, self.output = status, output


class Executor:
    name: ClassVar[str]

    def __init__(
        self,
        state: ShellState,
        database_url: str,
        new_database: Callable[[], str] | None = None,
        hook: Any = None,
    ) -> None:
        self.project = state.cwd  # where the page starts; lines may `cd` elsewhere
        self.shell = state
        self.database_url = database_url
        self._new_database = new_database  # another database, dropped with the page's
        self.hook = hook  # pytest's hooks, where profiles plug in (None: bash only)

    def console(self, line: str, argv: list[str], fails: bool) -> tuple[int, str]:
        """One console line as (exit status, what the reader's screen shows). `argv` is the
        line as bash splits it ([] if it uses shell syntax); `fails`: the page says it does."""
        raise NotImplementedError

    def python(self, source: str, filename: str) -> tuple[str, bool]:
        """A python block, in the namespace the page's earlier blocks ran in: what it printed
        on stdout and stderr, in order (a traceback included), and whether it raised.

        A block that ends the interpreter (`exit()`) ends the namespace too: the next block
        starts a new one. Ended with a status other than 0, it raises InterpreterEnded."""
        raise NotImplementedError

    def start_from(self, example: Path) -> str | None:
        """`<!-- project: name -->`: the project starts as a copy of `example`, written as
        the reader (a link their lines left in the project is followed with their rights)."""
        if "user" not in self.shell.popen:
            shutil.copytree(example, self.project, dirs_exist_ok=True, ignore=CACHES)
            return None
        for source in sorted(example.rglob("*")):
            if source.is_file() and "__pycache__" not in source.parts:
                target = self.project / source.relative_to(example)
                self.write_file(target, source.read_bytes())  # as it is: CRLF, binary
                if os.access(source, os.X_OK):
                    self._as_reader('chmod +x -- "$1"', target, "")
        return None

    # As the reader, where a link or a FIFO of theirs would make root read, write or
    # delete through it: the reader's own rights decide. (bash, which the lines run in.)
    _READ = 'test -f "$1" && exec head -c "$2" -- "$1"'  # a regular file, bounded
    _WRITE = 'mkdir -p -- "${1%/*}" && cat > "$1" && rm -f -- "${1%/*}/__pycache__/$2".*.pyc'

    def read_file(self, path: Path, limit: int = 1 << 20) -> str | None:
        """A file of the project, as the reader reads it (None: no regular file there)."""
        if "user" not in self.shell.popen:
            return path.read_text() if path.is_file() else None
        done = self._as_reader(self._READ, path, str(limit))
        if done.returncode != 0:
            return None
        return done.stdout.decode().replace("\r\n", "\n").replace("\r", "\n")  # as read_text

    def write_file(self, path: Path, content: str | bytes) -> None:
        """Write a file of the project as the reader would, less its stale bytecode cache
        (Python may trust it over a source rewritten within the same second)."""
        data = content if isinstance(content, bytes) else content.encode()
        if "user" not in self.shell.popen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            for cache in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
                cache.unlink()
            return
        done = self._as_reader(self._WRITE, path, path.stem, data)
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip()  # bash: line 1: PATH: WHY
            raise OSError(f"cannot write {path}: {said.rsplit(': ', 1)[-1] or 'bash failed'}")

    def _as_reader(
        self, script: str, path: Path, argument: str, given: bytes = b""
    ) -> subprocess.CompletedProcess[bytes]:
        command = ["bash", "-c", script, "bash", str(path), argument]
        try:
            return run_as(command, self.shell.popen, given, self.shell.timeout)
        except subprocess.TimeoutExpired:  # a FIFO: nothing reads or writes its other end
            raise OSError(f"{path} took over {self.shell.timeout:g} s: not a file") from None

    def wrote(self, snippet: str, path: Path) -> None:
        """A file block wrote examples/`snippet` at `path` (as the reader: it is theirs
        already, and root chowns nothing in a folder of theirs)."""

    def database(self, variable: str) -> str | None:
        """`<!-- database: VARIABLE -->`: one more fresh database, its URL in VARIABLE."""
        if self._new_database is None:
            return "this run gives each page one database only"
        self.shell.env[variable] = self._new_database()
        return None

    @property
    def hint(self) -> str | None:
        """What a difference calls for, if this executor knows better than the run."""
        return None

    def close(self) -> None:
        """Stop what the executor started for the page."""
