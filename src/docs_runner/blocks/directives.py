"""HTML-comment directives: a starting project, a database check, an opt-out."""

from __future__ import annotations

import shutil
import unittest
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docs_runner.blocks.base import Block, Fence

if TYPE_CHECKING:
    from docs_runner.page import PageRun


@dataclass
class Project(Block):
    """`<!-- project: tutorial -->`: start from a copy of examples/tutorial/."""

    name: str

    def evaluate(self, run: PageRun) -> str | None:
        if run.reader:  # a reader's project is what the pages before built
            return run.reader.check_project(run, self.name)
        source = run.examples / self.name
        if not source.is_dir():
            return f"{run.page}: examples/{self.name}/ does not exist"
        shutil.copytree(source, run.project, dirs_exist_ok=True)
        return None


@dataclass
class Check(Block):
    """`<!-- check: name -->`: a named database check (effects, not exit codes)."""

    name: str

    def evaluate(self, run: PageRun) -> str | None:
        from docs_runner.page import CHECKS

        if self.name not in CHECKS:
            known = ", ".join(sorted(CHECKS))
            return f"{run.page}: no check named {self.name!r} (known: {known})"
        with run.files.not_reading():  # a check's own reads do not exercise shown files
            CHECKS[self.name](run)
        run.record.checks.append(self.name)
        return None


@dataclass
class OptOut(Block):
    """A fence after `<!-- norun: reason -->`: shown, not run; a skip with its reason."""

    fence: Fence
    reason: str
    independent = True

    def evaluate(self, run: PageRun) -> str | None:
        from docs_runner.blocks.files import SNIPPET

        shown = self.fence.source
        if snippet := SNIPPET.match(shown.strip()):  # the site shows the included file
            source = run.examples / snippet["path"]
            if not source.is_file():
                return f"{run.page}:{self.fence.line}: examples/{snippet['path']} does not exist"
            shown = source.read_text()
        run.record.opt_outs.append(self.reason)
        run.record.shown(shown, ["opted out"] * len(shown.splitlines()))
        raise unittest.SkipTest(f"not run: {self.reason}")
