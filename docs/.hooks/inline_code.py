"""Code in running text wraps only at its spaces, and after a path's slashes.

Browsers also break it after a hyphen (`--` at the end of one line, `autogenerate` at the
start of the next), and Material's theme lets it break anywhere (`migrations/env` and `.py`).
Each piece becomes a span that does not wrap (docs/assets/phone.css), with a break allowed
between the pieces of a path, so a long one still fits a phone: what is copied and searched
is the same text.
"""

from __future__ import annotations

import re

from mkdocs.structure.pages import Page

# Not a block's: it follows <pre> (and the empty span Pygments puts first)
INLINE = re.compile(r"(?<!<pre>)(?<!<pre><span></span>)<code>([^<]*)</code>")
WORD = re.compile(r"\S+")
AFTER_SLASH = re.compile(r"(?<=/)(?=[^/])|(?<=::)(?=\w)")  # tests/site/x.py::test_name


def on_page_content(html: str, page: Page, **kwargs: object) -> str:
    return INLINE.sub(lambda code: f"<code>{WORD.sub(_word, code[1])}</code>", html)


def _word(word: re.Match[str]) -> str:
    pieces = AFTER_SLASH.split(word[0])
    return "<wbr>".join(f'<span class="word">{piece}</span>' for piece in pieces)
