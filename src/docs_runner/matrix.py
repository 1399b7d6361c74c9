"""What one run found, page by page, for the version matrix.

`--docs-results PATH` writes it: `holds` (every block shows what ran), `differs` (the
blocks at these lines show other output) or `fails` (a block failed otherwise), with the
run's versions. `nox -s matrix` runs every combination and gathers the results in a record
(docs/versions.json here). A run on a combination the record holds (the `docs_versions_record`
setting) fares as recorded: a block it lists as showing other output is an expected failure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from docs_runner.outcome import Outcome

LINE = re.compile(r"line:(\d+)")


class Results:
    """What this run found, page by page, from the test reports (so it works under xdist)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.versions: dict[str, str] = {}
        self.pages: dict[str, dict] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        self.versions = properties.get("versions", self.versions)
        kind = properties.get("docs_block")
        page = properties.get("coverage_of") or (report.nodeid.split("::")[0] if kind else None)
        if page is None or (report.when != "call" and not report.failed):
            return
        result = self.pages.setdefault(page, {"outcome": "holds", "lines": []})
        expected = hasattr(report, "wasxfail")  # a difference the record already holds
        outcome = Outcome.DIFFERS.value if expected else properties.get("docs_outcome")
        # Not counted: passes, blocks the matrix does not count (the provenance line), and
        # blocks not run because an earlier one failed (that one is counted).
        failed = expected or report.failed
        counted = properties.get("docs_in_matrix", True)
        if not failed or not counted or outcome == Outcome.NOT_RUN.value:
            return
        if "notebook_outcome" in properties:  # the notebook test says how it fared
            result.update(properties["notebook_outcome"])
            return
        if outcome == Outcome.DIFFERS.value and (line := LINE.search(report.nodeid)):
            result["lines"].append(int(line[1]))
        else:
            result["outcome"] = "fails"
        if result["outcome"] == "holds":
            result["outcome"] = "differs"

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        pages = dict(sorted(self.pages.items()))
        results = {"versions": self.versions, "pages": pages}
        self.path.write_text(json.dumps(results, indent=1) + "\n")


def recorded_versions(record: Path) -> list[dict[str, str]]:
    """The versions of each combination the record holds (none without a record)."""
    if not record.is_file():
        return []
    return [c["versions"] for c in json.loads(record.read_text())["combinations"].values()]


def known_differences(record: Path | None, page: str, versions: dict[str, str]) -> dict[int, str]:
    """The blocks of `page` (by line) that the record says show other output on exactly
    these versions, each with the combination's name; none on versions it does not hold."""
    if record is None or not record.is_file():
        return {}
    for name, combination in json.loads(record.read_text())["combinations"].items():
        if combination["versions"] == versions:
            fared = combination["pages"].get(page, {})
            return dict.fromkeys(fared.get("lines", []), name) if fared else {}
    return {}
