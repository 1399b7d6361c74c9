"""Database checks pages run by name with <!-- check: name -->: effects, not exit codes.

A site registers its own (this one in tests/page_checks.py) with the `check` decorator; each
takes the page's run (its database URL, its project, its terminal's state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docs_runner.run import PageRun

CHECKS: dict[str, Callable[[PageRun], None]] = {}


def check(name: str):
    """Register a database check that pages run with <!-- check: name -->."""

    def register(function: Callable[[PageRun], None]) -> Callable[[PageRun], None]:
        CHECKS[name] = function
        return function

    return register
