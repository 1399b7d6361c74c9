"""Make a real output comparable with the one a page shows, line by line.

Only values this run produced are normalised, each by a named rule (the manifest counts
them per page):
  - `project-path`: the scratch project's absolute path, shown as /path/to/project;
  - `python-paths`: this environment's and Python's prefixes (in tracebacks);
  - a profile's own values made up at random (alembic_docs: `revision-id`), shown as the
    page shows them;
  - `timestamp`: date-times from the page run's own time span (a new file's `Create Date`),
    never a fixed one from a committed file;
  - `duration`: a pytest summary's "in 0.84s".
A page may elide a traceback's frames with a line `...` between the traceback's header and
its final error line, which are always compared; nowhere else.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

PROJECT_PLACEHOLDER = "/path/to/project"
# The classes a compared line gets, with their columns in the coverage table; a named
# normalisation's class is "normalised: RULE, ...".
COMPARED = {"exact": "compared exactly", "normalised": "normalised", "elided": "elided"}
VENV_PLACEHOLDER, PYTHON_PLACEHOLDER = "/path/to/venv", "/path/to/python"
# this process's Python; a page's lines may run another one (ShellState.prefixes)
PATHS = {sys.prefix: VENV_PLACEHOLDER, sys.base_prefix: PYTHON_PLACEHOLDER}
PYTHON_VERSION_DIR = re.compile(r"/lib/python3\.\d+/")
ELLIPSIS = "..."
TRACEBACK = "Traceback (most recent call last):"
FRAME_LINES = r"((?:[ \t][^\n]*\n)+)"  # what `...` stands for: indented traceback lines
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?")
DURATION = re.compile(r"(?<![\w.])\d+\.\d+s\b")  # pytest's "3 passed in 0.84s"


@contextlib.contextmanager
def project_directory(parent: str = "/tmp") -> Iterator[Path]:
    """A new, empty project directory whose path is as long as PROJECT_PLACEHOLDER and, like
    it, holds no hyphen or space: a terminal wraps a line that holds either at the same
    places, so the page shows the placeholder where the reader's own path goes, wrapped as
    the reader's terminal wraps it. It sits in a folder of the harness's own, which the
    reader (who owns the project) cannot write: in /tmp, they could move the project away
    and leave a link in its place, for the harness to walk and remove."""
    # Imported here: this module also runs in a reader's browser, where throwaway_pg is not.
    from throwaway_pg.postgres import temporary_directory

    with temporary_directory(prefix="", dir=parent) as folder:  # 8 random characters
        os.chmod(folder, 0o755)  # the reader may pass, not write
        name = "p" * (len(PROJECT_PLACEHOLDER) - len(folder) - 1)
        assert name, f"{parent} is too long a path for a project as long as the placeholder"
        project = Path(folder, name)
        project.mkdir()
        yield project


class ProducedValues(Protocol):
    """Values a profile's tool makes up at random in a run (revision ids, say), mapped
    one-to-one to those the page shows (a profile gives one per page run: hookspecs)."""

    rule: str  # the normalisation's name, as the manifest counts it

    def learn(self, actual: str, expected: str) -> None:
        """Pair this run's values in a real output with the page's at the same places."""

    def to_shown(self, text: str) -> str: ...

    def to_real(self, text: str) -> str:
        """What the page shows, as this run's values (a file a block writes, a command)."""

    def to_typed(self, command: str) -> str:
        """A command as a reader types it with their values (e.g. prefixes of ids)."""

    def command_ran(self, argv: list[str], output: str) -> None:
        """Note the values a command made (`argv` as bash splits it)."""


class ShownOnly:
    """Values that follow a version, which pages never type (a docs link, an error's module):
    mapped to the page's in outputs only (alembic_docs.version_details, driver_names)."""

    def to_real(self, text: str) -> str:
        return text

    def to_typed(self, command: str) -> str:
        return command

    def command_ran(self, argv: list[str], output: str) -> None:
        pass


@dataclass
class Line:
    """One line of a real output as compared, and the rules that changed it."""

    text: str
    rules: frozenset[str] = frozenset()


@dataclass
class Context:
    """What one page run produced: its project path, its profile's values, its time span."""

    project: str
    values: list[ProducedValues]
    started: datetime.datetime
    prefixes: dict[str, str] = field(default_factory=lambda: dict(PATHS))  # shown as

    def produced(self, stamp: str) -> bool:
        """A timestamp from this run (alembic writes local time), not a committed one."""
        when = datetime.datetime.fromisoformat(stamp)
        slack = datetime.timedelta(minutes=1)
        return self.started - slack <= when <= datetime.datetime.now() + slack


