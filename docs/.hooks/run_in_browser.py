"""The "Run in your browser" control on the pages mkdocs.yml's `extra.run_in_browser` lists:
each page's steps (in_browser.steps) ride along as JSON, each code block is marked with its
line on the page, and the runtime (in_browser.runtime: pinned, hash-checked, cached) goes
into the site's browser/ folder."""

from __future__ import annotations

import json
import os
import re
from html import escape
from pathlib import Path

from mkdocs.exceptions import PluginError

from in_browser import runtime
from in_browser.steps import page_steps, tally

BLOCK = re.compile(r'<div class="highlight">')
TALLY = "<!-- run-in-browser-tally -->"  # where a page wants the table of what runs where


def on_page_markdown(markdown: str, page, config, files) -> str:
    """The tally, counted from the pages as the worker counts (in_browser.steps.tally)."""
    if TALLY not in markdown:
        return markdown
    docs = Path(config["docs_dir"])
    rows = [
        "| Page | `$` lines run in the browser | `$` lines left to the terminal "
        "| File and Python blocks run in the browser |",
        "| --- | ---: | ---: | ---: |",
    ]
    for uri in config["extra"].get("run_in_browser", {}):
        counts = tally(page_steps(docs / uri, docs.parent / "examples"))
        title = (docs / uri).read_text().splitlines()[0].removeprefix("# ")
        link = os.path.relpath(uri, os.path.dirname(page.file.src_uri))
        rows.append(f"| [{title}]({link}) | {counts['runs']} | {counts['terminal']} "
                    f"| {counts['blocks']} |")  # fmt: skip
    return markdown.replace(TALLY, "\n".join(rows))


def on_page_content(html: str, page, config, files) -> str:
    pages = config["extra"].get("run_in_browser", {})  # page -> its project
    if page.file.src_uri not in pages:
        return html
    source = Path(page.file.abs_src_path)
    steps = page_steps(source, Path(config["docs_dir"]).parent / "examples")
    lines = [step["line"] for step in steps if "line" in step]
    found = len(BLOCK.findall(html))
    if found != len(lines):  # each result must go under its own block
        raise ValueError(f"{page.file.src_uri}: {found} code blocks rendered, {len(lines)} lexed")
    marked = iter(lines)
    html = BLOCK.sub(lambda _: f'<div class="highlight" data-line="{next(marked)}">', html)
    project, order = pages[page.file.src_uri], list(pages).index(page.file.src_uri)
    script = {"project": project, "order": order, "steps": steps}
    # Not a <script>: instant navigation runs those again, JSON or not.
    data = escape(json.dumps(script), quote=True)
    return f'{html}\n<div id="in-browser-steps" hidden data-page="{data}"></div>\n'


def on_post_build(config) -> None:
    try:
        runtime.assemble(Path(config["site_dir"]) / "browser")
    except runtime.PinError as error:  # one line, not a traceback
        raise PluginError(f"Run in your browser: {error}") from None
