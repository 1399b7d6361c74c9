"""The page grammar, in one place: what a page may hold that the runner reads.

The blocks (docs_runner.blocks), watch mode and the mutation tool read pages through these
names, never their own copies:
  fences         ```console, ```python, ```text title="Output", ```python title="path"
                 holding `--8<-- "dir/file"` (the include a file block shows)
  console        `$ command` lines, each one whole command (a trailing backslash goes on
                 to the next line), a trailing `  # fails (exit status N)` on a failing one
  directives     <!-- project: NAME -->, <!-- database: VARIABLE -->, <!-- check: NAME -->,
                 and three that mark the fence right after them: <!-- norun: REASON -->,
                 <!-- versions: NAME<SPEC -->, <!-- timeout: SECONDS -->; any other comment
                 is prose, starting with a plain word no directive has, and hides no fence
  generated      a `--8<-- "file"` outside any fence (only files a generator writes), in
                 any spelling pymdownx.snippets reads (`-8<- 'file'`, a block of paths)
  tabs           `=== "Label"` content tabs: a versions marker in one makes its label
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

# A fence's opening line, for tools that read a page line by line (pymdownx.superfences
# takes `~~~` fences too, each closed only by its very own run of backticks or tildes).
FENCE_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<language>[\w+-]*)[ \t]*(?P<info>.*)$"
)
FENCE_INFO = re.compile(r"(?P<language>[\w+-]*)[ \t]*(?P<attributes>[^\n]*)$\n", re.MULTILINE)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
PROMPT = "$ "
SHELL_SPECIALS = set("|&;<>$`\\*?")  # a console line only bash can read, not an argv
FAILS = re.compile(r"\s+# fails \(exit status (?P<status>\d+)\)$")
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$')  # a fence's whole content
# Where pymdownx.snippets includes a file, anywhere (its RE_ALL_SNIPPETS): a run of dashes
# on each side of `8<`, then a quoted path (either quote) ending the line; or that marker
# alone, opening or closing a block whose lines are paths. A `;` before it escapes it.
SNIPPET_MARKER = re.compile(
    r"^[ \t]*(?P<escape>;*)(?:-+8<-+[ \t]+"
    r"""(?P<quoted>"(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?')(?![ \t])"""
    r"|(?P<block>-+8<-+)(?![ \t]))\r?$"
)
# What a block may not hold, the runner reading it otherwise than the site shows it: line
# breaks only Python's str.splitlines sees (the site breaks lines at \n alone), and NUL,
# which no command line can hold.
UNSHOWABLE = re.compile("[\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# What a path a page names in examples/ (a project, an include) must not do: lead out of it.
OUTSIDE = "not in the examples folder (a path in it, without .., a leading / or a link out)"


INCLUDE_LIMIT = 4 << 20  # bytes of an included file: examples are small; /dev/zero is endless


def regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, never waiting on a FIFO (git
    keeps links: one to /dev/zero is endless). Raises ValueError saying why not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise ValueError(f"cannot read it: {error.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        with os.fdopen(os.dup(fd), "rb") as file:
            content = file.read(limit + 1)
    finally:
        os.close(fd)
    if len(content) > limit:
        raise ValueError(f"over {limit >> 20} MiB")
    return content


def included_text(path: Path) -> str:
    """The text of a file a page includes: a regular file of at most INCLUDE_LIMIT bytes,
    in UTF-8. Raises ValueError saying why not."""
    content = regular_file(path, INCLUDE_LIMIT)
    try:
        return content.decode()
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 (byte {error.start})") from None


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, its links followed, is in `folder` (its own links followed too): not
    absolute elsewhere, nor out through `..` or a link."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


# Directives standing alone, and those that mark the next fence.
STANDALONE = ("project", "database", "check")
# `browser`: what the next fence prints otherwise in a reader's browser, and why (read by
# in_browser.steps; the runner checks only that a fence follows).
MARKERS = ("norun", "versions", "timeout", "browser")
PROSE = ("evidence",)  # read by docs_runner.claims: the test behind a paragraph's facts
TAB = re.compile(r'^(?P<indent>[ \t]*)===[+!]? "(?P<label>[^"]*)"', re.MULTILINE)
# Every comment's opening, what stands before its first word and that word (invisible
# characters in it included): one that opens with more dashes, names a directive (in any
# case, after anything) or ends its first word with a colon must be exactly a directive; a
# comment of prose starts with any other plain word (`<!-- tutorial-time -->`).
INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
COMMENT = re.compile(
    r"<!--(?P<dashes>-*)(?P<lead>(?:(?!-->)[\W\d_])*)"
    rf"(?P<word>[^\W\d_][\w{INVISIBLE}-]*)?(?P<colon>\s*:)?"
)
DIRECTIVE = re.compile(
    rf"<!--\s*(?P<name>{'|'.join(STANDALONE + MARKERS)}):\s*(?P<argument>.*?)\s*-->"
)


class PageError(ValueError):
    """A page the grammar cannot read: it fails at `line`, with one line saying why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


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


@dataclass(frozen=True)
class Include:
    """A file pymdownx.snippets includes: its path, and the line of its marker (for the
    block form, the block's opening one)."""

    line: int
    path: str


def includes(text: str) -> list[Include]:
    """Every file pymdownx.snippets includes into the page, as it reads the page: line by
    line (\\n only), fences and all, since it runs before anything else."""
    found: list[Include] = []
    block: int | None = None  # the line of the open block's marker
    for number, line in enumerate(text.split("\n"), 1):
        if match := SNIPPET_MARKER.match(line):
            if match["block"] and not match["escape"]:
                block = None if block else number
            elif not (match["escape"] or block):  # an include right in a block is dropped
                found.append(Include(number, match["quoted"][1:-1].strip()))
        elif block and (path := line.strip()) and not path.startswith(";"):
            found.append(Include(block, path))
    return found


def included(text: str) -> set[str]:
    """The files under examples/ a page shows (`--8<--`), wherever they stand."""
    return {include.path for include in includes(text)}


@dataclass(frozen=True)
class Tab:
    """A content tab: its label (and where it stands, between the quotes) and the end of
    its body, the lines indented under it."""

    label: str
    start: int
    end: int
    body_end: int

    def line(self, text: str) -> int:
        return text.count("\n", 0, self.start) + 1


def tabs(text: str) -> list[Tab]:
    """Every content tab (`=== "Label"`) of a page, in order."""
    found = []
    for match in TAB.finditer(text):
        indent, body_end = len(match["indent"]), len(text)
        offset = text.find("\n", match.end()) + 1 or len(text)
        for line in text[offset:].splitlines(keepends=True):
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                body_end = offset
                break
            offset += len(line)
        found.append(Tab(match["label"], match.start("label"), match.end("label"), body_end))
    return found


def enclosing_tab(tabs: list[Tab], offset: int) -> Tab | None:
    """The innermost of a page's content tabs whose body holds `offset`, if any."""
    inside = [tab for tab in tabs if tab.end < offset < tab.body_end]
    return inside[-1] if inside else None


def in_inline_code(text: str, offset: int) -> bool:
    """Whether `offset` is inside an inline code span (`...`) of its line: an example."""
    line_start = text.rfind("\n", 0, offset) + 1
    opened = ""  # CommonMark: a span closes on a run of as many backticks as opened it
    for run in re.findall(r"`+", text[line_start:offset]):
        opened = "" if run == opened else opened or run
    return bool(opened)


def continues(line: str) -> bool:
    """Whether a console line goes on to the next: it ends with a backslash not itself
    escaped (`echo a\\\\` ends with a backslash, printed)."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def fence_spans(text: str) -> tuple[list[tuple[int, int]], int | None]:
    """Each fence's opening and closing line (1-based), and the line of a fence that is
    never closed (the page ends inside it), if any."""
    spans: list[tuple[int, int]] = []
    opened: tuple[str, int] | None = None  # (its run of backticks or tildes, its line)
    for number, line in enumerate(text.split("\n"), 1):  # the site's lines: \n only
        if opened is None:
            if match := FENCE_LINE.match(line):
                opened = (match["ticks"], number)
        elif line.strip() == opened[0]:  # superfences: a longer run is content
            spans.append((opened[1], number))
            opened = None
    return spans, opened[1] if opened else None
