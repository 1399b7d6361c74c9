"""While `nox -s watch` runs beside `mkdocs serve`, a page failing its verification says
so at its top (what failed first; the terminal running watch has the diff).

watch writes docs/.verification-status.json after each check; serve rebuilds when it
changes (it watches docs/). A status whose watcher has stopped is ignored, and so is the
file in every command but `serve`: a built site never carries it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATUS = ".verification-status.json"  # in docs/, where docs_runner.watch writes it
_serving = False


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def failing(docs: Path) -> dict[str, str]:
    """Failing pages (relative to docs/) and why, if a watcher is running."""
    if not _serving:
        return {}
    try:
        status = json.loads((docs / STATUS).read_text())
        os.kill(status["pid"], 0)  # is that watcher still running?
    except (OSError, ValueError, KeyError):
        return {}
    return status["failing"]


def on_page_markdown(markdown: str, page, config, files) -> str:
    problem = failing(Path(config["docs_dir"])).get(page.file.src_uri)
    if problem is None:
        return markdown
    said = problem.replace("\n", " ")
    return (
        f'!!! failure "This page fails its verification"\n\n'
        f"    {said}\n\n    The terminal running `nox -s watch` shows the diff.\n\n"
    ) + markdown
