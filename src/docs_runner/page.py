"""Running one page: its scratch project, its database, and the Sybil glue.

A page is a scenario: its blocks run top to bottom in a fresh project directory with
DATABASE_URL set to a fresh database, and what the page shows is compared with what happened.
Each block kind (docs_runner.blocks) evaluates itself against the `PageRun`; a profile
(docs_runner.hookspecs) runs its tool's commands and maps the values they make up.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import shlex
import unittest
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sybil import Document, Example, Region

from docs_runner import blocks, provenance, shell
from docs_runner.blocks.base import Block, Fence
from docs_runner.exercised import FileWatch, forget_stale_caches
from docs_runner.normalise import (
    Context,
    ElisionError,
    ProducedValues,
    check_elisions,
    compare,
    keep_elisions,
    normalise,
    tidy,
)
from docs_runner.record import PageRecord

if TYPE_CHECKING:
    from docs_runner.reader import Reader

READER_HINT = (
    "A reader running the pages in order in one terminal gets this, though each page passes "
    "on its own: the steps of the pages before must change, not the shown output"
)
CHECKS: dict[str, Callable[[PageRun], None]] = {}
SHELL_SPECIALS = set("|&;<>$`\\*?")
DIFFERS = "printed something else than the page shows"


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
    new_database: Callable[[], str] | None = None  # another database, kept as long as the page
    hook: Any = None  # pytest's hooks, where profiles plug in (None: bash only)
    update: bool = False
    update_command: str = "pytest --update-docs"  # what rewrites shown outputs (ini setting)
    values: list[ProducedValues] = field(default_factory=list)  # the profiles' (ids, say)
    started: datetime.datetime = field(default_factory=datetime.datetime.now)
    namespace: dict[str, Any] = field(default_factory=dict)
    last_stdout: str | None = None
    failed_at: int | None = None
    other_output_at: list[int] = field(default_factory=list)  # with other versions
    known_differences: dict[int, str] = field(default_factory=dict)  # the versions record's
    rewrites: list[tuple[int, int, str]] = field(default_factory=list)
    record: PageRecord = field(default_factory=PageRecord)
    files: FileWatch = field(default_factory=FileWatch)
    reader: Reader | None = None  # set when pages run as a reader runs them (.reader)

    def __post_init__(self) -> None:
        if self.hook and not self.values:
            self.values = [v for v in self.hook.pytest_docs_produced_values(run=self) if v]

    def run(self, line: str, fails: bool = False) -> tuple[int, str]:
        """One console line, as (exit status, output): by a profile if one takes it (in
        a reader's run, never: they have a terminal), else in bash."""
        line = self.to_real(line)  # `cat versions/<shown id>_x.py`
        for values in self.values:
            line = values.to_typed(line)  # `alembic upgrade 1975+1`
        argv = shlex.split(line, comments=True) if not set(line) & SHELL_SPECIALS else []
        result = None
        if self.hook and not self.reader:
            result = self.hook.pytest_docs_run_command(run=self, argv=argv, fails=fails)
        status, output = result or shell.run_line(line, self.shell)
        forget_stale_caches(self.project)
        for values in self.values:
            values.command_ran(argv, output)
        return status, output

    def to_real(self, text: str) -> str:
        """What the page shows as what this run types: its own values (and a reader's URL)."""
        text = self.reader.to_real(text) if self.reader else text
        for values in self.values:
            text = values.to_real(text)
        return text

    @functools.cached_property
    def versions(self) -> dict[str, str]:
        """What this run used: the profiles' libraries, then the server behind the URL."""
        return provenance.versions(self.database_url, self.hook)

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
        return Context(str(self.project), self.values, self.started)

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
        except unittest.SkipTest:  # a skip is never a failure
            raise
        except Exception:
            if not block.independent:
                run.failed_at = example.line
            raise
        # With versions other than the recorded ones, a block that only shows other output
        # did its work: the blocks after it run, and show their own differences.
        other_output = failure and DIFFERS in failure and run.other_versions
        if other_output:
            run.other_output_at.append(example.line)
            if combination := run.known_differences.get(example.line):
                pytest.xfail(f"{DIFFERS}, as the versions record holds for {combination}")
        elif failure and not block.independent:
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
    return f"{page}:{line}: {what} {DIFFERS}\n" + "\n".join(diff) + f"\n{hint}"
