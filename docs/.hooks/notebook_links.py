"""The notebooks offered for download link to the published site.

A notebook's links are relative to its page (`../../guides/data-migration/`): on the site
they work, and tests/site/test_site.py checks them offline, but in a downloaded notebook they
lead nowhere. The copy the site offers for download gets them absolute, from `site_url`
(SITE_URL, which the Pages workflow sets to the site's address). Without a site_url, as
in local builds, nothing is known to point at: the links stay as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
from mkdocs.config.defaults import MkDocsConfig

# An inline Markdown link's target: [text](target), as the notebooks write them.
LINK = re.compile(r"(?<=\]\()(?P<target>[^)\s]+)(?=\))")


def absolute(markdown: str, page_url: str) -> str:
    """The Markdown with each relative link made absolute from the page's URL."""

    def resolve(match: re.Match[str]) -> str:
        target = match["target"]
        if urlsplit(target).scheme or target.startswith(("#", "/")):
            return target  # already absolute, or an anchor in the notebook itself
        return urljoin(page_url, target)

    return LINK.sub(resolve, markdown)


def on_post_build(config: MkDocsConfig) -> None:
    if not config.site_url:
        return
    site = Path(config.site_dir)
    for download in sorted(site.rglob("*.ipynb")):  # beside its page, as mkdocs-jupyter puts it
        page_url = urljoin(config.site_url, f"{download.parent.relative_to(site).as_posix()}/")
        notebook = nbformat.read(download, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source = absolute(cell.source, page_url)
        nbformat.write(notebook, download)
