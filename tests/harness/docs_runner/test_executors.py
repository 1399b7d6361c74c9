"""The in-process executor (watch, update) prints what the terminal executor (the suite, a
reader) prints: the suite runs every page on the terminal; here a few pages, a different few
each day, run in-process too, and must pass as they are."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site_tree import nav_pages

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = 3


def todays_sample() -> list[str]:
    pages = [page for page in nav_pages() if page.endswith(".md")]
    start = datetime.date.today().toordinal() * SAMPLE % len(pages)
    return [pages[(start + i) % len(pages)] for i in range(SAMPLE)]


@pytest.mark.parametrize("page", todays_sample())
def test_a_page_passes_in_process_as_on_the_terminal(page: str, postgres_server) -> None:
    command = [sys.executable, "-m", "pytest", f"docs/{page}", "-q", "-p", "no:cacheprovider"]
    options = ["-o", "addopts=", "--docs-executor=in-process"]
    env = {**os.environ, "THROWAWAY_PG_URL": postgres_server.admin_url}
    result = subprocess.run(
        [*command, *options], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]
