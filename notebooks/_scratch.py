"""A scratch project for the notebooks run from the repository (`nox -s lab`, the tests):
their first cell imports this file, which sits beside them (a kernel starts in its
notebook's folder), and calls `fresh_project()`. Downloaded, a notebook has no such file:
it makes a temporary directory itself and uses DATABASE_URL's database as it is. So that
they can be re-run from the top, any number of times, on a new directory and a new
database.

`DATABASE_URL` (set by `nox -s lab` or by the tests) names the server; each run gets a
fresh database on it and the previous run's is dropped. Without it, the server
`THROWAWAY_PG_URL` names, else a throwaway one for the kernel's lifetime.

Not published with the site (mkdocs.yml's exclude_docs); needs throwaway_pg (`pip install
-e .`): without it, the import fails as if this file were not here, and the notebook runs
as downloaded.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from throwaway_pg.server import Server, open_server

# docs_runner.notebooks masks the random part after it (`notebook-`) in outputs
PROJECT_PREFIX = "alembic-notebook-"

_server: Server | None = None
_previous: tuple[Path, str] | None = None  # the last run's project and database
_start = Path.cwd()  # the notebook's folder: where the kernel started


def fresh_project() -> Path:
    """Make and enter a new project directory; point DATABASE_URL at a new database."""
    global _server, _previous
    if _server is None:
        _server = open_server(os.environ.get("DATABASE_URL"), "DATABASE_URL")
        atexit.register(_close)
    _drop_previous()
    url = _server.create_database()
    project = Path(tempfile.mkdtemp(prefix=PROJECT_PREFIX))
    _previous = (project, url)
    os.environ["DATABASE_URL"] = url
    os.chdir(project)
    return project


def _drop_previous() -> None:
    global _previous
    if _previous and _server:
        project, url = _previous
        os.chdir(_start)
        shutil.rmtree(project, ignore_errors=True)
        _server.drop_database(url)
    _previous = None


def _close() -> None:
    _drop_previous()
    if _server:
        _server.close()
