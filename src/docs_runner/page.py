"""The Sybil glue: a page's blocks as Sybil regions, each evaluated against the page's run.

A block that depends on the ones before it is not run once one of those failed; with
versions other than the recorded ones, a block that only shows other output did its work
and the blocks after it still run.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sybil import Document, Example, Region

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
        start = sum(len(line) for line in document.text.splitlines(True)[: error.line - 1])
        pairs = [(Region(start, start), Unreadable(error.line, error.message))]
    return [Region(region.start, region.end, block, _evaluator(block)) for region, block in pairs]


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
