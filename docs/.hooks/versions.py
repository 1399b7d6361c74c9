"""Under each page's provenance line, what the version matrix found for it on the other
combinations it ran on (docs/versions.json, written by `nox -s matrix`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from docs_runner.provenance import joined

RECORD = "versions.json"  # in docs/
LINE = re.compile(r"^Outputs recorded on .*$", re.MULTILINE)


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
    """A block as a reader finds it: its first line (a notebook's: its cell number)."""
    if isinstance(line, str) or line >= len(source):
        return str(line)
    return f"`{source[line].strip()[:60]}`"
