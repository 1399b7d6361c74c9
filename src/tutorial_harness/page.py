"""Running one page: its scratch project, its database, and the Sybil glue.

A page is a scenario: its blocks run top to bottom in a fresh project directory with
DATABASE_URL set to a fresh database, and what the page shows is compared with what happened.
Each block kind (tutorial_harness.blocks) evaluates itself against the `PageRun`.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import shlex
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sybil import Document, Example, Region

from tutorial_harness import alembic_cli, blocks, provenance, shell
from tutorial_harness.blocks.base import Block, Fence
from tutorial_harness.exercised import FileWatch, forget_stale_caches
from tutorial_harness.normalise import (
    Context,
    ElisionError,
    RevisionIds,
    check_elisions,
    compare,
    keep_elisions,
    normalise,
    tidy,
)
from tutorial_harness.record import PageRecord

if TYPE_CHECKING:
    from tutorial_harness.reader import Reader

READER_HINT = (
    "A reader running the pages in order in one terminal gets this, though each page passes "
    "on its own: the steps of the pages before must change, not the shown output"
)
CHECKS: dict[str, Callable[[PageRun], None]] = {}
SHELL_SPECIALS = set("|&;<>$`\\*?")


def check(name: str):
    """Register a database check that pages run with <!-- check: name -->."""

    def register(function: Callable[[PageRun], None]) -> Callable[[PageRun], None]:
        CHECKS[name] = function
        return function

    return register


@dataclass
class PageRun:
    root: Path  # the project whose docs/ this page is in
    page: Path  # relative to root
    text: str  # the page as read before the run (rewrites apply to it)
    project: Path
    database_url: str
    examples: Path
    shell: shell.ShellState
    manifest: Path | None = None  # the verification manifest, if the project keeps one
    in_process: bool = True
    update: bool = False
    update_command: str = "pytest --update-docs"  # what rewrites shown outputs (ini setting)
    ids: RevisionIds = field(default_factory=RevisionIds)
    started: datetime.datetime = field(default_factory=datetime.datetime.now)
    namespace: dict[str, Any] = field(default_factory=dict)
    last_stdout: str | None = None
    failed_at: int | None = None
    rewrites: list[tuple[int, int, str]] = field(default_factory=list)
    record: PageRecord = field(default_factory=PageRecord)
    files: FileWatch = field(default_factory=FileWatch)
    reader: Reader | None = None  # set when pages run as a reader runs them (.reader)

    def run(self, line: str, fails: bool = False) -> tuple[int, str]:
        """One console line, as (exit status, output): alembic in-process when it is a
        plain alembic call, anything else in bash.

        A command the page says fails runs as the real CLI, the only way to print its real
        traceback. It is never run twice: a failed command may have committed part of its
        work (`transaction_per_migration`, an autocommit block), so a second run would not
        be the reader's. If an unmarked command raises in-process, its result is what an
        uncaught exception gives: the traceback and exit status 1.
        """
        line = self.ids.prefixes_to_real(self.to_real(line))  # `cat versions/<shown id>_x.py`
        argv = shlex.split(line, comments=True) if not set(line) & SHELL_SPECIALS else []
        if argv[:1] != ["alembic"] or self.reader:
            status, output = shell.run_line(line, self.shell)
        else:
            status, output = self._alembic(argv[1:], fails)
        forget_stale_caches(self.project)
        if argv[1:2] in (["revision"], ["merge"]) and "--rev-id" not in argv:
            self.ids.note_generated(output)
        return status, output

    def to_real(self, text: str) -> str:
        """What the page shows as what this run types: its own ids (and a reader's URL)."""
        return self.ids.to_real(self.reader.to_real(text) if self.reader else text)

    def _alembic(self, argv: list[str], fails: bool) -> tuple[int, str]:
        if not self.in_process or fails:
            return alembic_cli.run_subprocess(argv, self.shell.cwd, self.shell.env)
        try:
            return alembic_cli.run_in_process(argv, self.shell.cwd, self.shell.env)
        except alembic_cli.UnfaithfulInProcess as error:
            cause = error.__cause__ or error
            return 1, "".join(traceback.format_exception(cause))

    @functools.cached_property
    def versions(self) -> dict[str, str]:
        """What this run used: the libraries here, and the server behind the URL."""
        return provenance.versions(self.database_url)

    @property
    def other_versions(self) -> str | None:
        """How this run's versions differ from those the page was recorded with, if they do."""
        recorded = provenance.recorded(self.text)
        return provenance.other_versions(recorded, self.versions) if recorded else None

    @property
    def hint(self) -> str:
        """What a difference calls for. Rewriting the page is right only from the versions it
        was recorded with; from others, the difference is what their readers see."""
        if self.reader:
            return READER_HINT
        other = self.other_versions
        if other:
            return provenance.for_readers(other)
        return f"Rewrite shown outputs from a real run with: {self.update_command}"

    @property
    def context(self) -> Context:
        return Context(str(self.project), self.ids, self.started)

    def compare(
        self, output: str, expected: str, line: int, what: str
    ) -> tuple[str | None, str, list[str]]:
        """(failure or None, the output as update would show it, each shown line's class)."""
        try:
            check_elisions(expected)
        except ElisionError as error:
            return f"{self.page}:{line}: {error}", tidy(expected), []
        if self.reader:
            output = self.reader.to_shown(output)
        actual = normalise(output, expected, self.context)
        classes = compare(actual, expected)
        if classes is not None:
            return None, tidy(expected), classes
        shown = keep_elisions(actual, expected)  # what update writes, classified as such
        classes = compare(actual, shown) or []
        return _diff(self.page, line, what, expected, shown, self.hint), shown, classes

    def rewrite_fence(self, fence: Fence, source: str) -> None:
        """Replace the fence's content (kept indented as the fence is, e.g. inside a tab)."""
        opening_end = self.text.index("\n", fence.start) + 1
        closing_start = self.text.rindex("\n", fence.start, fence.end) + 1
        opening = self.text[fence.start : opening_end]
        indent = opening[: len(opening) - len(opening.lstrip())]
        body = "".join(indent + line + "\n" if line else "\n" for line in source.splitlines())
        self.rewrites.append((opening_end, closing_start, body))

    def updated_text(self) -> str:
        """The page with the changes update mode collected so far."""
        text = self.text
        for start, end, new in sorted(self.rewrites, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def apply_rewrites(self) -> None:
        """Write collected output changes back into the page (update mode)."""
        if self.rewrites:
            self.page.write_text(self.updated_text())


def parse(document: Document) -> list[Region]:
    """The Sybil parser: one region per block, each evaluated by its kind."""
    return [
        Region(region.start, region.end, block, _evaluator(block))
        for region, block in blocks.lex(document)
    ]


def _evaluator(block: Block) -> Callable[[Example], str | None]:
    def evaluator(example: Example) -> str | None:
        run: PageRun = example.namespace["page_run"]
        if run.failed_at is not None and not block.independent:
            return f"not run: the block at line {run.failed_at} failed first"
        try:
            failure = block.evaluate(run)
        except Exception:
            if not block.independent:
                run.failed_at = example.line
            raise
        if failure and not block.independent:
            run.failed_at = example.line
        return failure

    return evaluator


def _diff(page: Path, line: int, what: str, expected: str, actual: str, hint: str) -> str:
    diff = difflib.unified_diff(
        tidy(expected).splitlines(),
        actual.splitlines(),
        f"{page}:{line} (shown on the page)",
        f"real output of {what}",
        lineterm="",
    )
    return (
        f"{page}:{line}: {what} printed something else than the page shows\n"
        + "\n".join(diff)
        + f"\n{hint}"
    )
