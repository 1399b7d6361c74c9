"""A page's blocks, lexed with Sybil (fences, also inside admonitions and tabs).

Every fence is classified; a fence the runner does not execute must be opted out with an
HTML comment right before it, `<!-- norun: why -->`, or the page fails. A page that runs
anything says what it was verified with, in a line the runner checks and `nox -s update`
writes ("Verified on DATE with Alembic X, SQLAlchemy Y, psycopg2 Z and PostgreSQL W.").
Directives:
  <!-- project: tutorial -->   start from a copy of examples/tutorial/
  <!-- check: users-created -->   run a named database check (see tests/page_checks.py)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sybil import Document, Region
from sybil.parsers.markdown.lexers import (
    DirectiveInHTMLCommentLexer,
    RawFencedCodeBlockLexer,
)

FENCE_INFO = re.compile(r"(?P<language>[\w+-]*)[ \t]*(?P<attributes>[^\n]*)$\n", re.MULTILINE)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$')
PROMPT = "$ "
PROVENANCE = re.compile(
    r"^Verified on (?P<date>\d{4}-\d\d-\d\d) with Alembic (?P<alembic>\S+), "
    r"SQLAlchemy (?P<sqlalchemy>\S+), psycopg2 (?P<psycopg2>\S+) "
    r"and PostgreSQL (?P<postgresql>\S+)\.$",
    re.MULTILINE,
)


@dataclass
class Fence:
    """What every block keeps of its fence: where it is, for messages and rewriting."""

    language: str
    attributes: dict[str, str]
    source: str
    line: int


@dataclass
class Command:
    line: str
    expected: str
    page_line: int


@dataclass
class Console:
    fence: Fence
    commands: list[Command]


@dataclass
class File:
    fence: Fence
    path: str  # in the project, as the title shows it
    snippet: str  # under examples/


@dataclass
class Python:
    fence: Fence


@dataclass
class Output:
    fence: Fence


@dataclass
class Unclassified:
    fence: Fence
    reason: str


@dataclass
class Directive:
    name: str
    argument: str


@dataclass
class Provenance:
    """The versions a page says it was verified with; None when the line is missing."""

    recorded: dict[str, str] | None


@dataclass
class OptOut:
    """A fence the runner does not execute, and why (counted and listed in the summary)."""

    page: Path
    line: int
    reason: str


def classify(fence: Fence) -> Console | File | Python | Output | Unclassified:
    title = fence.attributes.get("title")
    if fence.language == "console":
        return Console(fence, parse_console(fence))
    if title == "Output":
        return Output(fence)
    if title:
        snippet = SNIPPET.match(fence.source.strip())
        if snippet is None:
            return Unclassified(
                fence,
                f'file block "{title}" must include its file from '
                'examples/ with --8<-- "path" (one source of truth)',
            )
        return File(fence, title, snippet["path"])
    if fence.language in ("python", "py"):
        return Python(fence)
    return Unclassified(
        fence,
        f"a `{fence.language or 'plain'}` block is not executed: "
        "opt it out with <!-- norun: reason --> before it",
    )


def parse_console(fence: Fence) -> list[Command]:
    """`$ command` lines (a trailing backslash continues) each followed by their output."""
    commands: list[Command] = []
    lines = fence.source.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith(PROMPT):
            raise ValueError(f"line {fence.line + 1 + i}: console blocks start with '$ '")
        start, command = i, lines[i][len(PROMPT) :]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
        i += 1
        output_start = i
        while i < len(lines) and not lines[i].startswith(PROMPT):
            i += 1
        expected = "\n".join(lines[output_start:i])
        commands.append(Command(command, expected, fence.line + 1 + start))
    return commands


def lex(document: Document) -> tuple[list[tuple[Region, object]], list[OptOut]]:
    """(region, block) pairs in page order, and the fences that were opted out."""
    fences = list(RawFencedCodeBlockLexer(info_pattern=FENCE_INFO)(document))
    comments = [  # a directive shown inside a fence is an example, not a directive
        comment
        for comment in DirectiveInHTMLCommentLexer(r"norun|project|check")(document)
        if not any(fence.start < comment.start < fence.end for fence in fences)
    ]
    opted_out_fences = set()
    blocks: list[tuple[Region, object]] = []
    opt_outs: list[OptOut] = []
    for comment in comments:
        name, argument = comment.lexemes["directive"], comment.lexemes["arguments"].strip()
        if name != "norun":
            blocks.append((comment, Directive(name, argument)))
            continue
        after = document.text.index("-->", comment.start) + len("-->")
        target = next((f for f in fences if f.start >= after), None)
        if target is None or document.text[after : target.start].strip():
            raise ValueError(
                f"{document.path}:{_line(document, comment.start)}: "
                "<!-- norun: --> must come right before a fence"
            )
        if not argument:
            raise ValueError(
                f"{document.path}:{_line(document, comment.start)}: <!-- norun: --> needs a reason"
            )
        opted_out_fences.add(target.start)
        opt_outs.append(OptOut(Path(document.path), _line(document, target.start), argument))
    for region in fences:
        if region.start in opted_out_fences:
            continue
        attributes = dict(ATTRIBUTE.findall(region.lexemes["attributes"]))
        fence = Fence(
            region.lexemes["language"],
            attributes,
            str(region.lexemes["source"]),
            _line(document, region.start),
        )
        blocks.append((region, classify(fence)))
    if blocks:
        blocks.append(_provenance(document))
    blocks.sort(key=lambda pair: pair[0].start)
    return blocks, opt_outs


def _provenance(document: Document) -> tuple[Region, Provenance]:
    match = PROVENANCE.search(document.text)
    if match:
        versions = {k: v for k, v in match.groupdict().items() if k != "date"}
        return Region(match.start(), match.end()), Provenance(versions)
    # The line goes after the page's title, if it starts with one.
    after_title = document.text.find("\n") + 1 if document.text.startswith("# ") else 0
    return Region(after_title, after_title), Provenance(None)


def _line(document: Document, position: int) -> int:
    return document.text.count("\n", 0, position) + 1
