"""Pages run as a reader runs them: in order, in one terminal, one project, one database.

The suite gives each page its own project and database. A reader has neither: they start
with their system's PATH, install what the first page says into a virtualenv, type their
own database URL where a page shows an example one, and carry the project from one page to
the next. A `Tour` is the terminal executor over several pages:
  - a page's `<!-- project: name -->` is checked against the reader's project instead of
    copied: the pages before must have built what this one starts from;
  - `<!-- database: VARIABLE -->` is a database the reader made and set, as the page said;
  - what the pages show as an example (a URL) is typed as the reader's own.
"""

from __future__ import annotations

import datetime
import os
import sys
import unittest
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sybil import Document

from docs_runner import blocks, shell
from docs_runner.blocks.whole_page import PageEnd, Provenance
from docs_runner.executors.terminal import Terminal
from docs_runner.run import PageRun

HINT = (
    "A reader running the pages in order in one terminal gets this, though each page passes "
    "on its own: the steps of the pages before must change, not the shown output"
)


class Typed:
    """What the pages show -> what this reader types instead (their URL), both ways; the
    produced values of a tour (docs_runner.normalise.ProducedValues)."""

    rule = "readers-own"

    def __init__(self, typed: dict[str, str]) -> None:
        self.typed = typed

    def learn(self, actual: str, expected: str) -> None:
        pass

    def to_shown(self, text: str) -> str:
        for shown, real in self.typed.items():
            text = text.replace(real, shown)
        return text

    def to_real(self, text: str) -> str:
        for shown, real in self.typed.items():
            text = text.replace(shown, real)
        return text

    def to_typed(self, command: str) -> str:
        return command

    def command_ran(self, argv: list[str], output: str) -> None:
        pass


class Tour(Terminal):
    name = "tour"

    def __init__(self, *args: Any, typed: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.typed = Typed(typed)
        # What a page shows -> what this reader typed or got: their URL, and the values the
        # profiles map (revision ids), carried from page to page (see `read`).
        self.values: list = [self.typed]
        self.written: dict[str, Path] = {}  # examples/ file -> where a file block wrote it
        self.examples: Path | None = None

    def start_from(self, example: Path) -> str | None:
        """The reader's project holds every file of `example` the page starts from."""
        differ = []
        for path in sorted(p for p in example.rglob("*") if p.is_file()):
            snippet = str(path.relative_to(example.parent))
            relative = self._to_real(str(path.relative_to(example)))
            there = self.written.get(snippet, self.project / relative)
            if not there.is_file() or there.read_text() != self._to_real(path.read_text()):
                differ.append(str(there.relative_to(self.project)))
        if differ:
            return (
                f"starts from examples/{example.name}/, but the reader's project, built by "
                f"the pages before it, differs in: {', '.join(differ)}"
            )
        return None

    def _to_real(self, text: str) -> str:
        for values in self.values:
            text = values.to_real(text)
        return text

    def wrote(self, snippet: str, path: Path) -> None:
        super().wrote(snippet, path)
        self.written[snippet] = path

    def database(self, variable: str) -> str | None:
        if variable not in self.shell.env:  # a reader made it, as the page says
            return f"the reader's terminal has no {variable}"
        return None

    @property
    def hint(self) -> str | None:
        return HINT


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


def read(pages: Iterable[Path], root: Path, tour: Tour, examples: Path) -> Iterator[PageRun]:
    """Run the pages in order on `tour`; yields each page's run once its blocks ran.

    Stops at the first failure, raising it (later blocks depend on it, as for a reader):
    the ids a page's commands made up are the reader's in the pages after it too."""
    started = datetime.datetime.now()
    for number, path in enumerate(pages):
        text = path.read_text()
        run = PageRun(root, path.relative_to(root), text, examples, tour, started=started)
        if number == 0:  # the profiles' values (revision ids), kept for the pages after
            tour.values[:0] = run.values
        run.values = tour.values
        try:
            for _, block in blocks.lex(Document(text, str(path))):
                if isinstance(block, (Provenance, PageEnd)):
                    continue  # about the page, verified by its own run
                try:
                    failure = block.evaluate(run)
                except unittest.SkipTest:
                    continue
                if failure:
                    raise AssertionError(failure.message)
            yield run
        finally:
            run.files.close()
            tour.close()
