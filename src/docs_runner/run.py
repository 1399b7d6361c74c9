"""One page's run: what it is given (the page, the settings), what it uses (an executor:
project, terminal, database) and what it records (docs_runner.record).

A page is a scenario: its blocks run top to bottom in a fresh project directory with
DATABASE_URL set to a fresh database, and what the page shows is compared with what happened.
Each block kind (docs_runner.blocks) evaluates itself against the `PageRun`; a profile
(docs_runner.hookspecs) maps the values its tool makes up.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from docs_runner import grammar, provenance, shell
from docs_runner.executors import Executor
from docs_runner.exercised import FileWatch, forget_stale_caches
from docs_runner.grammar import SHELL_SPECIALS, Fence
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
from docs_runner.outcome import Failure, Outcome
from docs_runner.record import PageRecord

DIFFERS = "printed something else than the page shows"


@dataclass
class PageRun:
    # What the run is given: the page and the settings it runs with.
    root: Path  # the project whose docs/ this page is in
    page: Path  # relative to root
    text: str  # the page as read before the run (rewrites apply to it)
    examples: Path
    # What it uses: where its blocks run (project, terminal, databases, profiles).
    executor: Executor
    manifest: Path | None = None  # the verification manifest, if the project keeps one
    update: bool = False
    update_command: str = "pytest --update-docs"  # what rewrites shown outputs (ini setting)
    known_differences: dict[int, str] = field(default_factory=dict)  # the versions record's
    recorded_versions: list[dict[str, str]] = field(default_factory=list)  # and its combinations'
    # Files pages include outside a fence (as Markdown): only generated ones, each on the
    # one page it belongs to (the `docs_generated` setting).
    generated: dict[str, str] = field(default_factory=dict)  # file -> page
    values: list[ProducedValues] = field(default_factory=list)  # the profiles' (ids, say)
    started: datetime.datetime = field(default_factory=datetime.datetime.now)
    # What it records: every shown line's class, failures, rewrites (update mode).
    record: PageRecord = field(default_factory=PageRecord)
    files: FileWatch = field(default_factory=FileWatch)

    def __post_init__(self) -> None:
        hook = self.executor.hook
        if hook and not self.values:
            self.values = [v for v in hook.pytest_docs_produced_values(run=self) if v]

    @property
    def project(self) -> Path:
        return self.executor.project

    @property
    def database_url(self) -> str:
        return self.executor.database_url

    @property
    def shell(self) -> shell.ShellState:
        return self.executor.shell

    def example(self, name: str) -> Path | None:
        """NAME in the examples folder, or None where NAME leads out of it (an absolute
        path, `..`, a link): what a page names is copied in as the reader, with the
        harness's rights to read it."""
        if Path(name).is_absolute() or ".." in Path(name).parts:
            return None
        path = self.examples / name
        return path if grammar.inside(path, self.examples) else None

    def link_out(self, folder: Path) -> Path | None:
        """A link under `folder` (an example project) that leads out of the examples folder:
        copying the project follows it, with the harness's rights."""
        walked: set[str] = set()  # a link back up the tree would be walked forever
        for parent, folders, files in os.walk(folder, followlinks=True):
            if (real := os.path.realpath(parent)) in walked:
                folders.clear()
            walked.add(real)
            for name in folders + files:
                path = Path(parent, name)
                if path.is_symlink() and not grammar.inside(path, self.examples):
                    return path
        return None

    def run(self, line: str, fails: bool = False) -> tuple[int, str]:
        """One console line, as (exit status, what the reader's screen shows)."""
        line = self.to_real(line)  # `cat versions/<shown id>_x.py`
        for values in self.values:
            line = values.to_typed(line)  # `alembic upgrade 1975+1`
        argv = shlex.split(line, comments=True) if not set(line) & SHELL_SPECIALS else []
        status, output = self.executor.console(line, argv, fails)
        forget_stale_caches(self.project)
        for values in self.values:
            values.command_ran(argv, output)
        return status, output

    def to_real(self, text: str) -> str:
        """What the page shows as what this run types: its own values."""
        for values in self.values:
            text = values.to_real(text)
        return text

    @functools.cached_property
    def versions(self) -> dict[str, str]:
        """What this run used: the profiles' libraries, then the server behind the URL."""
        return provenance.versions(self.database_url, self.executor.hook)

    @property
    def other_versions(self) -> str | None:
        """How this run's versions differ from those the page was recorded with, if they do."""
        recorded = provenance.recorded(self.text)
        return provenance.other_versions(recorded, self.versions) if recorded else None

    @property
    def hint(self) -> str:
        """What a difference calls for. Rewriting the page is right only from the versions it
        was recorded with; from others, the difference is what their readers see."""
        if self.executor.hint:
            return self.executor.hint
        other = self.other_versions
        if other:
            return provenance.for_readers(other)
        return f"Rewrite shown outputs from a real run with: {self.update_command}"

    @property
    def context(self) -> Context:
        return Context(str(self.project), self.values, self.started, self.executor.shell.prefixes)

    def compare(
        self, output: str, expected: str, line: int, what: str
    ) -> tuple[Failure | None, str, list[str]]:
        """(failure or None, the output as update would show it, each shown line's class)."""
        try:
            check_elisions(expected)
        except ElisionError as error:
            return Failure(f"{self.page}:{line}: {error}"), tidy(expected), []
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
        self.record.rewrites.append((opening_end, closing_start, body))

    def updated_text(self) -> str:
        """The page with the changes update mode collected so far."""
        text = self.text
        for start, end, new in sorted(self.record.rewrites, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def apply_rewrites(self) -> None:
        """Write collected output changes back into the page (update mode)."""
        if self.record.rewrites:
            self.page.write_text(self.updated_text())


def _diff(page: Path, line: int, what: str, expected: str, actual: str, hint: str) -> Failure:
    diff = difflib.unified_diff(
        tidy(expected).splitlines(),
        actual.splitlines(),
        f"{page}:{line} (shown on the page)",
        f"real output of {what}",
        lineterm="",
    )
    message = f"{page}:{line}: {what} {DIFFERS}\n" + "\n".join(diff) + f"\n{hint}"
    return Failure(message, Outcome.DIFFERS)
