"""`nox -s mutate`: the docs' own mutation test.

Alters one shown line or file at a time (a mutant), runs what that file affects, and reports
the mutants the tests did not catch (survivors): each is a way a page could lie and still
pass. It is a measurement: survivors do not fail the run.

    python tools/mutate.py [--count 200] [--seed 9] [--jobs 2] [--only PATH] [--operator NAME]
    python tools/mutate.py --list         # the sampled mutants, without running them

Each worker runs its mutants in a private copy of the repository's tracked files; the real
tree is never written, except for the results in docs/bench/mutation.{json,txt}. One
throwaway PostgreSQL serves every run (THROWAWAY_PG_URL for the child pytest runs).
Known equivalent mutants are listed, with a reason, in tools/mutate-equivalent.toml.

This file parses the pages itself rather than importing the runner's lexer: the runner is
what is under test, and it changes.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime
import functools
import io
import json
import os
import platform
import queue
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alembic_docs.revision_ids import REVISION_ID
from docs_runner import grammar, provenance
from docs_runner.grammar import ATTRIBUTE, FENCE_LINE, PROMPT
from docs_runner.normalise import DURATION, ELLIPSIS, TIMESTAMP, TRACEBACK
from throwaway_pg.server import open_server

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "tools" / "mutate-equivalent.toml"
RESULTS = ROOT / "docs" / "bench" / "mutation.json"
# A .txt holding Markdown, like results.txt: a .md under docs/ would be a page outside the
# nav, which `mkdocs build --strict` rejects. Include it with --8<-- "bench/mutation.txt".
TABLE = ROOT / "docs" / "bench" / "mutation.txt"
SELF_TEST = (
    "tests/harness/tools/test_mutate.py"  # never part of a scope: it would run this driver again
)
# Never part of a scope either: runs a page only as a load (for what a run leaves behind).
LOADS = ("tests/site/test_leftovers.py",)
# Re-runs every page: the pages a mutant affects are already in its scope.
DESELECTED = (
    "tests/harness/alembic_docs/test_alembic_cli.py::test_whole_pages_pass_with_alembic_as_subprocesses",
)
RUN_TIMEOUT = 900  # seconds for one pytest run

# What the runner documents as varying between runs (normalised, never compared), and the
# page grammar: the runner's own patterns, never copies.
NOTEBOOK_MASK = re.compile(r"notebook-XXXXXXXX")
PROVENANCE = provenance.LINE  # its first group is the date

FALSE_PROVENANCE = (
    "Outputs recorded on 2025-03-14 with Alembic 1.13.3, SQLAlchemy 2.0.36, psycopg2 2.9.9 "
    "and PostgreSQL 16.2."
)
VERSION_CLAIM = "Tested with PostgreSQL 16.2."
FALSE_BLOCK = ["    $ alembic current", "    3f9a2b7c1d0e (head)"]
INDENTED_BLOCK = " / ".join(line.strip() for line in FALSE_BLOCK)  # for descriptions
BENCH_INCLUDE = '--8<-- "bench/results.txt"'
# Plausible edits of a command: each runs, and some print the same (see the equivalents).
COMMAND_CHANGES = (
    (r"\bdowngrade base\b", "downgrade -1"),
    (r"\bdowngrade -1\b", "downgrade base"),
    (r"\bupgrade head\b", "upgrade heads"),
    (r"\bupgrade heads\b", "upgrade head"),
    (r"\bupgrade \+1\b", "upgrade head"),
    (r"\balembic heads\b", "alembic heads --resolve-dependencies"),
    (r"\balembic history\b", "alembic history --indicate-current"),
    (r"\balembic current\b", "alembic current --verbose"),
    (r"\bsort\b", "sort -r"),
    (r"\bgrep -n\b", "grep"),
)
TYPE_CHANGES = {
    "Integer": "BigInteger",
    "BigInteger": "Integer",
    "String": "Text",
    "Text": "String",
    "DateTime": "Date",
    "Boolean": "Integer",
}


# -- mutants and their operators ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A file mutants are made of: a page, an examples/ file or a notebook."""

    path: str  # relative to the repository, POSIX
    text: str

    @property
    def kind(self) -> str:
        return self.path.split("/", 1)[0]  # docs, examples or notebooks


Key = tuple[str, str, str]  # operator, path, description: a mutant's stable identity


@dataclass(frozen=True)
class Mutant:
    operator: str
    path: str
    line: int  # the first changed line of the mutated file
    description: str  # one line, before -> after: also its identity in the equivalents
    text: str = field(repr=False, compare=False)  # the whole mutated file

    @property
    def key(self) -> Key:
        return (self.operator, self.path, self.description)


Operator = Callable[[Target, random.Random], list[Mutant]]


@dataclass(frozen=True)
class Registered:
    group: str  # the class of mutation, for the summary
    kind: str  # the files it mutates: docs, examples or notebooks
    function: Operator


OPERATORS: dict[str, Registered] = {}


def operator(group: str, kind: str = "docs") -> Callable[[Operator], Operator]:
    """Register a mutation operator under its function's name, in dashes."""

    def register(function: Operator) -> Operator:
        OPERATORS[function.__name__.replace("_", "-")] = Registered(group, kind, function)
        return function

    return register


def mutant(name: Callable, target: Target, lines: list[str], description: str) -> Mutant:
    text = "\n".join(lines) + ("\n" if target.text.endswith("\n") else "")
    return Mutant(
        name.__name__.replace("_", "-"),
        target.path,
        first_change(target.text, text),
        description,
        text,
    )


def edit(function: Callable, target: Target, lines: list[str], n: int, new: str) -> Mutant:
    """The mutant whose line n reads `new`, described by that line's change."""
    return mutant(function, target, lines[:n] + [new] + lines[n + 1 :], change(lines[n], new))


def first_change(before: str, after: str) -> int:
    old, new = before.splitlines(), after.splitlines()
    return next(
        (n for n, (a, b) in enumerate(zip(old, new, strict=False), 1) if a != b), len(old) + 1
    )


def shown(text: str, width: int = 70) -> str:
    text = text.strip()
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def change(before: str, after: str) -> str:
    """`before -> after`, cut around the first difference so that it fits on one line."""
    before, after = before.strip(), after.strip()
    pairs = enumerate(zip(before, after, strict=False))
    first = next((i for i, (a, b) in pairs if a != b), min(len(before), len(after)))
    start = max(0, first - 30)
    return f"{shown(before[start:])} -> {shown(after[start:])}"


def alterable(line: str, protected: list[tuple[int, int]]) -> list[int]:
    """Positions of letters and digits outside the protected spans."""
    return [
        i
        for i, char in enumerate(line)
        if char.isascii() and char.isalnum() and not any(a <= i < b for a, b in protected)
    ]


def altered_char(line: str, rng: random.Random, protected: list[tuple[int, int]]) -> str | None:
    """The line with one letter or digit changed to another of its kind, or None."""
    positions = alterable(line, protected)
    if not positions:
        return None
    i = rng.choice(positions)
    pools = (string.digits, string.ascii_lowercase, string.ascii_uppercase)
    pool = next(p for p in pools if line[i] in p)
    return line[:i] + rng.choice(pool.replace(line[i], "")) + line[i + 1 :]


