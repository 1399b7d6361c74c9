"""Facts stated in a page's prose, and what backs each.

A factual token in prose (an exit status, an error's name, a duration, and what profiles
add: PostgreSQL's lock modes, say) must be shown by a block beside its paragraph (the
nearest fence before or after it, with the file it includes) or by a page the paragraph
links to; or the paragraph names the test that proves it, `<!-- evidence: tests/x.py::
test_name -->` anywhere in it (a table right after such a paragraph is covered too; the
suite runs that test, the runner checks that it exists), or the file whose code says it
(`<!-- evidence: DIR/x.py -->`: the token must be in that file). Examples of the
page grammar in inline code (`$ ...`, `# fails (exit status 1)`) are no claims.
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
    found: list[Part] = []
    opened: int | None = None
    body: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if opened is None and (match := grammar.FENCE_LINE.match(line)):
            opened, body = len(match["ticks"]), []
            found.append(Part(number, "", True))
        elif opened is not None:
            if stripped.startswith("`" * opened) and not stripped.strip("`"):
                found[-1].text = _with_include("\n".join(body), examples)
                opened = None
            else:
                body.append(line)
        elif stripped and found and not found[-1].fence and _last_line(found[-1]) == number - 1:
            found[-1].text += "\n" + line
        elif stripped:
            found.append(Part(number, line, False))
    return found


def unbound(page: Path, examples: Path, root: Path, patterns: dict[str, str]) -> list[str]:
    """Each factual token of `page` that nothing backs, and each evidence naming no test,
    as `LINE: message`."""
    problems, found = [], parts(page.read_text(), examples)
    for index, part in enumerate(found):
        evidence = [m["test"] for m in _evidence(part.text)]
        tests = [item for item in evidence if "::" in item]
        files = [root / item for item in evidence if "::" not in item]
        problems += [
            f"{part.line}: evidence {t} names no test" for t in tests if not _exists(root, t)
        ]
        problems += [f"{part.line}: evidence {f} is no file" for f in files if not f.is_file()]
        if (
            part.fence
            or tests
            or (index and part.text.startswith("|") and _tested(found[index - 1]))
        ):
            continue
        shown = _first_fence(reversed(found[:index])) + _first_fence(found[index + 1 :])
        linked = [page.parent / m["path"] if m["path"] else page for m in LINK.finditer(part.text)]
        shown += [_linked(path, examples) for path in linked]
        shown += [f.read_text() for f in files if f.is_file()]
        near = "\n".join(shown)
        prose = EVIDENCE.sub("", GRAMMAR_EXAMPLE.sub("", part.text))
        for kind, pattern in patterns.items():
            for match in re.finditer(pattern, prose):
                if not _shown(match, near):
                    line = part.line + prose.count("\n", 0, match.start())
                    problems.append(
                        f"{line}: {match[0]!r} states {kind} that no block beside it or page it "
                        "links to shows: show it, or name the test that proves it "
                        "(<!-- evidence: TEST -->)"
                    )
    return problems


def _evidence(text: str) -> list[re.Match]:
    """The paragraph's evidence directives, not the examples of one in inline code."""
    return [m for m in EVIDENCE.finditer(text) if not grammar.in_inline_code(text, m.start())]


def _tested(part: Part) -> bool:
    """A paragraph backed by a test (whose evidence covers the table after it)."""
    return any("::" in m["test"] for m in _evidence(part.text))


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