def normalise(actual: str, expected: str, context: Context) -> list[Line]:
    """The real output's lines, each with the values this run produced replaced by the ones
    the page shows (timestamps and durations by position)."""
    for values in context.values:
        values.learn(actual, expected)
    stamps = iter(TIMESTAMP.findall(expected))
    durations = iter(DURATION.findall(expected))
    steps: list[tuple[str, Callable[[str], str]]] = [
        ("project-path", lambda text: text.replace(context.project, PROJECT_PLACEHOLDER)),
        ("python-paths", lambda text: _python_paths(text, context.prefixes)),
        *((values.rule, values.to_shown) for values in context.values),
        ("timestamp", lambda text: _timestamps(text, stamps, context)),
        ("duration", lambda text: DURATION.sub(lambda m: next(durations, m[0]), text)),
    ]
    lines = []
    for raw in tidy(actual).splitlines():
        text, rules = raw, set()
        for name, step in steps:
            new = step(text)
            # A duration is this run's even when it happens to equal the one shown: counted
            # as normalised either way, or the page's manifest entry would flake.
            if new != text or (name == "duration" and DURATION.search(text)):
                text, rules = new, rules | {name}
        # a rule may add a line (alembic_docs.driver_names: psycopg2's blank line)
        lines.extend(Line(part, frozenset(rules)) for part in text.split("\n"))
    return lines


def _python_paths(text: str, prefixes: dict[str, str]) -> str:
    for path, placeholder in prefixes.items():
        # a base prefix may be /usr: only its library, never /usr/bin or /usr/share
        tail = "/" if placeholder == VENV_PLACEHOLDER else "/lib/"
        text = text.replace(path + tail, placeholder + tail)
    return PYTHON_VERSION_DIR.sub("/lib/python3.X/", text)


def shown_timestamps(actual: str, expected: str, context: Context) -> str:
    """`actual` with the timestamps this run produced shown as `expected` shows them."""
    return _timestamps(actual, iter(TIMESTAMP.findall(expected)), context)


def _timestamps(text: str, shown: Iterator[str], context: Context) -> str:
    return TIMESTAMP.sub(lambda m: next(shown, m[0]) if context.produced(m[0]) else m[0], text)


def tidy(text: str) -> str:
    """Trailing spaces and blank lines never matter on a page."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


class ElisionError(ValueError):
    """A `...` where a reader cannot tell what it stands for."""


def check_elisions(expected: str) -> int:
    """How many `...` lines the shown output has; each must stand for a traceback's frames:
    right after its header or its first frames, and before the final error line."""
    lines = tidy(expected).splitlines()
    count = 0
    for i, line in enumerate(lines):
        if line != ELLIPSIS:
            continue
        count += 1
        j = i - 1
        while j >= 0 and lines[j][:1] in (" ", "\t"):
            j -= 1
        if j < 0 or lines[j] != TRACEBACK:
            raise ElisionError(
                f"output line {i + 1}: `...` stands only for a traceback's frames, "
                f"right after `{TRACEBACK}`"
            )
    return count


def compare(actual: list[Line], expected: str) -> list[str] | None:
    """Each shown line's class, matching the shown lines against the real ones (`...`
    matches indented frame lines); None where the real output differs."""
    shown = tidy(expected).splitlines()
    pattern = "".join(FRAME_LINES if s == ELLIPSIS else re.escape(s) + "\n" for s in shown)
    text = "".join(line.text + "\n" for line in actual)
    match = re.fullmatch(pattern, text)
    if match is None:
        return None
    classes, position, group = [], 0, 1
    for line in shown:
        if line == ELLIPSIS:
            position += match[group].count("\n")
            group += 1
            classes.append("elided")
            continue
        rules = actual[position].rules
        classes.append("normalised: " + ", ".join(sorted(rules)) if rules else "exact")
        position += 1
    return classes


def keep_elisions(actual: list[Line], expected: str) -> str:
    """The real output as `nox -s update` writes it: each traceback the page elided keeps
    as many frame lines before and after `...` as the page showed."""
    shown = tidy(expected).splitlines()
    elided = [_frames_around(shown, i) for i, line in enumerate(shown) if line == ELLIPSIS]
    lines = [line.text for line in actual]
    out, i, n = [], 0, 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i] != TRACEBACK or n >= len(elided):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end][:1] in (" ", "\t"):
            end += 1
        before, after = elided[n]
        frames = lines[i + 1 : end]
        if len(frames) > before + after:
            frames = frames[:before] + [ELLIPSIS] + (frames[len(frames) - after :] if after else [])
        out.extend(frames)
        n, i = n + 1, end
    return "\n".join(out)


def _frames_around(shown: list[str], i: int) -> tuple[int, int]:
    before = 0
    while shown[i - 1 - before] != TRACEBACK:
        before += 1
    after = 0
    while i + 1 + after < len(shown) and shown[i + 1 + after][:1] in (" ", "\t"):
        after += 1
    return before, after
