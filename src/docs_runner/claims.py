"""Facts stated in a page's prose, and what backs each.

A factual token in prose (an exit status, an error's name, a duration, and what profiles
add: PostgreSQL's lock modes, say) must be shown by a block beside its paragraph (the
nearest fence before or after it, with the file it includes) or by a page the paragraph
links to; or the paragraph names the test that proves it, `<!-- evidence: tests/x.py::
test_name -->` anywhere in it (a table right after such a paragraph too), or the file that
says it (`<!-- evidence: DIR/x.py -->`). The token must appear in what backs it, that
test's source included (the suite runs the test; an exit status it asserts in its own
words). Examples of the page grammar in inline code (`$ ...`, `# fails (exit status 1)`)
are no claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from docs_runner import grammar

GENERIC = {
    "an exit status": r"\bexit(?:s| status| code)? (?P<status>\d+)\b",
    "an error's name": r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)\b",
    "a duration": r"\b\d+(?:\.\d+)? ?(?:ms|s|seconds?|minutes?)\b",
}
EVIDENCE = re.compile(r"<!--\s*evidence:\s*(?P<test>\S+?)\s*-->")
GRAMMAR_EXAMPLE = re.compile(r"`(?:\$ [^`]*|[^`]*# fails \([^`]*)`")
LINK = re.compile(r"\]\((?P<path>[^)#\s]+\.md)?(?:#[^)\s]*)?\)")  # none: this page


@dataclass
class Part:
    line: int  # 1-based, of its first line
    text: str
    fence: bool


def parts(text: str, examples: Path) -> list[Part]:
    """The page as paragraphs of prose and fences (a fence's text with what it includes)."""
    lines, found = text.splitlines(), []
    spans = dict(grammar.fence_spans(text)[0])  # opening line -> closing line
    number = 1
    while number <= len(lines):
        if closing := spans.get(number):
            body = "\n".join(lines[number : closing - 1])
            found.append(Part(number, _with_include(body, examples), True))
            number = closing
        elif lines[number - 1].strip():
            line = lines[number - 1]
            if found and not found[-1].fence and _last_line(found[-1]) == number - 1:
                found[-1].text += "\n" + line
            else:
                found.append(Part(number, line, False))
        number += 1
    return found


def unbound(page: Path, examples: Path, root: Path, patterns: dict[str, str]) -> list[str]:
    """Each factual token of `page` that nothing backs, and each evidence naming no test,
    as `LINE: message`."""
    problems, found = [], parts(page.read_text(), examples)
    for index, part in enumerate(found):
        evidence = [m["test"] for m in _evidence(part.text)]
        problems += [f"{part.line}: {p}" for item in evidence if (p := _missing(root, item))]
        if part.fence:
            continue
        if index and part.text.startswith("|"):  # a table: the paragraph before backs it
            evidence += [m["test"] for m in _evidence(found[index - 1].text) if "::" in m["test"]]
        tested = any("::" in item for item in evidence)
        shown = _first_fence(reversed(found[:index])) + _first_fence(found[index + 1 :])
        linked = [page.parent / m["path"] if m["path"] else page for m in LINK.finditer(part.text)]
        shown += [_linked(path, examples) for path in linked]
        shown += [_source(root / item.split("::")[0]) for item in evidence]
        near = "\n".join(shown)
        prose = EVIDENCE.sub("", GRAMMAR_EXAMPLE.sub("", part.text))
        for kind, pattern in patterns.items():
            for match in re.finditer(pattern, prose):
                # A test states an exit status in its own words (`status == 0`).
                if (tested and "status" in match.groupdict()) or _shown(match, near):
                    continue
                line = part.line + prose.count("\n", 0, match.start())
                problems.append(
                    f"{line}: {match[0]!r} states {kind} that no block beside it, page it links "
                    "to or evidence it names shows: show it, or name the test or file that "
                    "proves it (<!-- evidence: TEST -->)"
                )
    return problems


def _evidence(text: str) -> list[re.Match]:
    """The paragraph's evidence directives, not the examples of one in inline code."""
    return [m for m in EVIDENCE.finditer(text) if not grammar.in_inline_code(text, m.start())]


def _missing(root: Path, item: str) -> str | None:
    """What is wrong with an evidence's test or file, if anything."""
    if "::" in item:
        return None if _exists(root, item) else f"evidence {item} names no test"
    return None if (root / item).is_file() else f"evidence {item} is no file"


def _source(path: Path) -> str:
    return path.read_text() if path.is_file() else ""


def _last_line(part: Part) -> int:
    return part.line + part.text.count("\n")


def _with_include(shown: str, examples: Path) -> str:
    if include := grammar.SNIPPET.match(shown.strip()):
        source = examples / include["path"]
        shown += "\n" + (source.read_text() if source.is_file() else "")
    return shown


def _first_fence(parts: Iterable[Part]) -> list[str]:
    """The text of the first fence among `parts` (nearest first), if there is one."""
    return next(([part.text] for part in parts if part.fence), [])


def _linked(page: Path, examples: Path) -> str:
    """What a linked page's fences show."""
    if not page.is_file():
        return ""
    return "\n".join(part.text for part in parts(page.read_text(), examples) if part.fence)


def _normal(text: str) -> str:
    """Text as claims are compared with it: `ACCESS EXCLUSIVE` is `AccessExclusiveLock`,
    `2 seconds` is `2s`."""
    text = re.sub(r"(\d) ?(?:seconds?|s)\b", r"\1s", text.lower())
    return re.sub(r"[^a-z0-9.]|lock\b", "", text)


def _shown(match: re.Match, near: str) -> bool:
    status = match.groupdict().get("status")
    if status is None:
        return _normal(match[0]) in _normal(near)
    if int(status):
        return f"# fails (exit status {status})" in near
    # exit 0: a command shown beside it, which the runner checks exits 0
    commands = [line for line in near.splitlines() if line.lstrip().startswith(grammar.PROMPT)]
    return any(grammar.FAILS.search(line) is None for line in commands)


def _exists(root: Path, test: str) -> bool:
    path, _, name = test.partition("::")
    source = root / path
    name = name.split("[")[0]
    return source.is_file() and bool(name) and f"def {name}(" in source.read_text()
