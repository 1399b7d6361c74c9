"""` ```python ` blocks run in the page's namespace; ` ```text title="Output" ` after one
shows what it printed, on stdout and stderr (Alembic's log lines), as a terminal shows it."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docs_runner import shell
from docs_runner.blocks.base import Block, Fence

if TYPE_CHECKING:
    from docs_runner.page import PageRun


@dataclass
class Python(Block):
    fence: Fence

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return fence.language in ("python", "py")

    @classmethod
    def from_fence(cls, fence: Fence) -> Python:
        return cls(fence)

    def evaluate(self, run: PageRun) -> str | None:
        # Leading newlines make tracebacks point at the page's own line numbers.
        source = "\n" * self.fence.line + self.fence.source
        if run.reader:
            run.last_stdout = run.reader.python(source, str(run.page), run.shell)
        else:
            out = io.StringIO()
            with (
                shell.environment(run.shell.env),
                contextlib.chdir(run.shell.cwd),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(out),  # a reader's terminal shows both
            ):
                exec(compile(source, str(run.page), "exec"), run.namespace)
            run.last_stdout = out.getvalue()
        run.record.shown(self.fence.source, ["run"] * len(self.fence.source.splitlines()))
        return None


@dataclass
class Output(Block):
    fence: Fence

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return fence.attributes.get("title") == "Output"

    @classmethod
    def from_fence(cls, fence: Fence) -> Output:
        return cls(fence)

    def evaluate(self, run: PageRun) -> str | None:
        if run.last_stdout is None:
            return f'{run.page}:{self.fence.line}: an "Output" block must follow a python block'
        printed, run.last_stdout = run.last_stdout, None
        failure, shown, classes = run.compare(
            printed, self.fence.source, self.fence.line, "the python block above"
        )
        run.record.note_elisions("the python block above", self.fence.source)
        if failure and run.update:
            run.rewrite_fence(self.fence, shown + "\n")
            run.record.shown(shown, classes)
            return None
        run.record.shown(self.fence.source, classes)
        return failure
