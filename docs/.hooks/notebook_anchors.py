"""Notebook headings get the permalinks Markdown pages have.

nbconvert ends each notebook heading with `<a class="anchor-link">¶</a>`; the search
index keeps that "¶" in the heading's title ("Clean up¶"), and the theme does not style
it. Material's own permalinks are `<a class="headerlink">`, which search leaves out: the
notebook pages' anchors become those.
"""

from __future__ import annotations

import re

from mkdocs.structure.pages import Page

ANCHOR = re.compile(r'<a class="anchor-link" href="(#[^"]*)">¶</a>')


def on_page_content(html: str, page: Page, **kwargs: object) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    return ANCHOR.sub(r'<a class="headerlink" href="\1" title="Permanent link">&para;</a>', html)
