"""The browser's executor, in the worker's Python: a page's blocks against PGlite.

A console line runs if it is `alembic ...` (with `VAR=value` or `env -u VAR` before it);
anything else, psql included, runs only in a reader's terminal and is said so, never
imitated. Outputs are compared with the page's as the suite compares them, by the suite's
own modules (docs_runner.normalise, alembic_docs.revision_ids), which run here too.

The project lives at /path/to/project, the path the pages show; the terminal is 80 columns
wide, as the one the pages were recorded in. PGlite is one session of one database: every
URL reaches it.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import io
import json
import logging
import os
import shlex
import shutil
import socket
import sys
import traceback
from pathlib import Path

from alembic_docs import revision_ids
from docs_runner import normalise
from docs_runner.grammar import FAILS, SHELL_SPECIALS

PROJECT = Path(normalise.PROJECT_PLACEHOLDER)
COLUMNS = 80
DATABASE_URL = "postgresql://postgres@localhost:5432/tutorial"
TERMINAL_ONLY = "runs in your terminal"


class Screen(io.TextIOBase):
    """sys.stdout and sys.stderr, for good: Alembic's Config keeps the sys.stdout it found
    at import, so a command's output is caught by switching where this one writes."""

    def __init__(self) -> None:
        self.target = io.StringIO()

    def write(self, text: str) -> int:
        return self.target.write(text)

    @contextlib.contextmanager
    def catching(self):
        """What is written meanwhile: stdout and stderr interleaved, as a terminal shows."""
        self.target = io.StringIO()
        yield self.target


SCREEN = Screen()


def handle(session: Session, kind: str, payload: str) -> str:
    """The worker's one entry point: JSON in, JSON out (no proxies to free); a failure of
    the runner itself as {"error": its traceback}."""
    try:
        return json.dumps(_handle(session, kind, json.loads(payload)))
    except Exception:
        return json.dumps({"error": traceback.format_exc()})


def _handle(session: Session, kind: str, argument: object) -> dict:
    if kind == "connects":
        return {"connects": connects(argument)}
    if kind == "reset":
        session.reset()
        result: dict = {}
    else:
        result = session.step(argument) if kind == "step" else session.typed(argument)
    session.save()
    return result


