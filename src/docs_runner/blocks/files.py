"""File blocks: ` ```python title="migrations/env.py" ` holding `--8<-- "tutorial/..."`.

The page shows the file from examples/ that the runner writes into the project, so what a
reader sees is what ran. A written file must then be exercised: a later step reads, imports
or runs it (see docs_runner.exercised). `hl_lines` must highlight exactly the lines that
differ from the file it replaces (blank lines may go unhighlighted).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docs_runner.blocks.base import Block
from docs_runner.grammar import OUTSIDE, SNIPPET, Fence, included_text
from docs_runner.normalise import shown_timestamps
from docs_runner.outcome import Failure

if TYPE_CHECKING:
    from docs_runner.run import PageRun

HIGHLIGHT = re.compile(r"\d{1,9}(?:-\d{1,9})?")  # one part of hl_lines: a line, or a range of them


@dataclass
class File(Block):
    fence: Fence
    path: str  # in the project, as the title shows it
    snippet: str | None  # under examples/; None when the fence does not include one
    summary = "block"
    columns = {"file": "files used"}

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return "title" in fence.attributes

    @classmethod
    def from_fence(cls, fence: Fence) -> File:
        snippet = SNIPPET.match(fence.source.strip())
        return cls(fence, fence.attributes["title"], snippet["path"] if snippet else None)

    def evaluate(self, run: PageRun) -> Failure | None:
        where = f"{run.page}:{self.fence.line}"
        if self.snippet is None:
            return Failure(
                f'{where}: file block "{self.path}" must include its file from examples/ '
                'with --8<-- "path" (one source of truth)'
            )
        # Under the terminal's folder, where the reader saves it (the project, unless a line
        # left it), never anywhere a title names (/tmp is shared).
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            return Failure(
                f'{where}: title="{self.path}": not in the project (a path in it, without .. '
                "or a leading /)"
            )
        source = run.example(self.snippet)
        if source is None:
            return Failure(f'{where}: --8<-- "{self.snippet}": {OUTSIDE}')
        if not source.exists():
            return Failure(f"{where}: examples/{self.snippet} does not exist")
        try:
            shown = included_text(source)
        except ValueError as error:
            return Failure(f"{where}: examples/{self.snippet}: {error}")
        content = run.to_real(shown)
        target = run.shell.cwd / run.to_real(self.path)
        try:
            with run.files.not_reading():
                before = run.executor.read_file(target)
        except OSError as error:
            return Failure(f"{where}: {error}")
        if before is not None:  # a generated file's Create Date is not a change the page made
            before = shown_timestamps(before, content, run.context)
        problem = _highlights(self.fence.attributes.get("hl_lines"), before, content)
        if problem:
            return Failure(f"{where}: {problem}")
        try:
            run.files.write(
                target, lambda: run.executor.write_file(target, content), self.fence.line
            )
        except OSError as error:
            return Failure(f"{where}: {error}")
        run.executor.wrote(self.snippet, target)
        run.record.shown(shown, ["file"] * len(shown.splitlines()))
        return None


def _highlights(spec: str | None, before: str | None, after: str) -> str | None:
    if spec is None:
        return None
    if not all(HIGHLIGHT.fullmatch(part) for part in spec.split()):
        return f'hl_lines="{spec}": expected line numbers and ranges, e.g. "3 5-7"'
    if before is None:
        return "hl_lines marks changes, but there is no file here for it to change"
    lines = after.splitlines()
    if beyond := [
        part for part in spec.split() if int(part.partition("-")[2] or part) > len(lines)
    ]:
        return f'hl_lines="{spec}": {beyond[0]} is past the file\'s last line, {len(lines)}'
    changed = changed_lines(before.splitlines(), lines)
    marked = parse_hl_lines(spec)
    wrong = sorted(marked - changed)
    missing = sorted(n for n in changed - marked if lines[n - 1].strip())
    if not wrong and not missing:
        return None
    return (
        f'hl_lines="{spec}" does not mark the changed lines: '
        f"unchanged but highlighted {wrong}, changed but not highlighted {missing}"
    )


def changed_lines(before: list[str], after: list[str]) -> set[int]:
    """1-based numbers of the lines of `after` that are new or changed."""
    changed: set[int] = set()
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, before, after).get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(j1 + 1, j2 + 1))
    return changed


def parse_hl_lines(spec: str) -> set[int]:
    marked: set[int] = set()
    for part in spec.split():
        first, _, last = part.partition("-")
        marked.update(range(int(first), int(last or first) + 1))
    return marked