def varying(line: str) -> list[tuple[int, int]]:
    """Spans the runner normalises or maps (never a plain character change)."""
    patterns = (TIMESTAMP, DURATION, REVISION_ID, NOTEBOOK_MASK)
    return [m.span() for pattern in patterns for m in pattern.finditer(line)]


# -- pages, parsed just enough ------------------------------------------------------------


@dataclass
class Fence:
    opening: int  # line index of the opening ```
    closing: int
    indent: str
    language: str
    info: str
    norun: bool

    @property
    def attributes(self) -> dict[str, str]:
        return dict(ATTRIBUTE.findall(self.info))

    @property
    def body(self) -> range:
        return range(self.opening + 1, self.closing)


@dataclass
class Command:
    lines: list[int]  # the `$ ` line and its continuations
    output: list[int]


@dataclass
class Page:
    lines: list[str]
    fences: list[Fence]

    @classmethod
    def of(cls, target: Target) -> Page:
        lines = target.text.splitlines()
        return cls(lines, find_fences(lines))

    def executed(self, language: str | None = None, title: str | None = None) -> list[Fence]:
        return [
            f
            for f in self.fences
            if not f.norun
            and (language is None or f.language == language)
            and (title is None or f.attributes.get("title") == title)
        ]

    def commands(self) -> Iterator[tuple[Fence, Command]]:
        for fence in self.executed("console"):
            for command in console_commands(self.lines, fence):
                yield fence, command

    def outside_fences(self) -> list[int]:
        inside = {n for f in self.fences for n in range(f.opening, f.closing + 1)}
        return [n for n in range(len(self.lines)) if n not in inside]

    def paragraph_ends(self) -> list[int]:
        """Last lines of top-level prose paragraphs (a blank line follows)."""
        lines, ends = self.lines, []
        for n in self.outside_fences():
            line = lines[n]
            if n + 1 < len(lines) and not lines[n + 1].strip() and is_prose(line):
                ends.append(n)
        return ends

    def edited(self, n: int, new: str) -> list[str]:
        return self.lines[:n] + [new] + self.lines[n + 1 :]


def is_prose(line: str) -> bool:
    markup = ("#", "|", "-", "*", "!!!", "???", "===", "<!--", ">", "[", "`")
    return (
        bool(line.strip())
        and not line[0].isspace()
        and not line.startswith(markup)
        and not re.match(r"\d+\. ", line)
        and not PROVENANCE.match(line)
    )


def find_fences(lines: list[str]) -> list[Fence]:
    fences, n = [], 0
    while n < len(lines):
        match = FENCE_LINE.match(lines[n])
        if not match:
            n += 1
            continue
        ticks = match["ticks"]
        closing = next((k for k in range(n + 1, len(lines)) if lines[k].strip() == ticks), None)
        closing = len(lines) - 1 if closing is None else closing
        fences.append(
            Fence(
                n, closing, match["indent"], match["language"], match["info"], opted_out(lines, n)
            )
        )
        n = closing + 1
    return fences


def opted_out(lines: list[str], opening: int) -> bool:
    before = next((line for line in reversed(lines[:opening]) if line.strip()), "")
    return before.strip().startswith("<!-- norun:")


def console_commands(lines: list[str], fence: Fence) -> list[Command]:
    """`$ ` lines (a trailing backslash continues them), each with the output below it."""
    commands: list[Command] = []
    for n in fence.body:
        if lines[n][len(fence.indent) :].startswith(PROMPT):
            commands.append(Command([n], []))
        elif commands:
            last = commands[-1]
            continued = not last.output and lines[last.lines[-1]].endswith("\\")
            (last.lines if continued else last.output).append(n)
    return commands


def real_lines(page: Page, numbers: list[int]) -> list[int]:
    """Output lines that show something: not blank, not an elision."""
    return [n for n in numbers if page.lines[n].strip() not in ("", ELLIPSIS)]


def outside_traceback(page: Page, output: list[int]) -> list[int]:
    header = next((n for n in output if page.lines[n].strip() == TRACEBACK), None)
    return output if header is None else [n for n in output if n < header]


# -- console output -----------------------------------------------------------------------


