"""What a page run accounted for: the raw material of the verification manifest and of the
coverage table (every line of every shown block, classified)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from docs_runner.normalise import ELLIPSIS, tidy


@dataclass
class PageRecord:
    recorded: str | None = None  # the date on the provenance line
    opt_outs: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    elisions: list[str] = field(default_factory=list)  # the commands whose output is elided
    lines: Counter[str] = field(default_factory=Counter)  # class -> shown lines (non-blank)
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)  # (text, line classes)

    def shown(self, text: str, classes: list[str]) -> None:
        """A block as the site shows it, with one class per line (blank lines: "blank")."""
        lines = text.rstrip("\n").split("\n")  # trailing blank lines are not shown
        classes = classes[: len(lines)] + ["unclassified"] * (len(lines) - len(classes))
        classes = [
            "blank" if not line.strip() else c for line, c in zip(lines, classes, strict=True)
        ]
        self.blocks.append((text, classes))
        self.lines.update(classes)

    def note_elisions(self, what: str, expected: str) -> None:
        count = tidy(expected).splitlines().count(ELLIPSIS)
        self.elisions += [what] * count
