"""The page grammar, in one place: what a page may hold that the runner reads.

The blocks (docs_runner.blocks), watch mode and the mutation tool read pages through these
names, never their own copies:
  fences         ```console, ```python, ```text title="Output", ```python title="path"
                 holding `--8<-- "dir/file"` (the include a file block shows)
  console        `$ command` lines, a trailing `  # fails (exit status N)` on a failing one
  directives     <!-- project: NAME -->, <!-- database: VARIABLE -->, <!-- check: NAME -->,
                 and two that mark the fence right after them: <!-- norun: REASON -->,
                 <!-- versions: NAME<SPEC -->
  generated      a `--8<-- "file"` outside any fence (only files a generator writes)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A fence's opening line, for tools that read a page line by line.
FENCE_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<language>[\w+-]*)[ \t]*(?P<info>.*)$"
)
FENCE_INFO = re.compile(r"(?P<language>[\w+-]*)[ \t]*(?P<attributes>[^\n]*)$\n", re.MULTILINE)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
PROMPT = "$ "
FAILS = re.compile(r"\s+# fails \(exit status (?P<status>\d+)\)$")
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$')  # a fence's whole content
SNIPPET_LINE = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"', re.MULTILINE)  # anywhere
# Directives standing alone, and those that mark the next fence.
STANDALONE = ("project", "database", "check")
MARKERS = ("norun", "versions")
DIRECTIVE = re.compile(
    rf"<!--\s*(?P<name>{'|'.join(STANDALONE + MARKERS)}):\s*(?P<argument>.*?)\s*-->"
)


@dataclass
class Fence:
    """Where a fenced block is and what it holds, for messages and rewriting."""

    language: str
    attributes: dict[str, str]
    source: str
    line: int  # of the opening fence, 1-based
    start: int = 0  # offsets of the whole fence in the page's text
    end: int = 0


def directives(text: str, name: str) -> list[str]:
    """The arguments of every <!-- name: argument --> in `text`, in order."""
    return [m["argument"] for m in DIRECTIVE.finditer(text) if m["name"] == name]


def included(text: str) -> set[str]:
    """The files under examples/ a page shows (`--8<--`), wherever they stand."""
    return {m["path"] for m in SNIPPET_LINE.finditer(text)}