@operator("console output")
def alter_output_char(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for _, command in page.commands():
        for n in real_lines(page, command.output):
            new = altered_char(page.lines[n], rng, varying(page.lines[n]))
            if new:
                found.append(edit(alter_output_char, target, page.lines, n, new))
    return found


@operator("console output")
def delete_output_line(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for _, command in page.commands():
        for n in real_lines(page, command.output):
            lines = page.lines[:n] + page.lines[n + 1 :]
            found.append(
                mutant(delete_output_line, target, lines, f"delete {shown(page.lines[n])}")
            )
    return found


@operator("console output")
def elide_output_lines(target: Target, rng: random.Random) -> list[Mutant]:
    """Replace 1-3 consecutive real output lines, outside any traceback, by `...`."""
    page, found = Page.of(target), []
    for fence, command in page.commands():
        candidates = real_lines(page, outside_traceback(page, command.output))
        for n in candidates:
            run, length = [n], rng.randint(1, 3)
            while len(run) < length and run[-1] + 1 in candidates:
                run.append(run[-1] + 1)
            lines = page.lines[:n] + [fence.indent + ELLIPSIS] + page.lines[run[-1] + 1 :]
            what = f"{len(run)} line(s) from {shown(page.lines[n])} -> '...'"
            found.append(mutant(elide_output_lines, target, lines, what))
    return found


@operator("console output")
def elide_traceback_header(target: Target, rng: random.Random) -> list[Mutant]:
    """Delete `Traceback (most recent call last):` where a `...` follows: it then elides
    the header too, and the page no longer says that a traceback was printed."""
    page, found = Page.of(target), []
    for _, command in page.commands():
        for n in command.output:
            following = page.lines[n + 1].strip() if n + 1 < len(page.lines) else ""
            if page.lines[n].strip() == TRACEBACK and following == ELLIPSIS:
                lines = page.lines[:n] + page.lines[n + 1 :]
                found.append(mutant(elide_traceback_header, target, lines, f"delete {TRACEBACK!r}"))
    return found


@operator("console output")
def swap_output_lines(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for _, command in page.commands():
        shown_lines = real_lines(page, command.output)
        pairs = [
            (a, b)
            for a, b in zip(shown_lines, shown_lines[1:], strict=False)
            if page.lines[a].strip() != page.lines[b].strip()
        ]
        for a, b in pairs:
            lines = list(page.lines)
            lines[a], lines[b] = lines[b], lines[a]
            what = f"swap {shown(page.lines[a], 40)} and {shown(page.lines[b], 40)}"
            found.append(mutant(swap_output_lines, target, lines, what))
    return found


# -- revision ids -------------------------------------------------------------------------


@functools.cache
def example_ids() -> frozenset[str]:
    """The fixed revision ids of examples/: in file names and `Revision ID:` lines."""
    ids = set()
    for path in (ROOT / "examples").rglob("*.py"):
        ids.update(re.findall(r"^([0-9a-f]{12})_", path.name))
        ids.update(re.findall(r"Revision ID: ([0-9a-f]{12})", path.read_text()))
    return frozenset(ids)


def new_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        candidate = "".join(rng.choice("0123456789abcdef") for _ in range(12))
        if candidate not in taken and re.search("[a-f]", candidate) and re.search(r"\d", candidate):
            return candidate


@operator("revision ids")
def change_revision_id(target: Target, rng: random.Random) -> list[Mutant]:
    """Change one id of examples/ everywhere on the page, file titles included."""
    page, found = Page.of(target), []
    on_page = set(REVISION_ID.findall(target.text))
    for old in sorted(on_page & example_ids()):
        new = new_id(rng, on_page)
        pattern = re.compile(rf"(?<![0-9a-zA-Z]){old}(?![0-9a-zA-Z])")
        lines = [pattern.sub(new, line) for line in page.lines]
        count = len(pattern.findall(target.text))
        found.append(mutant(change_revision_id, target, lines, f"{old} -> {new} ({count} times)"))
    return found


@operator("revision ids")
def swap_ids_in_line(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for _, command in page.commands():
        for n in command.output:
            ids = list(dict.fromkeys(REVISION_ID.findall(page.lines[n])))
            if len(ids) < 2:
                continue
            a, b = rng.sample(ids, 2)
            swapped = {a: b, b: a}
            new = REVISION_ID.sub(lambda m, s=swapped: s.get(m[0], m[0]), page.lines[n])
            found.append(edit(swap_ids_in_line, target, page.lines, n, new))
    return found


# -- commands -----------------------------------------------------------------------------


def command_variants(line: str, rng: random.Random) -> list[str]:
    """The plausible edits of COMMAND_CHANGES, and one character changed in an argument."""
    variants = [
        re.sub(pattern, new, line, count=1)
        for pattern, new in COMMAND_CHANGES
        if re.search(pattern, line)
    ]
    start = line.find(" ", line.find(PROMPT) + len(PROMPT) if PROMPT in line else 0)
    if start > 0:
        altered = altered_char(line, rng, [(0, start + 1), *varying(line)])
        if altered:
            variants.append(altered)
    return [v for v in variants if v != line]


@operator("commands")
def alter_command(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for _, command in page.commands():
        for n in command.lines:
            for new in command_variants(page.lines[n], rng):
                found.append(edit(alter_command, target, page.lines, n, new))
    return found


@operator("commands")
def fail_silently(target: Target, rng: random.Random) -> list[Mutant]:
    """`; false` after a command: same output, but the command now fails."""
    page, found = Page.of(target), []
    for _, command in page.commands():
        n = command.lines[-1]
        new = page.lines[n] + "; false"
        found.append(edit(fail_silently, target, page.lines, n, new))
    return found


# -- directives ---------------------------------------------------------------------------


def _is_check(line: str) -> bool:
    match = grammar.DIRECTIVE.fullmatch(line.strip())
    return bool(match) and match["name"] == "check"


@operator("directives")
def remove_check(target: Target, rng: random.Random) -> list[Mutant]:
    page = Page.of(target)
    return [
        mutant(remove_check, target, page.lines[:n] + page.lines[n + 1 :], f"delete {shown(line)}")
        for n in page.outside_fences()
        if _is_check(line := page.lines[n])
    ]


@operator("directives")
def norun_and_alter(target: Target, rng: random.Random) -> list[Mutant]:
    """Opt an executed block out and make its output false: the runner must not trust it."""
    page, found = Page.of(target), []
    for fence in page.executed("console") + page.executed(title="Output"):
        outputs = [n for n in fence.body if not page.lines[n].lstrip().startswith(PROMPT)]
        candidates = real_lines(page, outputs) if fence.language == "console" else outputs
        candidates = [n for n in candidates if alterable(page.lines[n], varying(page.lines[n]))]
        if not candidates:
            continue
        n = rng.choice(candidates)
        new = altered_char(page.lines[n], rng, varying(page.lines[n])) or page.lines[n]
        lines = page.edited(n, new)
        lines.insert(fence.opening, fence.indent + "<!-- norun: mutated -->")
        found.append(
            mutant(norun_and_alter, target, lines, "norun + " + change(page.lines[n], new))
        )
    return found


@operator("directives")
def misspell_directive(target: Target, rng: random.Random) -> list[Mutant]:
    """`<!-- check: -->` as `<!-- chek: -->`: a directive the runner would not read."""
    page = Page.of(target)
    return [
        edit(misspell_directive, target, page.lines, n, line.replace("<!-- check:", "<!-- chek:"))
        for n in page.outside_fences()
        if _is_check(line := page.lines[n])
    ]


@operator("directives")
def comment_a_command(target: Target, rng: random.Random) -> list[Mutant]:
    """A comment after a `$` command: a claim nothing checks."""
    page, found = Page.of(target), []
    for _, command in page.commands():
        n = command.lines[-1]
        if grammar.FAILS.search(page.lines[n]) is None:
            found.append(edit(comment_a_command, target, page.lines, n, page.lines[n] + "  # fast"))
    return found


# -- version tabs -------------------------------------------------------------------------

VERSIONS_MARKER = re.compile(r"<!-- versions: (?P<name>[A-Za-z][\w.-]*)(?P<specifier>[^>]*?) -->")


def version_tabs(page: Page) -> list[tuple[int, int]]:
    """(tab line, marker line) of each versions marker that opens a content tab."""
    found = []
    for n in page.outside_fences():
        if VERSIONS_MARKER.search(page.lines[n]):
            tab = next((t for t in range(n - 1, -1, -1) if page.lines[t].strip()), None)
            if tab is not None and page.lines[tab].lstrip().startswith("==="):
                found.append((tab, n))
    return found


@operator("version tabs")
def relabel_version_tab(target: Target, rng: random.Random) -> list[Mutant]:
    """A tab's label saying other versions than its marker."""
    page = Page.of(target)
    return [
        edit(relabel_version_tab, target, page.lines, tab, re.sub(r"\d+(?=\D*\"$)", "12", line))
        for tab, _ in version_tabs(page)
        if re.search(r"\d", line := page.lines[tab])
    ]


@operator("version tabs")
def empty_versions_marker(target: Target, rng: random.Random) -> list[Mutant]:
    """A marker no recorded versions match (`psql<10`): its block is never checked."""
    page, found = Page.of(target), []
    for tab, n in version_tabs(page):
        match = VERSIONS_MARKER.search(line := page.lines[n])
        new = line[: match.start("specifier")] + "<0.1" + line[match.end("specifier") :]
        lines = page.edited(n, new)
        lines[tab] = re.sub(r'"[^"]*"$', f'"{match["name"]} before 0.1"', lines[tab])
        found.append(mutant(empty_versions_marker, target, lines, change(line, new)))
    return found


# -- prose: facts, table cells, links -----------------------------------------------------

OTHER_MODE = {"ACCESS EXCLUSIVE": "ROW EXCLUSIVE", "ACCESS SHARE": "ACCESS EXCLUSIVE"}
OTHER_WORD = {
    "an outcome": {"rolled back": "committed", "committed": "rolled back"},
    "a stream": {"stderr": "stdout", "stdout": "stderr"},
}
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight"]


def falsified(kind: str, token: str) -> str:
    """The same fact, false: another status, ten times the duration, another mode or error."""
    if kind == "an exit status":
        number = re.search(r"\d+", token)[0]
        return token.replace(number, "1" if number == "0" else "0")
    if kind == "a duration":
        number = re.search(r"\d+(?:\.\d+)?", token)[0]
        return token.replace(number, number + "0", 1)
    if kind == "a lock mode":
        return OTHER_MODE.get(token, "ACCESS EXCLUSIVE")
    if kind in OTHER_WORD:
        return re.sub("|".join(OTHER_WORD[kind]), lambda m: OTHER_WORD[kind][m[0]], token, count=1)
    if kind == "a count":  # twice as many
        if number := re.match(r"[\d,]+", token):
            return f"{int(number[0].replace(',', '')) * 2:,}" + token[number.end() :]
        word = token.split()[0]
        other = NUMBER_WORDS[(NUMBER_WORDS.index(word.lower()) + 1) % len(NUMBER_WORDS)]
        return token.replace(word, other.capitalize() if word.istitle() else other, 1)
    if kind == "a version boundary":  # a release earlier
        number = re.search(r"\d+$", token)
        return token[: number.start()] + str(int(number[0]) - 1)
    if kind == "a quoted path":
        return re.sub(r"([^/`]+)(/?`)$", r"old_\1\2", token)
    prefix = "Duplicate" if token.startswith("Undefined") else "Undefined"
    return prefix + re.sub(r"^[A-Z][a-z]+", "", token)  # another error of the same kind


@operator("prose")
def falsify_prose_fact(target: Target, rng: random.Random) -> list[Mutant]:
    """A fact in a sentence or heading (exit status, duration, lock mode, error name, count,
    outcome, stream, version boundary, quoted path) made false."""
    from alembic_docs.pytest_plugin import CLAIMS
    from docs_runner.claims import GENERIC, GRAMMAR_EXAMPLE

    page, found = Page.of(target), []
    for n in page.outside_fences():
        line = page.lines[n]
        if line.lstrip().startswith(("<!--", "|")) or PROVENANCE.match(line):
            continue
        examples = [m.span() for m in GRAMMAR_EXAMPLE.finditer(line)]  # no claims there
        for kind, pattern in {**GENERIC, **CLAIMS}.items():
            for match in re.finditer(pattern, line):
                if any(start <= match.start() < end for start, end in examples):
                    continue
                new = line[: match.start()] + falsified(kind, match[0]) + line[match.end() :]
                if new != line:
                    found.append(edit(falsify_prose_fact, target, page.lines, n, new))
    return found


@operator("prose")
def swap_table_cells(target: Target, rng: random.Random) -> list[Mutant]:
    """Two cells of a table row (not its first, the row's name) in each other's place."""
    page, found = Page.of(target), []
    for n in page.outside_fences():
        line = page.lines[n]
        cells = line.strip().strip("|").split("|")
        if not line.startswith("|") or set(line) <= set("|-: ") or len(cells) < 3:
            continue
        if n + 1 < len(page.lines) and set(page.lines[n + 1]) <= set("|-: "):
            continue  # the header
        i, j = 1, 2
        if cells[i].strip() != cells[j].strip():
            cells[i], cells[j] = cells[j], cells[i]
            found.append(edit(swap_table_cells, target, page.lines, n, "|" + "|".join(cells) + "|"))
    return found


MD_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@operator("prose")
def retarget_link(target: Target, rng: random.Random) -> list[Mutant]:
    """A link led to another page or section the page links to."""
    page = Page.of(target)
    links = [
        (n, m)
        for n in page.outside_fences()
        for m in MD_LINK.finditer(page.lines[n])
        if not m["target"].startswith(("http", "mailto"))
    ]
    targets = sorted({m["target"] for _, m in links})
    found = []
    for n, match in links:
        others = [t for t in targets if t != match["target"]]
        if others:
            line, other = page.lines[n], rng.choice(others)
            new = line[: match.start("target")] + other + line[match.end("target") :]
            found.append(edit(retarget_link, target, page.lines, n, new))
    return found


# -- insertions ---------------------------------------------------------------------------


@operator("insertions")
def insert_indented_block(target: Target, rng: random.Random) -> list[Mutant]:
    """A 4-space indented code block (Markdown's other code block) with a false output."""
    page = Page.of(target)
    return [
        mutant(
            insert_indented_block,
            target,
            page.lines[: n + 2] + FALSE_BLOCK + [""] + page.lines[n + 2 :],
            f"after {shown(page.lines[n], 40)} insert {shown(INDENTED_BLOCK)}",
        )
        for n in page.paragraph_ends()
    ]


@operator("insertions")
def insert_snippet_include(target: Target, rng: random.Random) -> list[Mutant]:
    """An include outside any fence: text on the page that nothing runs."""
    page = Page.of(target)
    return [
        mutant(
            insert_snippet_include,
            target,
            page.lines[: n + 2] + [BENCH_INCLUDE, ""] + page.lines[n + 2 :],
            f"after {shown(page.lines[n], 40)} insert {BENCH_INCLUDE!r}",
        )
        for n in page.paragraph_ends()
    ]


# -- file blocks and examples/ ------------------------------------------------------------


def shifted(spec: str, by: int) -> str:
    return re.sub(r"\d+", lambda m: str(max(1, int(m[0]) + by)), spec)


@operator("file blocks")
def shift_hl_lines(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for fence in page.fences:
        spec = fence.attributes.get("hl_lines")
        if spec is None:
            continue
        new_spec = shifted(spec, rng.choice((-1, 1)))
        new_spec = new_spec if new_spec != spec else shifted(spec, 1)
        old = f'hl_lines="{spec}"'
        new = page.lines[fence.opening].replace(old, f'hl_lines="{new_spec}"')
        found.append(
            mutant(
                shift_hl_lines,
                target,
                page.edited(fence.opening, new),
                f'{old} -> hl_lines="{new_spec}"',
            )
        )
    return found


def string_tokens(text: str) -> list[tokenize.TokenInfo]:
    """One-line string literals, docstrings left out: a typo in a docstring changes
    nothing that runs, and the page shows the file as it is (an equivalent mutant)."""
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [
            t
            for t in tokens
            if t.type == tokenize.STRING and t.start[0] == t.end[0] and t.line.strip() != t.string
        ]
    return []


@operator("file blocks", "examples")
def alter_example_string(target: Target, rng: random.Random) -> list[Mutant]:
    """One character of a one-line string literal of an examples/ Python file."""
    if not target.path.endswith(".py"):
        return []
    lines, found = target.text.splitlines(), []
    for token in string_tokens(target.text):
        n, (start, end) = token.start[0] - 1, (token.start[1], token.end[1])
        line = lines[n]
        protected = [(0, start + 1), (end - 1, len(line)), *varying(line)]
        new = altered_char(line, rng, protected)
        if new:
            found.append(edit(alter_example_string, target, lines, n, new))
    return found


@operator("file blocks", "examples")
def swap_example_type(target: Target, rng: random.Random) -> list[Mutant]:
    """A column type for another (Integer -> BigInteger), outside import lines."""
    if not target.path.endswith(".py"):
        return []
    lines, found = target.text.splitlines(), []
    pattern = re.compile(r"\b(" + "|".join(TYPE_CHANGES) + r")\b(?=\()")
    for n, line in enumerate(lines):
        if line.lstrip().startswith(("import ", "from ", "#")):
            continue
        for match in pattern.finditer(line):
            new = line[: match.start()] + TYPE_CHANGES[match[1]] + line[match.end() :]
            found.append(edit(swap_example_type, target, lines, n, new))
    return found


def is_script(path: str) -> bool:
    return path.endswith((".sh", "Procfile"))


@operator("file blocks", "examples")
def alter_example_command(target: Target, rng: random.Random) -> list[Mutant]:
    """A command of a Procfile or shell script of examples/."""
    if not is_script(target.path):
        return []
    lines, found = target.text.splitlines(), []
    for n, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        for new in command_variants(line, rng):
            found.append(edit(alter_example_command, target, lines, n, new))
    return found


@operator("file blocks", "examples")
def change_revises_header(target: Target, rng: random.Random) -> list[Mutant]:
    """A migration's docstring says it revises another revision than its code does."""
    lines = target.text.splitlines()
    return [
        edit(change_revises_header, target, lines, n, f"Revises: {new_id(rng, set())}")
        for n, line in enumerate(lines)
        if line.startswith("Revises: ") and target.path.endswith(".py")
    ]


SAFETY = [  # a shown script's safety switch, and the same line with it off
    (re.compile(r"\bset -e"), "set +e"),
    (re.compile(r"ON_ERROR_STOP=1"), "ON_ERROR_STOP=0"),
    (re.compile(r"o pipefail\b"), ""),
]


def loosened(line: str) -> list[str]:
    return [pattern.sub(loose, line) for pattern, loose in SAFETY if pattern.search(line)]


@operator("file blocks", "examples")
def loosen_safety_line(target: Target, rng: random.Random) -> list[Mutant]:
    """`set -e`, `ON_ERROR_STOP=1`, `pipefail` switched off: the same output while nothing
    fails, so only a run against a failing step tells."""
    if not is_script(target.path):
        return []
    lines = target.text.splitlines()
    return [
        edit(loosen_safety_line, target, lines, n, new)
        for n, line in enumerate(lines)
        if not line.lstrip().startswith("#")
        for new in loosened(line)
    ]


@operator("commands")
def loosen_safety_option(target: Target, rng: random.Random) -> list[Mutant]:
    """The same switches off on a page's `$` line (`psql -v ON_ERROR_STOP=1`)."""
    page = Page.of(target)
    return [
        edit(loosen_safety_option, target, page.lines, n, new)
        for _, command in page.commands()
        for n in command.lines
        for new in loosened(page.lines[n])
    ]


@operator("file blocks", "examples")
def alter_example_line(target: Target, rng: random.Random) -> list[Mutant]:
    """One character of a line of a non-Python examples/ file (alembic.ini, the template)."""
    if target.path.endswith(".py") or is_script(target.path):
        return []
    lines, found = target.text.splitlines(), []
    for n, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        new = altered_char(line, rng, varying(line))
        if new:
            found.append(edit(alter_example_line, target, lines, n, new))
    return found


@operator("file blocks", "examples")
def change_create_date(target: Target, rng: random.Random) -> list[Mutant]:
    lines, found = target.text.splitlines(), []
    for n, line in enumerate(lines):
        match = re.search(r"Create Date: (\d{4}-\d\d-\d\d)", line)
        if match:
            old = datetime.date.fromisoformat(match[1])
            new_date = old - datetime.timedelta(days=rng.randint(1, 400))
            new = line.replace(match[1], new_date.isoformat())
            found.append(edit(change_create_date, target, lines, n, new))
    return found


# -- provenance ---------------------------------------------------------------------------


def provenance_line(page: Page) -> int | None:
    return next((n for n, line in enumerate(page.lines) if PROVENANCE.match(line)), None)


@operator("provenance")
def change_verified_date(target: Target, rng: random.Random) -> list[Mutant]:
    if (n := provenance_line(page := Page.of(target))) is None:
        return []
    old = PROVENANCE.match(page.lines[n])[1]
    earlier = datetime.date.fromisoformat(old) - datetime.timedelta(days=rng.randint(1, 400))
    new = page.lines[n].replace(old, earlier.isoformat(), 1)
    return [edit(change_verified_date, target, page.lines, n, new)]


@operator("provenance")
def add_second_provenance(target: Target, rng: random.Random) -> list[Mutant]:
    if (n := provenance_line(page := Page.of(target))) is None:
        return []
    lines = page.lines[: n + 1] + ["", FALSE_PROVENANCE] + page.lines[n + 1 :]
    return [mutant(add_second_provenance, target, lines, f"insert {shown(FALSE_PROVENANCE)}")]


@operator("provenance")
def add_version_claim(target: Target, rng: random.Random) -> list[Mutant]:
    """A version named in prose, that no run checks."""
    page = Page.of(target)
    return [
        mutant(
            add_version_claim,
            target,
            page.edited(n, f"{page.lines[n]} {VERSION_CLAIM}"),
            f"append {VERSION_CLAIM!r} to {shown(page.lines[n], 40)}",
        )
        for n in page.paragraph_ends()
    ]


# -- python blocks' outputs ---------------------------------------------------------------


@operator("python output")
def alter_python_output(target: Target, rng: random.Random) -> list[Mutant]:
    page, found = Page.of(target), []
    for fence in page.executed(title="Output"):
        for n in real_lines(page, list(fence.body)):
            new = altered_char(page.lines[n], rng, varying(page.lines[n]))
            if new:
                found.append(edit(alter_python_output, target, page.lines, n, new))
    return found


# -- notebooks (outputs only: the paired .py holds no outputs, so it stays in sync) -------


def notebook_mutant(name: Callable, target: Target, notebook: dict, description: str) -> Mutant:
    text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return mutant(name, target, text.splitlines(), description)


def outputs(target: Target) -> Iterator[tuple[int, int, dict]]:
    """(cell number from 1, output index, output) of every code cell's outputs."""
    for number, cell in enumerate(json.loads(target.text)["cells"], 1):
        for index, output in enumerate(cell.get("outputs", [])):
            yield number, index, output


def output_of(notebook: dict, number: int, index: int) -> dict:
    return notebook["cells"][number - 1]["outputs"][index]


def text_of(output: dict) -> tuple[dict, str] | None:
    """Where an output's text lives: a stream's `text`, or a result's `text/plain`."""
    if "text" in output:
        return output, "text"
    if "text/plain" in output.get("data", {}):
        return output["data"], "text/plain"
    return None


def chunks(output: dict) -> list[str]:
    place = text_of(output)
    if place is None:
        return []
    text = place[0][place[1]]
    return text if isinstance(text, list) else [text]


@operator("notebooks", "notebooks")
def alter_notebook_output(target: Target, rng: random.Random) -> list[Mutant]:
    found = []
    for number, index, output in outputs(target):
        for k, chunk in enumerate(chunks(output)):
            new = altered_char(chunk, rng, varying(chunk))
            if new is None:
                continue
            notebook = json.loads(target.text)
            holder, key = text_of(output_of(notebook, number, index))
            if isinstance(holder[key], list):
                holder[key][k] = new
            else:
                holder[key] = new
            what = f"cell {number}: {change(chunk, new)}"
            found.append(notebook_mutant(alter_notebook_output, target, notebook, what))
    return found


@operator("notebooks", "notebooks")
def add_raw_cell(target: Target, rng: random.Random) -> list[Mutant]:
    """A raw cell holding a made-up output, which the site renders as it is."""
    notebook = json.loads(target.text)
    cell = {"cell_type": "raw", "id": "mutant", "metadata": {}, "source": ["1975ea83b712 (head)"]}
    notebook["cells"].insert(len(notebook["cells"]) // 2, cell)
    return [notebook_mutant(add_raw_cell, target, notebook, "insert a raw cell")]


@operator("notebooks", "notebooks")
def swap_notebook_outputs(target: Target, rng: random.Random) -> list[Mutant]:
    """Two outputs of one cell in the other order (stderr before stdout, say)."""
    found = []
    for number, index, _ in outputs(target):
        if index == 0:
            continue
        notebook = json.loads(target.text)
        cell_outputs = notebook["cells"][number - 1]["outputs"]
        cell_outputs[index - 1], cell_outputs[index] = cell_outputs[index], cell_outputs[index - 1]
        names = " then ".join(
            o.get("name", o["output_type"]) for o in cell_outputs[index - 1 :][:2]
        )
        what = f"cell {number}: outputs {index} and {index + 1} swapped (now {names})"
        found.append(notebook_mutant(swap_notebook_outputs, target, notebook, what))
    return found


@operator("notebooks", "notebooks")
def delete_notebook_output(target: Target, rng: random.Random) -> list[Mutant]:
    found = []
    for number, index, output in outputs(target):
        notebook = json.loads(target.text)
        del notebook["cells"][number - 1]["outputs"][index]
        first = "".join(chunks(output)).strip().split("\n")[0] or output["output_type"]
        what = f"cell {number}: delete output {index + 1} ({shown(first, 50)})"
        found.append(notebook_mutant(delete_notebook_output, target, notebook, what))
    return found


# -- sampling -----------------------------------------------------------------------------


def tracked_files(root: Path = ROOT) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout.decode()
    return sorted(p for p in listed.split("\0") if p and (root / p).exists())


def targets(files: list[str], only: list[str], root: Path = ROOT) -> list[Target]:
    """Pages, examples/ files and notebooks, narrowed to the paths under `only`."""
    wanted = [
        p
        for p in files
        if (p.startswith("docs/") and p.endswith(".md"))
        or p.startswith("examples/")
        or (p.startswith("notebooks/") and p.endswith(".ipynb"))
    ]
    if only:
        wanted = [
            p for p in wanted if any(p == o or p.startswith(o.rstrip("/") + "/") for o in only)
        ]
    return [Target(p, (root / p).read_bytes().decode()) for p in wanted]


def candidates(found: list[Target], seed: int, names: list[str]) -> dict[str, list[Mutant]]:
    """Every mutant each operator can make; a random choice within a site (which
    character, which id) is seeded by the operator and the file, so the same seed gives
    the same mutants whatever else is sampled."""
    pool: dict[str, list[Mutant]] = {}
    for name, registered in OPERATORS.items():
        if names and name not in names:
            continue
        made = [
            m
            for t in found
            if t.kind == registered.kind
            for m in registered.function(t, random.Random(f"{seed}/{name}/{t.path}"))
        ]
        pool[name] = numbered(made)
    return {name: mutants for name, mutants in pool.items() if mutants}


def numbered(mutants: list[Mutant]) -> list[Mutant]:
    """Tell apart the same change made at several places of a file (the same line shown
    twice): " #2" for the second in file order, and so on."""
    seen: Counter[Key] = Counter()
    unique = []
    for m in mutants:
        seen[m.key] += 1
        if seen[m.key] > 1:
            m = dataclasses.replace(m, description=f"{m.description} #{seen[m.key]}")
        unique.append(m)
    return unique


def sample(pool: dict[str, list[Mutant]], count: int, seed: int) -> list[Mutant]:
    """Every operator once, then every file once, then operators in turn, each taking a
    mutant of its least-sampled file."""
    rng = random.Random(seed)
    queues = {name: rng.sample(mutants, len(mutants)) for name, mutants in sorted(pool.items())}
    chosen: list[Mutant] = []
    per_file: Counter[str] = Counter()

    def take(name: str, path: str | None = None) -> None:
        queue_ = queues[name]
        if path is None:
            path = min((m.path for m in queue_), key=lambda p: per_file[p])
        picked = next(m for m in queue_ if m.path == path)
        queue_.remove(picked)
        chosen.append(picked)
        per_file[picked.path] += 1

    for name in queues:
        take(name)
    for path in sorted({m.path for ms in queues.values() for m in ms}):
        if not per_file[path]:
            per_op = Counter(m.operator for m in chosen)
            name = min(
                (n for n, q in queues.items() if any(m.path == path for m in q)),
                key=lambda n: (per_op[n], n),
            )
            take(name, path)
    while len(chosen) < count and any(queues.values()):
        for name in [n for n in queues if queues[n]]:
            if len(chosen) < count:
                take(name)
    return chosen[:count]


# -- scopes: what to run for a mutated file -----------------------------------------------


@dataclass(frozen=True)
class Run:
    """One pytest invocation (after `pytest -n 0 -q -x -p no:randomly`)."""

    args: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join(self.args)


def test_files(files: list[str]) -> list[str]:
    return [
        p
        for p in files
        if re.fullmatch(r"tests/(?:\w+/)*test_\w+\.py", p) and p not in (SELF_TEST, *LOADS)
    ]


def read(path: str, root: Path) -> str:
    return (root / path).read_text(encoding="utf-8")


def scope(path: str, files: list[str], root: Path = ROOT) -> tuple[Run, ...]:
    """The pytest runs a mutant of `path` must fail: the cheapest first."""
    if path.startswith("notebooks/"):
        return (Run(("tests/site/notebooks/test_notebooks.py", "-k", Path(path).name)),)
    if path.startswith("docs/"):
        tests = [t for t in test_files(files) if path in read(t, root)]
        return (Run((path, *with_deselected(tests), *EVERY_PAGE)),)
    return (*example_scope(path, files, root), Run(EVERY_EXAMPLE))


# Tests that read every page, or every example, without naming it.
EVERY_PAGE = (
    "tests/site/test_links.py",
    "tests/site/test_examples_agree.py",
    "tests/site/test_prose_ids.py",
)
EVERY_EXAMPLE = ("tests/site/test_examples_agree.py",)


def with_deselected(tests: list[str]) -> list[str]:
    return tests + [f"--deselect={d}" for d in DESELECTED if d.split("::")[0] in tests]


def example_scope(path: str, files: list[str], root: Path) -> tuple[Run, ...]:
    """Pages that include the file or start from its project, tests and notebooks that
    name it (or its project directory)."""
    relative = path.removeprefix("examples/")
    top = relative.split("/", 1)[0]
    pages = [
        p
        for p in files
        if p.startswith("docs/") and p.endswith(".md") and includes(read(p, root), relative, top)
    ]
    mention = re.compile(rf"{re.escape(relative)}|examples\W{{1,8}}{re.escape(top)}\b", re.I)
    # A helper module of the tests (tests/chains.py) names it for every test importing it.
    helpers = [
        Path(p).stem
        for p in files
        if re.fullmatch(r"tests/[a-z]\w*\.py", p) and p not in test_files(files)
        if mention.search(read(p, root))
    ]
    imports = re.compile(rf"^from tests import ({'|'.join(helpers)})\b", re.M) if helpers else None
    tests = [
        t
        for t in test_files(files)
        if mention.search(read(t, root)) or (imports and imports.search(read(t, root)))
    ]
    notebooks = [
        p
        for p in files
        if p.startswith("notebooks/") and p.endswith(".py") and mention.search(read(p, root))
    ]
    runs = [Run((*pages, *with_deselected(tests)))] if pages or tests else []
    runs += [
        Run(("tests/site/notebooks/test_notebooks.py", "-k", Path(p).stem + ".ipynb"))
        for p in notebooks
    ]
    return tuple(runs)


def includes(page: str, relative: str, top: str) -> bool:
    return relative in grammar.included(page) or top in grammar.directives(page, "project")


# -- running ------------------------------------------------------------------------------


class Children:
    """The pytest processes running now, so that an interrupt can end them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopping = False

    def kill_all(self) -> None:
        with self.lock:
            self.stopping = True
            for process in self.running:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


CHILDREN = Children()


BROWSER_CACHE = Path(os.environ.get("IN_BROWSER_CACHE", ROOT / ".cache" / "browser"))


def run_pytest(run: Run, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """(exit status, output tail). Own session: a Ctrl-C reaches the driver, which ends it."""
    # In file order: a mutant killed by one order and not another would not be reproducible.
    argv = [sys.executable, "-m", "pytest", "-n", "0", "-q", "-x", "-p", "no:randomly", *run.args]
    # The workspace's own src/ before the editable install's (the repository's, which may
    # change while a run lasts); the browser runtime's download cache stays the shared one.
    env = {**env, "PYTHONPATH": str(cwd / "src"), "IN_BROWSER_CACHE": str(BROWSER_CACHE)}
    # pytest's temporary folders per workspace: runs side by side raced on the shared
    # `pytest-current` link (a baseline failed with FileNotFoundError in its unlink)
    (cwd / ".pytest-tmp").mkdir(exist_ok=True)
    env["PYTEST_DEBUG_TEMPROOT"] = str(cwd / ".pytest-tmp")
    with CHILDREN.lock:
        if CHILDREN.stopping:
            raise KeyboardInterrupt
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        CHILDREN.running.add(process)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return -1, f"timed out after {RUN_TIMEOUT} s\n{output[-2000:]}"
    finally:
        with CHILDREN.lock:
            CHILDREN.running.discard(process)
    return process.returncode, output[-20000:]


def passed(status: int) -> bool:
    return status in (0, 5)  # 5: no test collected (a page with nothing executed)


class Workspace:
    """A private copy of the repository's tracked files, for one worker at a time."""

    def __init__(self, files: list[str], root: Path = ROOT) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="mutate-"))
        for relative in files:
            (self.path / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / relative, self.path / relative, follow_symlinks=False)

    @contextlib.contextmanager
    def mutated(self, mutant: Mutant | None) -> Iterator[None]:
        if mutant is None:
            yield
            return
        path = self.path / mutant.path
        original = path.read_bytes()
        path.write_bytes(mutant.text.encode())
        try:
            yield
        finally:
            path.write_bytes(original)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, survived, equivalent or error
    detail: str = ""
    seconds: float = 0.0


def run_mutant(
    mutant: Mutant, runs: tuple[Run, ...], workspace: Workspace, env: dict[str, str]
) -> Outcome:
    started = time.monotonic()
    with workspace.mutated(mutant):
        for run in runs:
            status, _ = run_pytest(run, workspace.path, env)
            if not passed(status):
                return Outcome(
                    mutant, "killed", f"{run}: exit {status}", time.monotonic() - started
                )
    return Outcome(mutant, "survived", "", time.monotonic() - started)


class Pool:
    """`jobs` workers, each with its own workspace and environment (`env_for()`'s: a
    database role of its own, whose password the pages of no other worker get)."""

    def __init__(self, files: list[str], jobs: int, env_for: Callable[[], dict[str, str]]) -> None:
        self.workspaces: queue.Queue[tuple[Workspace, dict[str, str]]] = queue.Queue()
        self.all = [(Workspace(files), env_for()) for _ in range(jobs)]
        for given in self.all:
            self.workspaces.put(given)
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)

    def submit(self, function: Callable, *args) -> concurrent.futures.Future:
        def job():
            workspace, env = given = self.workspaces.get()
            try:
                return function(*args, workspace, env)
            finally:
                self.workspaces.put(given)

        return self.executor.submit(job)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        for workspace, _ in self.all:
            workspace.remove()


def progress(message: str) -> None:
    print(f"mutate: {message}", file=sys.stderr, flush=True)


def why(tail: str) -> list[str]:
    """What a failing run's output says of its failure: pytest's `E` lines, the failing
    tests' ids and the summary."""
    lines = tail.strip().splitlines()
    named = [line for line in lines if line.startswith(("E ", "FAILED ", "ERROR "))]
    return named[:20] + lines[-2:]


def baseline(runs: set[Run], pool: Pool) -> dict[Run, str]:
    """The unmutated runs that fail already (and their output tail)."""

    def unmutated(run: Run, workspace: Workspace, env: dict[str, str]) -> tuple[int, str]:
        return run_pytest(run, workspace.path, env)

    futures = {pool.submit(unmutated, run): run for run in sorted(runs, key=str)}
    failing = {}
    for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
        run, (status, tail) = futures[future], future.result()
        progress(f"baseline {done}/{len(futures)} {'pass' if passed(status) else 'FAIL'} {run}")
        if not passed(status):  # why, now: the summary comes an hour later
            progress("  " + "\n  ".join(why(tail)))
            failing[run] = tail
    return failing


def execute(
    mutants: list[Mutant],
    files: list[str],
    jobs: int,
    env_for: Callable[[], dict[str, str]],
    equivalents: Equivalents,
) -> tuple[list[Outcome], dict[Run, str]]:
    """Run every mutant in its scope, after the unmutated scopes (the baseline), each
    worker in the environment `env_for()` gives it."""
    scopes = {m.path: scope(m.path, files) for m in mutants}
    pool = Pool(files, jobs, env_for)
    try:
        failing = baseline({run for runs in scopes.values() for run in runs}, pool)
        outcomes, futures = [], []
        for m in mutants:
            broken = [str(run) for run in scopes[m.path] if run in failing]
            if broken:
                outcomes.append(Outcome(m, "error", "fails unmutated: " + "; ".join(broken)))
            else:
                futures.append(pool.submit(run_mutant, m, scopes[m.path]))
        for outcome in outcomes:
            report_progress(outcome, len(outcomes), len(mutants))
        for future in concurrent.futures.as_completed(futures):
            outcomes.append(classify(future.result(), equivalents))
            report_progress(outcomes[-1], len(outcomes), len(mutants))
    except BaseException:
        CHILDREN.kill_all()  # else closing the pool would wait for every running pytest
        raise
    finally:
        pool.close()
    order = {id(m): n for n, m in enumerate(mutants)}
    return sorted(outcomes, key=lambda o: order[id(o.mutant)]), failing


def report_progress(outcome: Outcome, done: int, total: int) -> None:
    m = outcome.mutant
    progress(f"{done}/{total} {outcome.status} {m.path}:{m.line} {m.operator}")


@dataclass
class Equivalents:
    """tools/mutate-equivalent.toml: exact mutants, or a change at every place of a file."""

    exact: dict[Key, str] = field(default_factory=dict)  # key -> reason
    everywhere: dict[Key, str] = field(default_factory=dict)  # key without " #n" -> reason

    @classmethod
    def load(cls, path: Path = EQUIVALENTS) -> Equivalents:
        known = cls()
        entries = tomllib.loads(path.read_text()).get("equivalent", []) if path.exists() else []
        for entry in entries:
            table = known.everywhere if entry.get("all_occurrences") else known.exact
            for description in entry["descriptions"]:
                table[(entry["operator"], entry["path"], description)] = entry["reason"]
        return known

    def reason(self, key: Key) -> str | None:
        operator_, path, description = key
        unnumbered = (operator_, path, re.sub(r" #\d+$", "", description))
        return self.exact.get(key) or self.everywhere.get(unnumbered)


def classify(outcome: Outcome, equivalents: Equivalents) -> Outcome:
    reason = equivalents.reason(outcome.mutant.key)
    if outcome.status == "survived" and reason:
        outcome.status, outcome.detail = "equivalent", reason
    return outcome


# -- reporting ----------------------------------------------------------------------------

STATUSES = ("killed", "survived", "equivalent", "error")


def counts(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    """Per operator, in the order operators are defined: how many of each status."""
    table: dict[str, dict[str, int]] = {}
    for name in OPERATORS:
        mine = [o.status for o in outcomes if o.mutant.operator == name]
        if mine:
            table[name] = {status: mine.count(status) for status in STATUSES}
    return table


def score(outcomes: list[Outcome]) -> float | None:
    killed = sum(o.status == "killed" for o in outcomes)
    judged = killed + sum(o.status == "survived" for o in outcomes)
    return round(killed / judged, 3) if judged else None


def markdown_table(results: dict) -> str:
    """The table how-it-works includes, made from the results alone (a test re-makes it)."""
    total = results["totals"]
    rows = [
        f"{results['count']} mutants (seed {results['seed']}) on {results['date']}, "
        f"{results['machine']['cores']} cores, Python {results['machine']['python']}: "
        f"{total['killed']} killed, {total['survived']} survived, {total['equivalent']} "
        f"equivalent, {total['error']} errors, in {results['run_time_s']:.0f} s.",
        "",
        "| Class | Mutation | Killed | Survived | Equivalent | Errors |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, c in results["kinds"].items():
        rows.append(
            f"| {c['class']} | `{name}` | {c['killed']} | {c['survived']} "
            f"| {c['equivalent']} | {c['error']} |"
        )
    rows.append(
        f"| **all** | | **{total['killed']}** | **{total['survived']}** "
        f"| **{total['equivalent']}** | **{total['error']}** |"
    )
    return "\n".join(rows) + "\n"


def summary(outcomes: list[Outcome], failing: dict[Run, str], seconds: float) -> str:
    lines = [f"{'mutation':<26} {'class':<16} killed survived equivalent errors"]
    for name, c in counts(outcomes).items():
        lines.append(
            f"{name:<26} {OPERATORS[name].group:<16} {c['killed']:>6} {c['survived']:>8} "
            f"{c['equivalent']:>10} {c['error']:>6}"
        )
    lines.append(
        f"score {score(outcomes)} (killed / (killed + survived)), {len(outcomes)} "
        f"mutants in {seconds:.0f} s"
    )
    for run, tail in failing.items():
        lines += [f"baseline FAILS unmutated: {run}", *("    " + t for t in tail.splitlines()[-5:])]
    for title, status in (
        ("survivors", "survived"),
        ("equivalent", "equivalent"),
        ("errors", "error"),
    ):
        chosen = sorted((o for o in outcomes if o.status == status), key=place)
        if chosen:
            lines.append(f"{title}:")
            lines += [describe(o) for o in chosen]
    return "\n".join(lines)


def place(outcome: Outcome) -> tuple[str, int]:
    return outcome.mutant.path, outcome.mutant.line


def describe(outcome: Outcome) -> str:
    m = outcome.mutant
    detail = f"  [{outcome.detail}]" if outcome.status in ("equivalent", "error") else ""
    return f"  {m.path}:{m.line} {m.operator}: {m.description}{detail}"


def results(
    outcomes: list[Outcome], failing: dict[Run, str], args: argparse.Namespace, seconds: float
) -> dict:
    def listed(status: str) -> list[dict]:
        return [
            {
                **{k: v for k, v in asdict(o.mutant).items() if k != "text"},
                "detail": o.detail,
                "seconds": round(o.seconds, 1),
            }
            for o in sorted(outcomes, key=place)
            if o.status == status
        ]

    return {
        "date": datetime.date.today().isoformat(),
        "seed": args.seed,
        "count": len(outcomes),
        "jobs": args.jobs,
        "run_time_s": round(seconds, 1),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "score": score(outcomes),
        "totals": {status: sum(o.status == status for o in outcomes) for status in STATUSES},
        "kinds": {
            name: {"class": OPERATORS[name].group, **c} for name, c in counts(outcomes).items()
        },
        "baseline_failures": [str(run) for run in failing],
        "survivors": listed("survived"),
        "killed": listed("killed"),
        "equivalent": listed("equivalent"),
        "errors": listed("error"),
    }


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="mutants to sample (200)")
    parser.add_argument("--seed", type=int, default=9, help="same seed, same mutants (9)")
    parser.add_argument("--jobs", type=int, default=2, help="workers in parallel (2)")
    parser.add_argument("--only", action="append", default=[], help="mutate only this path")
    parser.add_argument("--operator", action="append", default=[], choices=sorted(OPERATORS))
    parser.add_argument("--list", action="store_true", help="list the sample, run nothing")
    parser.add_argument(
        "--no-write", action="store_true", help="do not write docs/bench/mutation.*"
    )
    return parser.parse_args(argv)


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    files = tracked_files()
    mutants = sample(
        candidates(targets(files, args.only), args.seed, args.operator), args.count, args.seed
    )
    if args.list:
        for m in mutants:
            print(f"{m.path}:{m.line} {m.operator}: {m.description}")
        return 0
    signal.signal(signal.SIGTERM, interrupt)  # a CI cancel: stop the children and the server
    server = open_server()
    progress(f"{len(mutants)} mutants, on {server.description}")
    try:

        def env_for() -> dict[str, str]:
            return {**os.environ, "THROWAWAY_PG_URL": server.shared_url()}

        outcomes, failing = execute(mutants, files, args.jobs, env_for, Equivalents.load())
    except KeyboardInterrupt:
        progress("interrupted: children stopped, workspaces and server removed")
        return 130
    finally:
        server.close()
    seconds = time.monotonic() - started
    print(summary(outcomes, failing, seconds))
    if not (args.no_write or args.only or args.operator):
        written = results(outcomes, failing, args, seconds)
        RESULTS.write_text(json.dumps(written, indent=1) + "\n")
        TABLE.write_text(markdown_table(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
