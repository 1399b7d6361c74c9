"""What the site renders of a page: its code blocks, as MkDocs turns the Markdown into HTML
with the site's own extensions. The runner must have accounted for each of them, so an
indented code block, or any block the lexer missed, fails instead of escaping the tests.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
from pathlib import Path

import markdown


class _CodeBlocks(html.parser.HTMLParser):
    """The text of every <pre> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._depth += 1
            if self._depth == 1:
                self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.blocks[-1] += data


@functools.cache
def _markdown_settings(root: Path) -> tuple[list, dict]:
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"))
    return config["markdown_extensions"], config["mdx_configs"]


def code_blocks(root: Path, text: str) -> list[str]:
    """The code blocks the site shows for a page's Markdown, in order."""
    extensions, configs = _markdown_settings(root)
    with contextlib.chdir(root):  # snippets' base_path is relative to the working directory
        rendered = markdown.Markdown(extensions=extensions, extension_configs=configs)
        page = rendered.convert(text)
    parser = _CodeBlocks()
    parser.feed(page)
    return [block.rstrip("\n") for block in parser.blocks]
