"""The Sybil glue: a page's blocks as Sybil regions, each evaluated against the page's run.

A block that depends on the ones before it is not run once one of those failed; with
versions other than the recorded ones, a block that only shows other output did its work
and the blocks after it still run.
"""

from __future__ import annotations

import re
import unittest
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sybil import Document, Example, Region
from sybil.typing import Parser

from docs_runner import blocks
from docs_runner.blocks.base import Block
from docs_runner.grammar import PageError
from docs_runner.outcome import Failure, Outcome
from docs_runner.run import DIFFERS, PageRun


def parse(document: Document) -> list[Region]:
    """The Sybil parser: one region per block, each evaluated by its kind; a page the
    grammar cannot read is one failing region, at the line it names."""
    try:
        pairs = blocks.lex(document)
    except PageError as error:
        return [unreadable(document.text, error.line, error.message)]
    return [Region(region.start, region.end, block, _evaluator(block)) for region, block in pairs]


def unreadable(text: str, line: int, message: str) -> Region:
    """The one region of a page that fails at `line` of its `text`, saying `message`."""
    start = sum(len(shown) + 1 for shown in text.split("\n")[: line - 1])  # the site's lines
    block = Unreadable(line, message)
    return Region(start, start, block, _evaluator(block))


class PageDocument(Document):
    """A page as Sybil reads it, but whose failures are one line each, never an error that
    ends the whole session: a page that is not UTF-8 (Sybil's UnicodeDecodeError) fails at
    the line of its first undecodable byte; one whose blocks the lexers read overlapping
    (Sybil's ValueError) at the line of the second."""

    @classmethod
    def parse(cls, path: str, *parsers: Parser, encoding: str = "utf-8") -> Document:
        with open(path, encoding=encoding, errors="surrogateescape") as source:
            text = source.read()
        if undecoded := _undecoded(text):
            document = cls(text.encode(errors="surrogateescape").decode(errors="replace"), path)
            document.add(unreadable(document.text, *undecoded))
            return document
        document = cls(text, path)
        for region in (region for parser in parsers for region in parser(document)):
            try:
                document.add(region)
            except ValueError:
                line = document.text.count("\n", 0, region.start) + 1
                problem = "this block overlaps another: the runner cannot tell where each is"
                document.regions.clear()
                document.add(unreadable(document.text, line, problem))
                break
        return document


# Control characters no page means, which a report would send to a terminal (an escape
# sequence in an opt-out's reason sets its clipboard): all but tab, line feed and carriage
# return, and those the blocks name as line breaks only Python sees (VT, FF, FS to RS, NEL).
_CONTROL = "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069"


def _undecoded(text: str) -> tuple[int, str] | None:
    """The line of the first byte of `text` that is not UTF-8 (surrogateescape made it one
    of U+DC80 to U+DCFF), or of its first control character (a NUL in a fence's title or a
    directive gave a traceback; no page means one), and what to say of it."""
    if not (found := re.search(f"[\udc80-\udcff{_CONTROL}]", text)):
        return None
    line = text.count("\n", 0, found.start()) + 1
    if found[0] == "\x00":
        return line, "U+0000 (a NUL) in the page: remove it"
    if found[0] < "\udc80" or found[0] > "\udcff":
        return line, f"U+{ord(found[0]):04X} (a control character) in the page: remove it"
    return line, f"not UTF-8 (byte {ord(found[0]) - 0xDC00:#04x}), which the site reads pages as"


@dataclass
class Unreadable(Block):
    line: int
    message: str

    def evaluate(self, run: PageRun) -> Failure:
        return Failure(f"{run.page}:{self.line}: {self.message}")


def _evaluator(block: Block) -> Callable[[Example], str | None]:
    def evaluator(example: Example) -> str | None:
        run: PageRun = example.namespace["page_run"]
        failure = _evaluate(block, run, example.line)
        run.record.outcomes[example.line] = failure.outcome if failure else Outcome.PASSED
        return failure.message if failure else None

    return evaluator


def _evaluate(block: Block, run: PageRun, line: int) -> Failure | None:
    if run.record.failed_at is not None and not block.independent:
        message = f"not run: the block at line {run.record.failed_at} failed first"
        return Failure(message, Outcome.NOT_RUN)
    run.record.at = line
    try:
        failure = block.evaluate(run)
    except unittest.SkipTest:  # a skip is never a failure
        raise
    except Exception:
        if not block.independent:
            run.record.failed_at = line
        raise
    # With versions other than the recorded ones, a block that only shows other output
    # did its work: the blocks after it run, and show their own differences.
    if failure and failure.outcome is Outcome.DIFFERS and run.other_versions:
        run.record.other_output_at.append(line)
        if combination := run.known_differences.get(line):
            pytest.xfail(f"{DIFFERS}, as the versions record holds for {combination}")
    elif failure and not block.independent:
        run.record.failed_at = line
    return failure
