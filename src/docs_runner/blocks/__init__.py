"""A page's blocks: every kind's parsing and evaluation, combined in one registry.

The lexer (Sybil's, so fences inside admonitions and content tabs are found) yields fences
and directive comments; `KINDS` decides, in order, which kind claims a fence. Each kind is a
dataclass with `evaluate(run)`: it returns a failure message or None, and records in
`run.record` how it accounted for every line it shows. A fence no kind claims fails the
page, unless `<!-- norun: reason -->` stands right before it (then it is a real skip).
Directives:
  <!-- project: NAME -->   start from a copy of the examples folder's NAME/
  <!-- database: REPORTING_DATABASE_URL -->   one more fresh database, its URL in that
                               variable (dropped with the page's own)
  <!-- check: users-created -->   run a named database check (see tests/page_checks.py)
  <!-- versions: psql<18 -->   the next fence is for those versions (a content tab beside
                               the recorded one): run only when this run's match
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sybil import Document, Region
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

from docs_runner import grammar
from docs_runner.blocks.base import Block, Unclassified
from docs_runner.blocks.console import Console
from docs_runner.blocks.directives import (
    Check,
    Database,
    ForVersions,
    OptOut,
    Project,
    Timed,
)
from docs_runner.blocks.files import File
from docs_runner.blocks.python import Output, Python
from docs_runner.blocks.whole_page import PageEnd, Provenance
from docs_runner.grammar import ATTRIBUTE, FENCE_INFO, Fence, PageError

__all__ = ["Block", "KINDS", "classify", "columns", "lex", "register"]

# The directives that stand alone, by their name in the grammar.
DIRECTIVES: dict[str, type[Block]] = {"project": Project, "database": Database, "check": Check}
NAMES = "|".join([*grammar.MARKERS, *grammar.STANDALONE])

# The fence kinds, most specific first: the first whose `claims` is true takes the fence.
KINDS: list[type[Block]] = [Console, Output, File, Python]


def register(kind: type[Block]) -> Callable[[], None]:
    """A profile's kind of fence (hookspecs.pytest_docs_block_kinds), tried before ours;
    returns what takes it back (at the end of the pytest run that registered it)."""
    KINDS.insert(0, kind)
    return lambda: KINDS.remove(kind)


def columns() -> dict[str, str]:
    """The coverage table's columns: each line class the kinds of block give, in order."""
    found: dict[str, str] = {}
    for kind in [*KINDS, OptOut, ForVersions]:
        found.update(kind.columns)
    return found


def classify(fence: Fence) -> Block:
    for kind in KINDS:
        if kind.claims(fence):
            return kind.from_fence(fence)
    return Unclassified(fence)


def lex(document: Document) -> list[tuple[Region, Block]]:
    """(region, block) pairs in page order, ending with the page's own checks."""
    fences = list(RawFencedCodeBlockLexer(info_pattern=FENCE_INFO)(document))
    comments = [  # a directive shown inside a fence is an example, not a directive
        comment
        for comment in DirectiveInHTMLCommentLexer(NAMES)(document)
        if not _in_fence(comment.start, fences) and _named(document.text, comment)
    ]
    _readable(document, fences)
    page_tabs = grammar.tabs(document.text)
    opted_out: dict[int, str] = {}
    for_versions: dict[int, tuple[str, grammar.Tab | None, int]] = {}  # and its line
    timeouts: dict[int, float] = {}
    databases: set[str] = set()  # the variables <!-- database: --> set
    pairs: list[tuple[Region, Block]] = []
    for comment in comments:
        name, argument = comment.lexemes["directive"], comment.lexemes["arguments"].strip()
        if name == "norun":
            target = _fence_after(document, comment, fences)
            if not argument:
                raise PageError(_line(document, comment.start), "<!-- norun: --> needs a reason")
            opted_out[target.start] = argument
        elif name == "versions":
            tab = grammar.enclosing_tab(page_tabs, comment.start)
            line = _line(document, comment.start)
            for_versions[_fence_after(document, comment, fences).start] = (argument, tab, line)
        elif name == "browser":
            _fence_after(document, comment, fences)  # the browser's business (in_browser)
        elif name == "timeout":
            seconds = Timed.seconds_in(argument, _line(document, comment.start))
            timeouts[_fence_after(document, comment, fences).start] = seconds
        elif name == "project":
            pairs.append((comment, Project.parse(argument, _line(document, comment.start))))
        elif name == "database":
            line = _line(document, comment.start)
            pairs.append((comment, Database.parse(argument, line, databases)))
        else:
            pairs.append((comment, Check(argument, _line(document, comment.start))))
    for region in fences:
        fence = Fence(
            region.lexemes["language"],
            dict(ATTRIBUTE.findall(region.lexemes["attributes"])),
            str(region.lexemes["source"]),
            _line(document, region.start),
            region.start,
            region.end,
        )
        reason = opted_out.get(region.start)
        block = OptOut(fence, reason) if reason else classify(fence)
        if marker := for_versions.get(region.start):
            block = ForVersions.parse(block, fence, *marker)
        if seconds := timeouts.get(region.start):
            block = Timed(block, seconds)
        pairs.append((region, block))
    runs_something = any(not isinstance(block, OptOut) for _, block in pairs)
    prose = _prose(document.text, fences)
    pairs.append(Provenance.of(document.text, fences, prose, runs_something))
    marked = {tab for _, tab, _ in for_versions.values()}
    tabs = [
        (tab.line(document.text), tab.label, tab in marked)
        for tab in page_tabs
        if not _in_fence(tab.start, fences)
    ]
    spans = [(_line(document, fence.start), _line(document, fence.end)) for fence in fences]
    includes = [
        include
        for include in grammar.includes(document.text)
        if not any(opening < include.line < closing for opening, closing in spans)
    ]
    end = len(document.text)
    pairs.append((Region(end, end), PageEnd(includes, tabs)))
    pairs.sort(key=lambda pair: pair[0].start)
    return pairs


