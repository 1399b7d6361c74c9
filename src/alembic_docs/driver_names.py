"""How psycopg 3 words an error that a page shows as psycopg2 words it: the module in the
error's name (`psycopg.errors.LockNotAvailable` for `psycopg2.errors.LockNotAvailable`), and
the newline psycopg2 ends every message with (a blank line before what follows it). A run
with psycopg 3 reads them as psycopg2 words them, in blocks that show psycopg2's words,
under the rule `driver`; with the page's own driver nothing is mapped, so a changed name on
a page fails. Anything else a driver says differently stays a difference."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docs_runner import provenance
from docs_runner.normalise import ShownOnly
from docs_runner.run import PageRun
from throwaway_pg import driver

MODULE = re.compile(r"\bpsycopg(?=\.[A-Za-z])")  # psycopg.errors, not site-packages/psycopg/
ERROR = re.compile(r"\bpsycopg\.(?:errors\.)?[A-Z]\w*(?::|\))")  # an error's name, then its message
MESSAGE_END = re.compile(r"\s*$|\[SQL:")  # what follows a message in SQLAlchemy's errors


@dataclass
class DriverNames(ShownOnly):
    shows_psycopg2: bool = False  # the block being compared
    in_message: bool = False

    rule = "driver"

    def learn(self, actual: str, expected: str) -> None:
        self.shows_psycopg2 = "psycopg2." in expected
        self.in_message = False

    def to_shown(self, text: str) -> str:
        if not self.shows_psycopg2:
            return text
        blank = ""
        if self.in_message and MESSAGE_END.match(text):
            blank, self.in_message = "\n", False
        if ERROR.search(text):
            self.in_message = True
        return blank + MODULE.sub("psycopg2", text)


def pytest_docs_produced_values(run: PageRun) -> DriverNames | None:
    recorded = provenance.recorded(run.text) or {}
    if "psycopg2" in recorded and driver.NAME == "psycopg":
        return DriverNames()
    return None
