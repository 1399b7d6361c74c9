"""What the site renders of a page: its code blocks, as MkDocs turns the Markdown into HTML
with the site's own extensions. The runner must have accounted for each of them, so an
indented code block, or any block the lexer missed, fails instead of escaping the tests.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import os
from pathlib import Path

import markdown

from docs_runner import grammar


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


class IncludeError(ValueError):
    """A file the page includes that the site cannot be rendered with: one line."""


def code_blocks(root: Path, text: str) -> list[str]:
    """The code blocks the site shows for a page's Markdown, in order. Raises IncludeError
    for an include that leads out of its folder or is no small regular file in UTF-8:
    rendering follows any link (snippets takes /dev/zero, a file only root may read, a
    FIFO it waits on for ever)."""
    extensions, configs = _markdown_settings(root)
    with contextlib.chdir(root):  # snippets' base_path is relative to the working directory
        rendered = markdown.Markdown(extensions=extensions, extension_configs=configs)
        if "snippet" in rendered.preprocessors:
            _guard(rendered.preprocessors["snippet"])
        page = rendered.convert(text)
    parser = _CodeBlocks()
    parser.feed(page)
    return [block.rstrip("\n") for block in parser.blocks]


def _guard(snippets) -> None:  # noqa: ANN001 - pymdownx.snippets' preprocessor
    """Check each file snippets finds before it reads it (its own check follows links)."""
    find = snippets.get_snippet_path
    bases = [os.path.realpath(base) for base in snippets.base_path]

    def checked(path: str) -> str | None:
        if (found := find(path)) is None:
            return None
        if not any(grammar.inside(Path(found), Path(base)) for base in bases):
            raise IncludeError(f'--8<-- "{path}": {grammar.OUTSIDE}')
        try:
            grammar.included_text(Path(found))
        except ValueError as error:
            raise IncludeError(f'--8<-- "{path}": {error}') from None
        return found

    snippets.get_snippet_path = checked