def _readable(document: Document, fences: list[Region]) -> None:
    """Raise at the first line the grammar cannot read: an unclosed fence, a comment that
    is nearly a directive (a typo, a missing colon, a third dash: each would be ignored
    silently, the lexer reading `<!--- norun: x -->` and `<!-- norun x -->` as none), a
    character a block may not hold."""
    if document.text.startswith("\ufeff"):  # the site drops it; the lexers would read it
        raise PageError(1, "a byte-order mark (U+FEFF) starts the page: save it without one")
    if (line := grammar.fence_spans(document.text)[1]) is not None:
        raise PageError(line, "this fence is never closed")
    known = grammar.STANDALONE + grammar.MARKERS + grammar.PROSE
    for match in grammar.COMMENT.finditer(document.text):
        start = match.start()
        if _in_fence(start, fences) or grammar.in_inline_code(document.text, start):
            continue  # an example
        if message := _near_miss(match, document.text, known):
            raise PageError(_line(document, start), message)
        if hidden := _fence_inside(document.text, start, fences):
            opened = _line(document, start)
            raise PageError(
                _line(document, hidden.start),
                f"this fence is inside the HTML comment opened at line {opened}: the site "
                "does not show it, and the runner runs only what a reader sees",
            )
    _showable(document, fences)


def _showable(document: Document, fences: list[Region]) -> None:
    """Raise at the first character of a block that the runner would read otherwise than
    the site shows it (grammar.UNSHOWABLE)."""
    for fence in fences:
        source = str(fence.lexemes["source"])
        if found := grammar.UNSHOWABLE.search(source):
            line = _line(document, fence.start) + 1 + source.count("\n", 0, found.start())
            why = "a NUL" if found[0] == "\x00" else "a line break to the runner, none to the site"
            raise PageError(line, f"U+{ord(found[0]):04X} in a block ({why}): remove it")


def _near_miss(comment: re.Match[str], text: str, known: tuple[str, ...]) -> str | None:
    """What is wrong with the comment at `comment` in the page's `text` if it is nearly a
    directive but not exactly one: None for a directive, or for prose."""
    word = comment["word"] or ""
    name = word.lower()
    if comment["dashes"]:
        return f"<!--{comment['dashes']} opens no directive: write <!-- (two dashes)"
    if odd := [f"U+{ord(c):04X}" for c in word if not c.isascii()]:  # a look-alike, an unseen one
        shown = word.encode("ascii", "backslashreplace").decode()
        return (
            f"<!-- {shown} ... -->: its first word holds {', '.join(odd)}, which no "
            "directive's name has: write a directive in ASCII, prose with a plain word"
        )
    if (before := comment["lead"].strip()) and name in known:
        return (
            f"<!-- {word} ... -->: write <!-- {name}: ... -->, with nothing before its "
            f"name (not {before!a})"
        )
    if comment["colon"] and word not in known:
        return f"<!-- {word}: --> is no directive (the runner reads {', '.join(known)})"
    if name not in known:
        return None  # prose
    if not re.match(rf"<!--\s*{name}:", text[comment.start() :]):
        return f"<!-- {word} ... -->: write <!-- {name}: ... -->, its colon right after its name"
    if name in grammar.PROSE:
        return None
    end = text.find("-->", comment.start())
    if "\n" in text[comment.start() : end if end >= 0 else len(text)]:
        return f"<!-- {name}: --> must be written on one line, ending with -->"
    if not _alone(text, comment.start()):
        return f"<!-- {name}: --> is read only on a line of its own"
    return None


def _fence_inside(text: str, start: int, fences: list[Region]) -> Region | None:
    """The first fence inside the comment at `start`: the lexer finds it, the site hides
    it (an unclosed `<!--` hides nothing: the site shows what follows)."""
    end = text.find("-->", start + len("<!--"))
    return next((f for f in fences if start < f.start < end), None)


def _named(text: str, comment: Region) -> bool:
    """A directive's name is followed by its colon: Sybil's lexer also takes a comment
    that only begins with one (`<!-- norunaway lines -->` would be an opt-out)."""
    name = comment.lexemes["directive"]  # the region starts with its indentation (tabs)
    return re.match(rf"\s*<!--\s*{name}:", text[comment.start :]) is not None


def _alone(text: str, start: int) -> bool:
    """Whether the comment at `start` is all its line holds (indentation aside)."""
    end = text.find("\n", start)
    line = text[text.rfind("\n", 0, start) + 1 : len(text) if end < 0 else end].strip()
    return line.startswith("<!--") and line.endswith("-->") and line.count("<!--") == 1


def _in_fence(offset: int, fences: list[Region]) -> bool:
    return any(fence.start < offset < fence.end for fence in fences)


def _prose(text: str, fences: list[Region]) -> str:
    """The page without its fences."""
    ends = [0] + [fence.end for fence in fences]
    starts = [fence.start for fence in fences] + [len(text)]
    return "".join(text[end:start] for end, start in zip(ends, starts, strict=True))


def _fence_after(document: Document, comment: Region, fences: list[Region]) -> Region:
    after = document.text.index("-->", comment.start) + len("-->")
    target = next((f for f in fences if f.start >= after), None)
    if target is None or document.text[after : target.start].strip():
        name = comment.lexemes["directive"]
        message = f"<!-- {name}: --> must come right before a fence"
        raise PageError(_line(document, comment.start), message)
    return target


def _line(document: Document, position: int) -> int:
    return document.text.count("\n", 0, position) + 1
