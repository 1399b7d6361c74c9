"""Under each page's provenance line, what the version matrix found for it on the other
combinations it ran on (docs/versions.json, written by `nox -s matrix`), the two folded
under a one-line summary."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from docs_runner.provenance import joined

RECORD = "versions.json"  # in docs/
LINE = re.compile(r"^Outputs recorded on .*$", re.MULTILINE)
PARAGRAPH = re.compile(r"<p>(Outputs recorded on [^<]*)(?:.*?)</p>", re.DOTALL)


def on_page_markdown(markdown: str, page, config, files) -> str:
    path = Path(config["docs_dir"]) / RECORD
    match = LINE.search(markdown)
    if match is None or not path.is_file():
        return markdown
    record = json.loads(path.read_text())
    source = page.file.content_string.splitlines()  # as written: line numbers hold
    found = fared(record, f"docs/{page.file.src_uri}", source)
    if not found:
        return markdown
    link = os.path.relpath(RECORD.replace(".json", ".md"), os.path.dirname(page.file.src_uri))
    said = f"{found} [All versions]({link}), recorded {record['date']}."
    return markdown[: match.end()] + " " + said + markdown[match.end() :]


def on_page_content(html: str, page, config, files) -> str:
    """The provenance paragraph (a notebook's first cell's too) folded under a one-line
    summary: the first screen is the page's own, on a phone too, and search skips it."""
    return PARAGRAPH.sub(lambda match: folded(match[0], match[1]), html, count=1)


def folded(paragraph: str, line: str) -> str:
    """`paragraph` in a closed <details>, summed up by the date and PostgreSQL version its
    provenance `line` names."""
    date = re.search(r"\d{4}-\d\d-\d\d", line)
    postgres = re.search(r"PostgreSQL (\d[\d.]*\d)", line)
    summary = f"Recorded {date[0]}" + (f", PostgreSQL {postgres[1]}" if postgres else "")
    return (
        f'<details class="provenance" data-search-exclude>\n'
        f"<summary>{summary}</summary>\n{paragraph}\n</details>"
    )


def fared(record: dict, page: str, source: list[str]) -> str:
    """What a page says: "Also holds with X and Y. With Z, `$ psql ...` shows other output."
    Combinations with the same differences are named together."""
    holds: list[str] = []
    differ: dict[tuple, list[str]] = {}
    fail: list[str] = []
    for combination in record["combinations"].values():
        result, label = combination["pages"].get(page), combination.get("label")
        if result is None or label is None:  # the pinned versions: the line says so
            continue
        if result["outcome"] == "holds":
            holds.append(label)
        elif result["outcome"] == "differs":
            differ.setdefault(tuple(result["lines"]), []).append(label)
        else:
            fail.append(label)
    said = [f"Also holds with {joined(holds)}."] if holds else []
    for lines, labels in differ.items():
        blocks = (
            _block(source, lines[0]) + " shows" if len(lines) == 1 else f"{len(lines)} blocks show"
        )
        said.append(f"With {joined(labels)}, {blocks} other output.")
    if fail:
        said.append(f"With {joined(fail)}, a block fails.")
    return " ".join(said)


def _block(source: list[str], line: int | str) -> str:
    """A block as a reader finds it: by the section it is in (a notebook's: its cell)."""
    if isinstance(line, str) or line >= len(source):
        return f"cell {line}"
    heading, fenced = None, False
    for text in source[:line]:
        if text.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and (found := re.match(r"#{1,6} (.+)", text)):
            heading = found[1].strip()
    return f"the block under “{heading}”" if heading else "a block"
