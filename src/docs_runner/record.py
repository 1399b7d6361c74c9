"""What a page run records: how it accounted for every line of every shown block (the raw
material of the verification manifest and of the coverage table), where it failed, and the
rewrites update mode collects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from docs_runner.normalise import ELLIPSIS, tidy
from docs_runner.outcome import Outcome


@dataclass
class PageRecord:
    recorded: str | None = None  # the date on the provenance line
    opt_outs: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    elisions: list[str] = field(default_factory=list)  # the commands whose output is elided
    lines: Counter[str] = field(default_factory=Counter)  # class -> shown lines (non-blank)
    # (text, line classes, the line of the block that showed it)
    blocks: list[tuple[str, list[str], int]] = field(default_factory=list)
    at: int = 0  # the line of the block being evaluated
    failed_at: int | None = None  # the line of the block that stopped the page
    other_output_at: list[int] = field(default_factory=list)  # with other versions
    rewrites: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, text)
    last_output: str | None = None  # the last python block's, for the "Output" after it
    last_python: int = 0  # that block's line
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # block's line -> outcome

    def shown(self, text: str, classes: list[str]) -> None:
        """A block as the site shows it, with one class per line (blank lines: "blank")."""
        lines = text.rstrip("\n").split("\n")  # trailing blank lines are not shown
        classes = classes[: len(lines)] + ["unclassified"] * (len(lines) - len(classes))
        classes = [
            "blank" if not line.strip() else c for line, c in zip(lines, classes, strict=True)
        ]
        self.blocks.append((text, classes, self.at))
        self.lines.update(classes)

    def note_elisions(self, what: str, expected: str) -> None:
        count = tidy(expected).splitlines().count(ELLIPSIS)
        self.elisions += [what] * count
