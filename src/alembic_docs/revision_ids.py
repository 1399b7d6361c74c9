"""Revision ids: `alembic revision` and `merge` make them up at random, so a page shows its
own and a run maps them one-to-one (the `revision-id` normalisation). Fixed ids (from
examples/ or `--rev-id`) are compared literally."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REVISION_ID = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{12}(?![0-9a-zA-Z])")
ID_PREFIX = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{4,11}(?![0-9a-zA-Z])")  # `upgrade 1975+1`
# On a terminal the line is indented and wrapped: the path may go on a line of its own, and
# a path longer than the line is cut (after the id, which comes early in it).
GENERATED_FILE = re.compile(r"^ *Generating\s+\S*/([0-9a-f]{12})_", re.MULTILINE)


@dataclass
class RevisionIds:
    """The page's one-to-one map from ids this run generated to the ids the page shows."""

    rule = "revision-id"
    generated: set[str] = field(default_factory=set)
    shown: dict[str, str] = field(default_factory=dict)  # real -> shown

    def command_ran(self, argv: list[str], output: str) -> None:
        """The ids of the files an `alembic revision`/`merge` without `--rev-id` wrote, also
        in a pipeline (`argv` is empty then): a fixed id it wrote maps to itself."""
        ran = argv[:2] in (["alembic", "revision"], ["alembic", "merge"]) or not argv
        if ran and "--rev-id" not in argv:
            self.generated.update(GENERATED_FILE.findall(output))

    def learn(self, actual: str, expected: str) -> None:
        """Pair a generated id with the id at the same position in the shown output."""
        taken = set(self.shown.values())
        pairs = zip(REVISION_ID.findall(actual), REVISION_ID.findall(expected), strict=False)
        for real, shown in pairs:
            if real in self.generated and real not in self.shown and shown not in taken:
                self.shown[real] = shown
                taken.add(shown)

    def to_shown(self, text: str) -> str:
        return REVISION_ID.sub(lambda m: self.shown.get(m[0], m[0]), text)

    def to_real(self, text: str) -> str:
        real = {shown: real for real, shown in self.shown.items()}
        return REVISION_ID.sub(lambda m: real.get(m[0], m[0]), text)

    def to_typed(self, command: str) -> str:
        """A command's prefixes of shown ids as the same prefixes of the real ones: what a
        reader whose ids differ types for `alembic upgrade 1975+1`."""

        def real(match: re.Match[str]) -> str:
            ids = [real for real, shown in self.shown.items() if shown.startswith(match[0])]
            return ids[0][: len(match[0])] if len(ids) == 1 else match[0]

        return ID_PREFIX.sub(real, self.to_real(command))
