"""A page's blocks as the browser's worker runs them: read by the suite's own lexer
(docs_runner.blocks), one step per fence in page order, so the control can put each
result under the block it belongs to.

  console       `$` lines with the output the page shows for each
  file          a file block: the examples/ file it includes, written into the project
  python        a python block, and the "Output" block after it
  project       `<!-- project: NAME -->`: the examples folder's NAME/, unless the reader's
                project is there already
  shown         a fence the browser leaves alone, with why: an output already paired, a
                norun block, a block for other versions than the browser's
A step whose fence follows `<!-- browser: why -->` carries `differs`: the page says the
browser prints otherwise there, and why.
"""

from __future__ import annotations

from pathlib import Path

from sybil import Document

from docs_runner import blocks, grammar
from docs_runner.blocks.console import Console
from docs_runner.blocks.directives import ForVersions, OptOut, Project, Timed
from docs_runner.blocks.files import File
from docs_runner.blocks.python import Output, Python
from in_browser.runtime import PINS

# What the browser runs: the wheels pins.toml names.
VERSIONS = {
    name: pin["file"].split("-")[1] for name, pin in PINS["wheels"].items()
}  # e.g. alembic -> 1.20.1
LIBRARIES = {"Alembic": "alembic", "SQLAlchemy": "sqlalchemy"}


def page_steps(page: Path, examples: Path) -> list[dict]:
    """The steps of `page`, in order; a fence's step carries its line on the page."""
    text = page.read_text()
    notes = {  # where a `<!-- browser: why -->` ends -> why
        match.end(): match["argument"]
        for match in grammar.DIRECTIVE.finditer(text)
        if match["name"] == "browser"
    }
    steps: list[dict] = []
    for region, block in blocks.lex(Document(text, str(page))):
        if isinstance(block, Timed):
            block = block.block
        step = _step(block, examples)
        if step is None:
            continue
        note = [why for end, why in notes.items() if not text[end : region.start].strip()]
        if note:
            step["differs"] = note[0]
        if steps and step["kind"] == "output" and steps[-1]["kind"] == "python":
            steps[-1]["expected"] = step.pop("expected")
            step = {"kind": "shown", "line": step["line"], "why": "output"}
        steps.append(step)
    return steps


def _step(block: blocks.Block, examples: Path) -> dict | None:
    if isinstance(block, Project):
        files = {
            str(path.relative_to(examples / block.name)): path.read_text()
            for path in sorted((examples / block.name).rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        }
        return {"kind": "project", "files": files}
    fence = getattr(block, "fence", None)
    if fence is None:
        return None  # a check, the page's own end: the suite's business
    line = fence.line
    if isinstance(block, ForVersions):
        names = {name: LIBRARIES.get(name, name).lower() for name in block.names}
        used = {name: VERSIONS[n] for name, n in names.items() if n in VERSIONS}
        if not block.matches(used):
            return {"kind": "shown", "line": line, "why": f"for {block.requirement}"}
        block = block.block
    if isinstance(block, OptOut):
        return {"kind": "shown", "line": line, "why": block.reason}
    if isinstance(block, Console):
        commands = [{"line": c.line, "expected": c.expected, "status": c.status}
                    for c in block.commands]  # fmt: skip
        return {"kind": "console", "line": line, "commands": commands}
    if isinstance(block, File) and block.snippet:
        return {"kind": "file", "line": line, "path": block.path,
                "content": (examples / block.snippet).read_text()}  # fmt: skip
    if isinstance(block, Python):
        return {"kind": "python", "line": line, "source": fence.source, "expected": None}
    if isinstance(block, Output):
        return {"kind": "output", "line": line, "expected": fence.source}
    return {"kind": "shown", "line": line, "why": "not run by the runner"}


def tally(steps: list[dict]) -> dict[str, int]:
    """A page's `$` lines the browser runs and those it leaves to the terminal, and its
    file and Python blocks (which all run)."""
    from in_browser.runner import alembic_argv

    lines = [c["line"] for step in steps for c in step.get("commands", [])]
    runs = sum(alembic_argv(line) is not None for line in lines)
    blocks = sum(step["kind"] in ("file", "python") for step in steps)
    return {"runs": runs, "terminal": len(lines) - runs, "blocks": blocks}
