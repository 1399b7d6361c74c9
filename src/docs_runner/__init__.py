"""Runs every code block of a documentation site's pages as a reader would, and fails where
a page shows something else than what happened.

A pytest plugin (`docs_runner.pytest_plugin`, loaded by its entry point) collects the pages
under `docs_dir`. What a site or a profile uses:
  check          register a database check pages run with <!-- check: name -->
  PageRun        what a check is handed: the page's database URL, project, terminal state
  Executor       where blocks run; EXECUTORS names them (`docs_executor` picks one)
  Failure, Outcome   what evaluating a block came to
  ProducedValues what a profile maps between a run and its page (hookspecs: the hooks)
"""

from docs_runner.checks import check
from docs_runner.executors import EXECUTORS, Executor
from docs_runner.normalise import ProducedValues
from docs_runner.outcome import Failure, Outcome
from docs_runner.run import PageRun

__all__ = ["EXECUTORS", "Executor", "Failure", "Outcome", "PageRun", "ProducedValues", "check"]
