"""What every block kind shares: its fence, and the interface the registry calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from docs_runner.grammar import Fence
from docs_runner.outcome import Failure

if TYPE_CHECKING:
    from docs_runner.run import PageRun


class Block:
    """A kind of block: which fences it claims, and how it runs one."""

    # An independent block runs even after a failure and never stops the later blocks;
    # any other depends on the effects of those before it.
    independent: ClassVar[bool] = False
    # What the end-of-run summary counts a passed one as ("block", "check"), if anything.
    summary: ClassVar[str | None] = None
    # The line classes it gives what it shows, each with its column in the coverage table.
    columns: ClassVar[dict[str, str]] = {}
    # Whether the version matrix counts its failure against the page.
    in_matrix: ClassVar[bool] = True

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return False

    @classmethod
    def from_fence(cls, fence: Fence) -> Block:
        raise NotImplementedError

    def evaluate(self, run: PageRun) -> Failure | None:
        """Run the block; how it failed, or None."""
        raise NotImplementedError


@dataclass
class Unclassified(Block):
    fence: Fence

    def evaluate(self, run: PageRun) -> Failure | None:
        what = self.fence.language or "plain"
        return Failure(
            f"{run.page}:{self.fence.line}: a `{what}` block is not executed: "
            "opt it out with <!-- norun: reason --> before it"
        )