class Session:
    """One project and its database, across the tutorial's pages (a reset starts over)."""

    def __init__(self, state: Path | None = None) -> None:
        os.environ["DATABASE_URL"] = DATABASE_URL
        sys.stdout = sys.stderr = SCREEN  # before Alembic is imported
        self.state = state  # where the session is kept across reloads, if anywhere
        saved = json.loads(state.read_text()) if state and state.is_file() else {}
        self.ids = revision_ids.RevisionIds(set(saved.get("generated", [])), saved.get("shown", {}))
        started = saved.get("started")
        self.started = (
            datetime.datetime.fromisoformat(started) if started else datetime.datetime.now()
        )
        self.namespace: dict = {"__name__": "__main__"}  # the python blocks' session
        PROJECT.mkdir(parents=True, exist_ok=True)
        os.chdir(PROJECT)

    def save(self) -> None:
        """What the next page needs after a reload: which ids are the reader's own."""
        if self.state:
            kept = {"generated": sorted(self.ids.generated), "shown": self.ids.shown}
            self.state.write_text(json.dumps({**kept, "started": self.started.isoformat()}))

    def reset(self) -> None:
        """An empty project directory and an empty database."""
        self.ids = revision_ids.RevisionIds()
        self.started = datetime.datetime.now()
        self.namespace = {"__name__": "__main__"}
        os.chdir(PROJECT)
        for path in PROJECT.iterdir():  # the directory itself may be a mount point
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        run_sql("DROP SCHEMA public CASCADE")
        run_sql("CREATE SCHEMA public")

    # Blocks, as the page's JSON gives them (in_browser.steps).
    def step(self, step: dict) -> dict:
        kind = step["kind"]
        if kind == "console":
            return {"commands": [self.console(c) for c in step["commands"]]}
        if kind == "file":
            path = PROJECT / self.ids.to_real(step["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.ids.to_real(step["content"]))
            return {"verdict": "written"}
        if kind == "python":
            output = run_python(step["source"], self.namespace)
            if step["expected"] is None:
                return {"verdict": "ran", "output": output}
            return {"output": output, **self.compare(output, step)}
        if kind == "project":
            if not (PROJECT / "alembic.ini").exists():  # else: the reader's, from before
                for name, content in step["files"].items():
                    (PROJECT / name).parent.mkdir(parents=True, exist_ok=True)
                    (PROJECT / name).write_text(content)
            return {"verdict": "written"}
        raise ValueError(f"no such step: {kind}")

    def console(self, command: dict) -> dict:
        line = self.ids.to_typed(self.ids.to_real(command["line"]))
        runnable = alembic_argv(line)
        if runnable is None:
            return {"verdict": "terminal", "why": TERMINAL_ONLY}
        status, output = self.alembic(*runnable)
        return {"status": status, "output": output, **self.compare(output, command)}

    def alembic(self, env: dict[str, str | None], argv: list[str]) -> tuple[int, str]:
        """An alembic line, noting the revision ids it made up."""
        status, output = run_alembic(argv, env)
        self.ids.command_ran(argv, output)
        return status, output

    def compare(self, output: str, command: dict) -> dict:
        expected = command["expected"]
        context = normalise.Context(str(PROJECT), [self.ids], self.started)
        actual = normalise.normalise(output, expected, context)
        if normalise.compare(actual, expected) is not None:
            return {"verdict": "as recorded"}
        shown = normalise.keep_elisions(actual, expected)
        diff = difflib.unified_diff(
            normalise.tidy(expected).splitlines(), shown.splitlines(),
            "on the page", "in your browser", lineterm="",
        )  # fmt: skip
        return {"verdict": "differs", "diff": "\n".join(diff)}

    def typed(self, line: str) -> dict:
        """A reader's own command: alembic, or SQL."""
        runnable = alembic_argv(line)
        if runnable is not None:
            status, output = self.alembic(*runnable)
            return {"status": status, "output": output}
        if line.split()[:1] and line.split()[0].lower() in SQL_WORDS:
            return {"status": 0, **run_sql(line)}
        return {"verdict": "terminal", "why": f"{TERMINAL_ONLY}: here, alembic or SQL"}


def alembic_argv(line: str) -> tuple[dict[str, str | None], list[str]] | None:
    """(environment changes, argv) of a console line that runs alembic, or None: a pipe,
    a redirection, any other program is the terminal's."""
    line = FAILS.sub("", line)
    if set(line) & SHELL_SPECIALS:
        return None
    words = shlex.split(line, comments=True)
    env: dict[str, str | None] = {}
    if words[:2] == ["env", "-u"] and len(words) > 2:
        env[words[2]] = None
        words = words[3:]
    while words and "=" in words[0] and words[0].split("=")[0].isidentifier():
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return (env, words) if words[:1] == ["alembic"] else None


# Subcommands that only read or write scripts, unless an option asks the database: they
# run before PostgreSQL has started.
SCRIPTS_ONLY = {"init", "list_templates", "revision", "merge", "history", "heads", "show"}
ASKS_THE_DATABASE = {"--autogenerate", "-i", "--indicate-current"}


def connects(step: dict) -> bool:
    """Whether a step may open a connection: the worker waits for PostgreSQL first."""
    if step["kind"] == "console":
        return any(_connects(command["line"]) for command in step["commands"])
    return step["kind"] == "python"


def _connects(line: str) -> bool:
    runnable = alembic_argv(line)
    if runnable is None:
        return False  # the terminal's
    argv = runnable[1]
    return argv[1:2] != [] and (argv[1] not in SCRIPTS_ONLY or bool(ASKS_THE_DATABASE & {*argv}))


SQL_WORDS = {"select", "with", "table", "values", "show", "explain", "insert", "update",
             "delete", "create", "drop", "alter"}  # fmt: skip


def run_alembic(argv: list[str], env: dict[str, str | None]) -> tuple[int, str]:
    """`argv` as the `alembic` console script runs it: (exit status, what a terminal shows)."""
    from alembic.config import main
    from alembic.util import messaging

    messaging.TERMWIDTH = COLUMNS  # a terminal's stdout: indented and wrapped
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if v is not None})
    for name in [k for k, v in env.items() if v is None]:
        os.environ.pop(name, None)
    status = 0
    try:
        with SCREEN.catching() as screen:
            try:
                main(argv=argv[1:], prog="alembic")
            except SystemExit as exit:
                status = _exit_status(exit, screen)
            except Exception:
                traceback.print_exc()
                status = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _forget(logging.getLogger())
    return status, screen.getvalue()


