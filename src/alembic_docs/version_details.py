"""Details of SQLAlchemy's messages that follow its version and that no reader cares about:
its errors link to that version's docs ("https://sqlalche.me/e/21/f405" with 2.1, `e/20/`
with 2.0), and a traceback names lines of its source, which move between releases. A run on
another SQLAlchemy than the page's reads them as the page shows them; with the page's own
version nothing is mapped, so a changed link or line number on a page fails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy

from docs_runner import provenance
from docs_runner.normalise import ShownOnly
from docs_runner.run import PageRun

LINK = re.compile(r"(?<=https://sqlalche\.me/e/)(\d+)(?=/)")
SOURCE_LINE = re.compile(r"(/site-packages/sqlalchemy/\S+?\.py):(\d+)")


def docs_code(version: str) -> str:
    """The version as the links spell it: 2.1.9 -> 21."""
    return "".join(version.split(".")[:2])


@dataclass
class VersionDetails(ShownOnly):
    real: str  # this run's link code, e.g. 20
    shown: str  # the page's, e.g. 21
    lines: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, real) -> shown

    rule = "sqlalchemy-version"

    def learn(self, actual: str, expected: str) -> None:
        """Pair each line of SQLAlchemy's source a traceback names with the page's, in order."""
        pairs = zip(SOURCE_LINE.finditer(actual), SOURCE_LINE.finditer(expected), strict=False)
        for real, shown in pairs:
            if real[1] == shown[1]:
                self.lines.setdefault((real[1], real[2]), shown[2])

    def to_shown(self, text: str) -> str:
        text = LINK.sub(lambda m: self.shown if m[0] == self.real else m[0], text)
        return SOURCE_LINE.sub(lambda m: f"{m[1]}:{self.lines.get((m[1], m[2]), m[2])}", text)


def pytest_docs_produced_values(run: PageRun) -> VersionDetails | None:
    recorded = (provenance.recorded(run.text) or {}).get("SQLAlchemy")
    if recorded is None or recorded == sqlalchemy.__version__:
        return None
    return VersionDetails(docs_code(sqlalchemy.__version__), docs_code(recorded))
