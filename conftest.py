# The harness (pytest11 entry point) collects docs/ pages as tests; this registers the
# database checks the pages call by name.
from collections.abc import Iterator

import pytest

from throwaway_pg.server import Server

pytest_plugins = ["pytester", "tests.page_checks"]


@pytest.fixture
def reporting_url(postgres_server: Server) -> Iterator[str]:
    """A second fresh database, for multidb.md's project (its REPORTING_DATABASE_URL)."""
    with postgres_server.database() as url:
        yield url
