"""The site's tests' shared fixtures."""

import functools
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from tests.site.served import ProjectPages
from tests.site_tree import build


@pytest.fixture(scope="module")
def project_pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built as the Pages workflow builds it for a project, and served so."""
    site = tmp_path_factory.mktemp("published")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(ProjectPages, directory=str(site))
    )
    address = f"http://127.0.0.1:{server.server_port}{ProjectPages.prefix}"
    result = build(site, site_url=address)
    assert result.returncode == 0, result.stderr
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield address
    server.shutdown()
