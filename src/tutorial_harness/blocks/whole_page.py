"""Checks of the page as a whole: its provenance line, and what its end must find."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sybil import Document, Region

from tutorial_harness import provenance
from tutorial_harness.blocks.base import Block

if TYPE_CHECKING:
    from tutorial_harness.page import PageRun


@dataclass
class Provenance(Block):
    """The page's "Outputs recorded on ..." line (see tutorial_harness.provenance).

    Independent: with other versions, every block still runs and shows its own difference.
    """

    recorded: dict[str, str] | None
    prose: str  # the page without its fences: where version claims are looked for
    runs_something: bool
    start: int  # where the line is, or goes
    end: int
    independent = True

    @classmethod
    def of(cls, document: Document, fences: list[Region], runs: bool) -> tuple[Region, Block]:
        text = document.text
        prose = "".join(
            text[end:start]
            for end, start in zip(
                [0] + [f.end for f in fences], [f.start for f in fences] + [len(text)], strict=True
            )
        )
        match = provenance.LINE.search(text)
        # A missing line goes under the page's title, if it starts with one.
        after_title = text.find("\n") + 1 if text.startswith("# ") else 0
        start, end = match.span() if match else (after_title, after_title)
        return Region(start, end), cls(provenance.recorded(text), prose, runs, start, end)

    def evaluate(self, run: PageRun) -> str | None:
        problems = provenance.problems(self.prose, self.runs_something)
        if self.runs_something:
            problems += self._versions(run)
        return "\n".join(f"{run.page}: {problem}" for problem in problems) or None

    def _versions(self, run: PageRun) -> list[str]:
        used = provenance.versions(run.database_url)
        if self.recorded == used:
            return []
        if run.update:
            new = provenance.line(used)
            replacement = new if self.recorded else f"\n{new}\n"
            run.rewrites.append((self.start, self.end, replacement))
            return []
        if self.recorded is None:
            return [f"no provenance line; `nox -s update` adds: {provenance.line(used)}"]
        return [
            f"outputs recorded with {provenance.listed(self.recorded)}, but this run used "
            f"{provenance.listed(used)}: the blocks below show any output that differs"
        ]


@dataclass
class PageEnd(Block):
    """After the last block: every shown file was exercised."""

    def evaluate(self, run: PageRun) -> str | None:
        unread = [
            f"{run.page}:{line}: `{path.relative_to(run.project)}` was written here, but no "
            "later step read, imported or ran it: add a step that uses it, or opt the block "
            "out with <!-- norun: reason -->"
            for path, line in run.files.never_read()
        ]
        return "\n".join(unread) or None
