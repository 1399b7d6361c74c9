"""What the browser tests share: Debian's Chromium, and the site served over http (as GitHub
Pages serves a project, too)."""

import contextlib
import io
import os
import shutil
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# No background traffic: this machine (like CI) has no network but the package registries.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class ProjectPages(QuietHandler):
    """GitHub Pages for a project: the site under /<repository>/, and its 404.html, with
    status 404, for any path that is not a file of the site."""

    prefix = "/alembic-tutorial/"

    def send_head(self):
        path = self.path.split("?")[0]
        if path.startswith(self.prefix):
            self.path = "/" + self.path[len(self.prefix) :]
            local = Path(self.translate_path(self.path))
            if local.is_file() or (local / "index.html").is_file():
                return super().send_head()
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def chromium(*args: str) -> Iterator:
    """Debian's Chromium, with no background traffic and `args`."""
    if CHROMIUM is None:
        message = "Chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it (.ci/run): never skip there
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args])
        yield browser
        browser.close()
