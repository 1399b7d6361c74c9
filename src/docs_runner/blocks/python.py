"""` ```python ` blocks run in the page's namespace; ` ```text title="Output" ` after one
shows what it printed, on stdout and stderr (Alembic's log lines), as a terminal shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from docs_runner.blocks.base import Block
from docs_runner.executors.base import InterpreterEnded
from docs_runner.grammar import Fence, PageError
from docs_runner.normalise import COMPARED
from docs_runner.outcome import Failure
from docs_runner.shell import LineError

if TYPE_CHECKING:
    from docs_runner.run import PageRun


@dataclass
class Python(Block):
    fence: Fence
    summary = "block"
    columns = {"run": "run"}

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return fence.language in ("python", "py")

    @classmethod
    def from_fence(cls, fence: Fence) -> Python:
        if not fence.source.strip():
            raise PageError(fence.line, "this python block is empty: it runs nothing")
        return cls(fence)

    def evaluate(self, run: PageRun) -> Failure | None:
        if unshown := unshown_output(run):
            return Failure(unshown)
        # Leading newlines make tracebacks point at the page's own line numbers.
        source = "\n" * self.fence.line + self.fence.source
        ended = None
        try:
            output, raised = run.executor.python(source, str(run.page))
        except InterpreterEnded as error:  # it ran, and ended the interpreter: failed
            ended, output, raised = error, error.output, False
        except LineError as error:
            return Failure(f"{run.page}:{self.fence.line}: {error}")
        run.record.last_output, run.record.last_python = output, self.fence.line
        run.record.shown(self.fence.source, ["run"] * len(self.fence.source.splitlines()))
        if ended is not None:
            return Failure(f"{run.page}:{self.fence.line}: {ended}")
        if raised:
            return Failure(f"{run.page}:{self.fence.line}: the python block raised:\n{output}")
        return None


def unshown_output(run: PageRun) -> str | None:
    """What the last python block printed, if no "Output" block showed it: a reader who
    runs it sees it (`print("ERROR: ...")` passed unshown)."""
    printed, run.record.last_output = run.record.last_output, None
    if not printed or not printed.strip():
        return None
    first = printed.strip().splitlines()[0]  # repr escapes what would break the line
    return (
        f"{run.page}:{run.record.last_python}: the python block printed what the page does "
        f'not show (starting {first!r}): show it in a ```text title="Output" block after it'
    )


@dataclass
class Output(Block):
    fence: Fence
    summary = "block"
    columns = COMPARED

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return fence.attributes.get("title") == "Output"

    @classmethod
    def from_fence(cls, fence: Fence) -> Output:
        return cls(fence)

    def evaluate(self, run: PageRun) -> Failure | None:
        if run.record.last_output is None:
            where = f"{run.page}:{self.fence.line}"
            return Failure(f'{where}: an "Output" block must follow a python block')
        printed, run.record.last_output = run.record.last_output, None
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
