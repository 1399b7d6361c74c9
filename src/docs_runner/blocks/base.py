"""What every block kind shares: its fence, and the interface the registry calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from docs_runner.page import PageRun


@dataclass
class Fence:
    """Where a fenced block is and what it holds, for messages and rewriting."""

    language: str
    attributes: dict[str, str]
    source: str
    line: int  # of the opening fence, 1-based
    start: int = 0  # offsets of the whole fence in the page's text
    end: int = 0


class Block:
    """A kind of block: which fences it claims, and how it runs one."""

    # An independent block runs even after a failure and never stops the later blocks;
    # any other depends on the effects of those before it.
    independent: ClassVar[bool] = False

    @classmethod
    def claims(cls, fence: Fence) -> bool:
        return False

    @classmethod
    def from_fence(cls, fence: Fence) -> Block:
        raise NotImplementedError

    def evaluate(self, run: PageRun) -> str | None:
        """Run the block; a failure message, or None."""
        raise NotImplementedError


@dataclass
class Unclassified(Block):
    fence: Fence

    def evaluate(self, run: PageRun) -> str | None:
        what = self.fence.language or "plain"
        return (
            f"{run.page}:{self.fence.line}: a `{what}` block is not executed: "
            "opt it out with <!-- norun: reason --> before it"
        )
