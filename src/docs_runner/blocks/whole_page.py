"""Checks of the page as a whole: its provenance line, and what its end must find."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sybil import Region

from docs_runner import claims, grammar, manifest, provenance
from docs_runner.blocks.base import Block
from docs_runner.blocks.python import unshown_output
from docs_runner.grammar import Include
from docs_runner.outcome import Failure
from docs_runner.rendered import IncludeError, code_blocks
from throwaway_pg.visible import visible

if TYPE_CHECKING:
    from docs_runner.run import PageRun


@dataclass
class Provenance(Block):
    """The page's "Outputs recorded on ..." line (see docs_runner.provenance).

    Independent: with other versions, every block still runs and shows its own difference.
    """

    recorded: dict[str, str] | None
    date: str | None
    prose: str  # the page without its fences: where version claims are looked for
    runs_something: bool
    start: int  # where the line is, or goes
    end: int
    independent = True
    in_matrix = False  # on other versions, it fails by design: what the record is for

    @classmethod
    def of(cls, text: str, fences: list[Region], prose: str, runs: bool) -> tuple[Region, Block]:
        """The block of the first line outside `fences` (one inside is an example's)."""
        lines = provenance.LINE.finditer(text)
        outside = (m for m in lines if not any(f.start < m.start() < f.end for f in fences))
        match = next(outside, None)
        # A missing line goes under the page's title, if it starts with one.
        after_title = text.find("\n") + 1 if text.startswith("# ") else 0
        start, end = match.span() if match else (after_title, after_title)
        line = match[0] if match else ""
        block = cls(provenance.recorded(line), provenance.date(line), prose, runs, start, end)
        return Region(start, end), block

    def evaluate(self, run: PageRun) -> Failure | None:
        run.record.recorded = self.date
        problems = provenance.problems(self.prose, self.runs_something, run.versions)
        if run.update and self.recorded is None:  # the line update adds below
            problems = [p for p in problems if not p.startswith("0 provenance lines")]
        if self.runs_something:
            problems += self._versions(run)
        message = "\n".join(f"{run.page}: {problem}" for problem in problems)
        return Failure(message) if message else None

    def _versions(self, run: PageRun) -> list[str]:
        """Other versions than the recorded ones are no failure by themselves: the blocks
        that show other output fail, each with what readers of those versions see."""
        used = run.versions
        if self.recorded and (self.recorded == used or not run.update):
            return []
        if run.update:
            new = provenance.line(used)
            run.record.recorded = provenance.date(new)
            replacement = new if self.recorded else f"\n{new}\n"
            run.record.rewrites.append((self.start, self.end, replacement))
            return []
        return [f"no provenance line; `{run.update_command}` adds: {provenance.line(used)}"]


@dataclass
class PageEnd(Block):
    """After the last block: every shown file was used, every rendered code block was
    accounted for line by line, and the page agrees with its manifest entry."""

    includes: list[Include]  # outside any fence: Markdown the site shows, no block runs
    tabs: list[tuple[int, str, bool]]  # content tabs: line, label, holds a versions marker

    def evaluate(self, run: PageRun) -> Failure | None:
        problems = [unshown] if (unshown := unshown_output(run)) else []
        problems += _unmarked_version_tabs(run, self.tabs)
        problems += [
            f"{run.page}:{line}: `{path.relative_to(run.project)}` was written here, but no "
            "later step read, imported or ran it: add a step that uses it, or opt the block "
            "out with <!-- norun: reason -->"
            for path, line in run.files.never_read()
        ]
        problems += _included(run, self.includes)
        problems += _unbacked_claims(run)
        problems += _unaccounted(run)
        if not problems:
            problems += _manifest(run)
        return Failure("\n".join(problems)) if problems else None


def _included(run: PageRun, includes: list[Include]) -> list[str]:
    """Only a generated file may be included outside a fence, once, on its page; one
    problem a line (an unclosed block of includes makes every line after it a path)."""
    found: dict[int, str] = {}
    generated = ", ".join(f"{path} on {page}" for path, page in run.generated.items())
    seen: set[str] = set()
    for include in includes:
        shown = f'`--8<-- "{include.path}"`'
        if run.generated.get(include.path) != str(run.page):
            found.setdefault(
                include.line,
                f"{shown} outside a fence includes content no block runs; only generated "
                f"files may be, each on its page: {generated}",
            )
        elif include.path in seen:
            count = [i.path for i in includes].count(include.path)
            found.setdefault(
                include.line, f"{shown} is included {count} times; a table is shown once"
            )
        seen.add(include.path)
    return [f"{run.page}:{line}: {message}" for line, message in found.items()]


def _unmarked_version_tabs(run: PageRun, tabs: list[tuple[int, str, bool]]) -> list[str]:
    """A tab labelled with a version of what the run names holds a versions marker, which
    makes its label: else nothing checks that the label is true."""
    names = re.compile(rf"\b(?:{'|'.join(map(re.escape, run.versions))})\b.*\d", re.I)
    return [
        f"{run.page}:{line}: the tab {label!r} names a version but holds no "
        "<!-- versions: NAME<SPEC --> marker, which would make its label"
        for line, label, marked in tabs
        if not marked and names.search(label)
    ]


def _unbacked_claims(run: PageRun) -> list[str]:
    patterns = dict(claims.GENERIC)
    if hook := run.executor.hook:
        for found in hook.pytest_docs_claim_patterns():
            patterns.update(found or {})
    found = claims.unbound(run.root / run.page, run.examples, run.root, patterns)
    return [f"{run.page}:{problem}" for problem in found]


def _unaccounted(run: PageRun) -> list[str]:
    """Rendered code blocks the run did not account for, blocks it ran that the site does
    not show, and lines it did not classify."""
    seen = [_plain(text) for text, _, _ in run.record.blocks]
    try:
        rendered = [_plain(text) for text in code_blocks(run.root, run.updated_text())]
    except IncludeError as error:
        return [f"{run.page}: the site cannot be rendered: {visible(str(error))}"]
    matcher = difflib.SequenceMatcher(None, seen, rendered, autojunk=False)
    for tag, i, _, j, _ in matcher.get_opcodes():
        if tag == "delete":  # shown by the run, not by the site
            return [
                f"{run.page}:{run.record.blocks[i][2]}: the site does not show this block "
                "(inside a <script>, <style> or CDATA?), and the runner runs only what a "
                "reader sees"
            ]
        if tag != "equal":
            first = rendered[j].splitlines()[0] if rendered[j] else ""
            return [
                f"{run.page}:{_rendered_line(run, first, i)}: the site renders a code block "
                f"the runner did not run or opt out (block {j + 1}, starting {first!r}); use "
                "a fenced block"
            ]
    # A block that showed other output (other versions) leaves its lines unclassified.
    missing = run.record.lines.get("unclassified", 0) if not run.record.other_output_at else 0
    return [f"{run.page}: {missing} shown lines not classified"] if missing else []


def _rendered_line(run: PageRun, first: str, i: int) -> int:
    """Where a rendered block the run did not show starts, the site telling no line: the
    first line outside fences, after the block the run showed before it, that reads as its
    first line (an indented block's); else the line of the run's block in its place."""
    blocks = run.record.blocks
    after = blocks[i - 1][2] if i else 0
    fenced = {n for start, end in grammar.fence_spans(run.text)[0] for n in range(start, end + 1)}
    lines = run.text.split("\n")
    for number in range(after + 1, len(lines) + 1):
        if number not in fenced and first.strip() and lines[number - 1].strip() == first.strip():
            return number
    return blocks[i][2] if i < len(blocks) else max(after, 1)


def _manifest(run: PageRun) -> list[str]:
    if run.manifest is None:
        return []
    entry = manifest.entry(run.record)
    if run.update:
        manifest.write(run.manifest, str(run.page), entry)
        return []
    if run.other_versions:  # the entry describes the recorded versions' run
        return []
    problems = manifest.differences(run.manifest, str(run.page), entry, run.update_command)
    return [f"{run.page}: {problem}" for problem in problems]


def _plain(text: str) -> str:
    """A block's text as compared with the rendered one (Markdown expands tabs to 4)."""
    return "\n".join(line.rstrip().expandtabs(4) for line in text.rstrip("\n").split("\n"))
