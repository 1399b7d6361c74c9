"""Pages run as a reader runs them: in order, in one terminal, one project, one database.

The page runner gives each page its own project, a database URL, and this environment's
alembic in-process. A reader has none of that: they start with their system's PATH, install
what the first page says into a virtualenv, type their own database URL where a page shows
an example one, and carry the project from one page to the next. `read` does the same:
  - every console line runs in bash, so `alembic` and `python` are the ones the pages'
    install step put on PATH (nothing of this environment's is on it);
  - python blocks run in one interpreter per page, started from the reader's `python`;
  - a page's `<!-- project: name -->` is checked against the reader's project instead of
    copied: the previous pages must have built what this one starts from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unittest
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document

from docs_runner import blocks, page, shell
from docs_runner.blocks.whole_page import PageEnd, Provenance

END = "--- end of block ---"
# Reads code blocks from stdin (a line "<size> <file name>", then the code) into one
# namespace, as a REPL; a traceback leaves out this loop's own frame.
_INTERPRETER = f"""
import sys, traceback
namespace = {{"__name__": "__main__"}}
for header in iter(sys.stdin.readline, ""):
    size, name = header.rstrip("\\n").split(" ", 1)
    try:
        exec(compile(sys.stdin.read(int(size)), name, "exec"), namespace)
    except Exception as error:
        error.__traceback__ = error.__traceback__.tb_next
        traceback.print_exception(error, file=sys.stdout)
    print({END!r}, flush=True)
"""


@dataclass
class Reader:
    """What one reader types and runs that the page runner would not."""

    typed: dict[str, str]  # what a page shows -> what this reader types instead (their URL)
    written: dict[str, Path] = field(default_factory=dict)  # examples/ file -> project path
    _python: subprocess.Popen[str] | None = None

    def to_real(self, text: str) -> str:
        for shown, real in self.typed.items():
            text = text.replace(shown, real)
        return text

    def to_shown(self, text: str) -> str:
        for shown, real in self.typed.items():
            text = text.replace(real, shown)
        return text

    def python(self, code: str, name: str, state: shell.ShellState) -> str:
        """Run a python block in this page's interpreter (the reader's `python`)."""
        if self._python is None:
            python = shutil.which("python", path=state.env.get("PATH"))
            if python is None:
                return "python: command not found\n"
            self._python = subprocess.Popen(
                [python, "-u", "-c", _INTERPRETER],
                cwd=state.cwd,
                env=state.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        assert self._python.stdin and self._python.stdout
        self._python.stdin.write(f"{len(code)} {name}\n{code}")
        self._python.stdin.flush()
        output = []
        for line in iter(self._python.stdout.readline, ""):
            if line == END + "\n":
                return "".join(output)
            output.append(line)
        self.close_python()  # the block ended the interpreter (exit()); the next starts anew
        return "".join(output)

    def close_python(self) -> None:
        if self._python is not None:
            self._python.communicate()
            self._python = None

    def check_project(self, run: page.PageRun, name: str) -> str | None:
        """The reader's project holds every file of examples/<name>/ the page starts from."""
        source = run.examples / name
        if not source.is_dir():
            return f"{run.page}: examples/{name}/ does not exist"
        differ = []
        for example in sorted(p for p in source.rglob("*") if p.is_file()):
            snippet = str(example.relative_to(run.examples))
            relative = run.to_real(str(example.relative_to(source)))
            path = self.written.get(snippet, run.project / relative)
            if not path.is_file() or path.read_text() != run.to_real(example.read_text()):
                differ.append(str(path.relative_to(run.project)))
        if differ:
            return (
                f"{run.page}: starts from examples/{name}/, but the reader's project, built by "
                f"the pages before it, differs in: {', '.join(differ)}"
            )
        return None


def system_path() -> str:
    """This process's PATH without this environment's scripts: what a terminal has."""
    own = {str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)}
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p not in own)


def terminal(tools: Path) -> dict[str, str]:
    """A reader's new terminal: no DATABASE_URL, no virtualenv, the system's PATH plus
    `tools` (the programs the pages told them to install from elsewhere, like psql)."""
    env = shell.terminal_env()
    for name in ("DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    # A page that installs before activating the virtualenv fails here instead of
    # installing into the machine's own Python.
    env["PIP_REQUIRE_VIRTUALENV"] = "true"
    return {**env, "PATH": os.pathsep.join([str(tools), system_path()])}


def read(pages: Iterable[Path], root: Path, run: page.PageRun) -> Iterator[tuple[Path, str]]:
    """Run the pages in order as `run.reader`; yields (page, block kind) for each block run.

    Stops at the first failure, raising it (later blocks depend on it, as for a reader)."""
    assert run.reader is not None, "a reader's run: PageRun(reader=Reader(...))"
    for path in pages:
        text = path.read_text()
        run.page, run.text, run.failed_at = path.relative_to(root), text, None
        document = Document(text, str(path))
        try:
            for _, block in blocks.lex(document):
                if isinstance(block, (Provenance, PageEnd)):
                    continue  # about the page, verified by its own run
                try:
                    failure = block.evaluate(run)
                except unittest.SkipTest:
                    continue
                if failure:
                    raise AssertionError(failure)
                yield run.page, type(block).__name__
        finally:
            run.reader.close_python()