def run_python(source: str, namespace: dict) -> str:
    """A python block in the page's session: what it printed, a traceback included."""
    with SCREEN.catching() as screen:
        try:
            exec(compile(source, "<python block>", "exec"), namespace)
        except Exception:
            traceback.print_exc()
    return screen.getvalue()


def _exit_status(exit: SystemExit, screen: io.StringIO) -> int:
    if exit.code is None or isinstance(exit.code, int):
        return (exit.code or 0) % 256  # as a process's: sys.exit(-1) is status 255
    print(exit.code, file=screen)  # sys.exit("message"), as Python prints it
    return 1


def _forget(root: logging.Logger) -> None:
    """The next command's fileConfig starts from nothing, as a new process does."""
    for handler in root.handlers[:]:
        root.removeHandler(handler)


def run_sql(sql: str) -> dict:
    """A statement's columns and rows, each value as text (NULL as nothing, as psql shows it)."""
    import pg8000.native

    connection = pg8000.native.Connection("postgres", host="localhost", database="tutorial")
    try:
        rows = connection.run(sql) or []
        names = [c["name"] for c in connection.columns or []]
        return {"columns": names, "rows": [["" if v is None else str(v) for v in r] for r in rows]}
    finally:
        connection.close()


NEGOTIATIONS = {(80877103).to_bytes(4, "big"), (80877104).to_bytes(4, "big")}
CANCEL = (80877102).to_bytes(4, "big")


class PGliteSocket:
    """What pg8000 takes for a socket: its bytes go to PGlite's synchronous raw-protocol
    call (`exec_protocol`, given by the worker), in this thread."""

    def __init__(self, exec_protocol) -> None:
        self.exec = exec_protocol
        self.pending = bytearray()
        self.received = bytearray()
        self.in_transaction = False

    def makefile(self, mode: str = "rwb") -> PGliteSocket:
        return self

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, timeout: float | None) -> None:
        pass

    def write(self, data: bytes) -> int:
        self.pending += data
        return len(data)

    sendall = write

    def flush(self) -> None:
        data, self.pending = bytes(self.pending), bytearray()
        if data[:1] == b"X":  # Terminate: PGlite is one session, kept for the next command
            return
        if data[4:8] in NEGOTIATIONS:  # SSL or GSS encryption? No (PGlite would exit)
            self.received += b"N"
            return
        if data[4:8] == CANCEL:
            return
        if data:
            reply = self.exec(data)
            # ReadyForQuery's status byte: I idle, T in a transaction, E failed one
            z = reply.rfind(b"Z\x00\x00\x00\x05")
            if z >= 0:
                self.in_transaction = reply[z + 5 : z + 6] != b"I"
            self.received += reply

    def read(self, size: int) -> bytes:
        self.flush()
        data, self.received = bytes(self.received[:size]), self.received[size:]
        return data

    recv = read

    def close(self) -> None:
        """Like a server whose client went away: an open transaction is rolled back."""
        if self.in_transaction:
            query = b"ROLLBACK\x00"
            self.exec(b"Q" + (len(query) + 4).to_bytes(4, "big") + query)
            self.in_transaction = False


def connect_to(exec_protocol) -> None:
    """Every connection anyone opens (`socket.create_connection`) reaches PGlite."""
    from pyodide.ffi import to_js

    def exchange(data: bytes) -> bytes:
        return exec_protocol(to_js(data)).to_bytes()

    def create_connection(*args: object, **kwargs: object) -> PGliteSocket:
        return PGliteSocket(exchange)

    socket.create_connection = create_connection  # type: ignore[assignment]
