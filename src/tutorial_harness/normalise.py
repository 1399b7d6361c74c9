"""Make a real output comparable with the one a page shows.

Only what legitimately varies between runs is normalised: the scratch project's absolute
path, the virtualenv's and Python's paths (in tracebacks), revision ids (random in
`alembic revision`), timestamps (`Create Date`) and durations (pytest's summary). A page
may also elide: a line of just `...` stands for any number of lines, as in a shortened
traceback.
Revision ids are matched consistently across a page: once the real id `3f1c…` was shown as
`1975ea83b712`, it is shown so everywhere, and files the page writes use the real id.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

PROJECT_PLACEHOLDER = "/path/to/project"
PATHS = {sys.prefix: "/path/to/venv", sys.base_prefix: "/path/to/python"}
PYTHON_VERSION_DIR = re.compile(r"/lib/python3\.\d+/")
ELLIPSIS = "..."
REVISION_ID = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{12}(?![0-9a-zA-Z])")
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?")
DURATION = re.compile(r"(?<![\w.])\d+\.\d+s\b")  # pytest's "3 passed in 0.84s"


@dataclass
class RevisionIds:
    """The page's bijection between real revision ids and the ids it shows."""

    shown: dict[str, str] = field(default_factory=dict)  # real -> shown

    def learn(self, actual: str, expected: str) -> None:
        """Pair ids by position in one command's output."""
        taken = set(self.shown.values())
        for real, shown in zip(
            REVISION_ID.findall(actual), REVISION_ID.findall(expected), strict=False
        ):
            if real not in self.shown and shown not in taken:
                self.shown[real] = shown
                taken.add(shown)

    def to_shown(self, text: str) -> str:
        return REVISION_ID.sub(lambda m: self.shown.get(m[0], m[0]), text)

    def to_real(self, text: str) -> str:
        real = {shown: real for real, shown in self.shown.items()}
        return REVISION_ID.sub(lambda m: real.get(m[0], m[0]), text)


def normalise(actual: str, expected: str, project: str, ids: RevisionIds) -> str:
    actual = actual.replace(project, PROJECT_PLACEHOLDER)
    for path, placeholder in PATHS.items():
        actual = actual.replace(path + "/", placeholder + "/")
    actual = PYTHON_VERSION_DIR.sub("/lib/python3.X/", actual)
    ids.learn(actual, expected)
    actual = ids.to_shown(actual)
    for varying in (TIMESTAMP, DURATION):
        shown = iter(varying.findall(expected))
        actual = varying.sub(lambda m, shown=shown: next(shown, m[0]), actual)
    return actual


def tidy(text: str) -> str:
    """Trailing spaces and blank lines never matter on a page."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def compared(actual: str, expected: str) -> str:
    """What to compare with the page's text: the real output, or the page's text itself
    when the page elides lines with `...` and the real output matches around them."""
    lines = tidy(expected).splitlines()
    if ELLIPSIS not in lines:
        return actual
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line == ELLIPSIS else re.escape(line) + "\n" for line in lines
    )
    return tidy(expected) if re.fullmatch(pattern, actual + "\n") else actual
