"""What evaluating a block came to, as values, not strings to search: the evaluator returns a
`Failure` (or None), and the report carries its `Outcome` (docs_runner.pytest_plugin)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from throwaway_pg.visible import visible


class Outcome(enum.Enum):
    PASSED = "passed"
    DIFFERS = "differs"  # ran, and printed something else than the page shows
    FAILED = "failed"  # any other failure: an exit status, an exception, a page error
    NOT_RUN = "not run"  # a block before it failed, and it depends on that one


@dataclass(frozen=True)
class Failure:
    """What the report says of a block. Its message holds what a line printed: a control
    character in it is shown escaped (`\\x1b`), never sent to the terminal that shows the
    report, where it moved the cursor, erased lines or set the clipboard (OSC 52)."""

    message: str
    outcome: Outcome = Outcome.FAILED

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", visible(self.message))

    @classmethod
    def of(cls, failures: Iterable[Failure]) -> Failure | None:
        """Several failures of one block as one: it differs if any part only differs."""
        failures = list(failures)
        if not failures:
            return None
        kinds = {failure.outcome for failure in failures}
        outcome = Outcome.DIFFERS if Outcome.DIFFERS in kinds else Outcome.FAILED
        return cls("\n\n".join(failure.message for failure in failures), outcome)
