"""Facts stated in a page's prose, and what backs each.

A factual token in prose (an exit status, an error's name, a duration, a count, committed
or rolled back, a stream, a version boundary, a quoted path, and what profiles add:
PostgreSQL's lock modes, say) must be shown by what backs its paragraph: the nearest
fence before or after it (with the file it includes), the section a link of it leads to,
the checks of its section, or the test or file its `<!-- evidence: tests/x.py::test -->`
names (a table right after such a paragraph is backed by that test too). Each kind has
its own rule (Backing.shows): an exit status is about the block the paragraph introduces,
a count may count what it introduces, a version boundary may link to that release's
notes, a quoted path may name a file of the project. Examples of the page grammar in
inline code (`$ ...`, `# fails (exit status 1)`) are no claims.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import takewhile
from pathlib import Path

from docs_runner import grammar
from docs_runner.checks import CHECKS

NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
NUMBER = rf"{'|'.join(NUMBERS)}|\d{{1,3}}(?:,\d{{3}})+|\d+"  # 20,000 too
NOUNS = "files|tables|revisions|rows|columns|steps"
PRODUCTS = "PostgreSQL|Alembic|SQLAlchemy|psycopg|psql"
DOMAIN = r"[\w-]+\.(?:me|com|org|io)/"  # `sqlalche.me/e/20/`: an address, no path
FILE_TYPES = "py|ini|sql|toml|json|mako|sh|cfg|txt"
GENERIC = {
    "an exit status": r"\bexit(?:s| status| code)? (?P<status>\d+)\b",
    "an error's name": r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)\b",
    "a duration": r"\b\d+(?:\.\d+)? ?(?:ms|s|seconds?|minutes?)\b",
    "a count": rf"(?<![\d,.])\b(?P<count>(?i:{NUMBER})) (?:{NOUNS})\b",
    "an outcome": r"\b(?:(?<!to be )rolled back|(?<!un)committed(?! (?:files?|outputs?|one\b|`)))",
    "a stream": r"\b(?:(?P<verb>[a-z]+) to )?(?:stdout|stderr)\b",
    "a version boundary": rf"\b(?:since|before|until) \[?(?:{PRODUCTS}) (?P<version>\d+(?:\.\d+)*)",
    "a quoted path": rf"`(?!{DOMAIN})(?P<path>[\w.-]*/[\w./-]+|[\w-]+\.(?:{FILE_TYPES}))`",
}
# What shows a transaction's outcome: the word, or the code or SQL that ends it so.
OUTCOMES = {"rolledback": r"roll(?:ed|s)?[ _]?back", "committed": r"commit"}
EVIDENCE = re.compile(r"<!--\s*evidence:\s*(?P<test>\S+?)\s*-->")
GRAMMAR_EXAMPLE = re.compile(r"`(?:\$ [^`]*|[^`]*# fails \([^`]*)`")
CHECK = re.compile(r"<!--\s*check:\s*(?P<name>\S+?)\s*-->")
LINK = re.compile(r"\]\((?P<path>[^)#\s]+\.md)?(?:#(?P<anchor>[^)\s]*))?\)")  # none: this page


@dataclass
class Part:
    line: int  # 1-based, of its first line
    text: str
    fence: bool


def parts(text: str, examples: Path | None) -> list[Part]:
    """The page as paragraphs of prose and fences (a fence's text with what it includes
    from `examples`; without, a fence's own lines)."""
    lines, found = text.split("\n"), []  # as fence_spans numbers them
    spans = dict(grammar.fence_spans(text)[0])  # opening line -> closing line
    number = 1
    while number <= len(lines):
        if closing := spans.get(number):
            body = "\n".join(lines[number : closing - 1])
            found.append(Part(number, _with_include(body, examples) if examples else body, True))
            number = closing
        elif lines[number - 1].strip():
            line = lines[number - 1]
            if found and not found[-1].fence and _last_line(found[-1]) == number - 1:
                found[-1].text += "\n" + line
            else:
                found.append(Part(number, line, False))
        number += 1
    return found


def unbound(
    page: Path, examples: Path, root: Path, patterns: dict[str, str], text: str | None = None
) -> list[str]:
    """Each factual token of `page` (or of `text`, read as if it were there) that nothing
    backs, and each evidence naming no test, as `LINE: message`."""
    text = page.read_text() if text is None else text
    problems, found = [], parts(text, examples)
    for index, part in enumerate(found):
        evidence = [m["test"] for m in _evidence(part.text)]
        problems += [f"{part.line}: {p}" for item in evidence if (p := _missing(root, item))]
        if part.fence:
            continue
        if index and part.text.startswith("|"):  # a table: the paragraph before backs it
            evidence += [m["test"] for m in _evidence(found[index - 1].text) if "::" in m["test"]]
        linked = _linked(part.text, page)
        backing = Backing(
            near=_near(root, found, index, evidence, linked),
            tested=any("::" in item for item in evidence),
            commands=_commands(found, index, linked),
            paragraph=part.text,
            counted=_counted(found, index),
            page=text,
            root=root,
        )
        prose = EVIDENCE.sub("", GRAMMAR_EXAMPLE.sub("", part.text))
        for kind, pattern in patterns.items():
            for match in re.finditer(pattern, prose):
                if backing.shows(match):
                    continue
                line = part.line + prose.count("\n", 0, match.start())
                problems.append(
                    f"{line}: {match[0]!r} states {kind} that no block beside it, page it links "
                    "to or evidence it names shows: show it, or name the test or file that "
                    "proves it (<!-- evidence: TEST -->)"
                )
    return problems


def _near(root: Path, found: list[Part], index: int, evidence: list[str], linked: list[str]) -> str:
    """What backs the paragraph `found[index]`: the nearest fence before and after it, the
    blocks of what it links to, the tests and files its evidence names, its section's
    checks."""
    shown = _first_fence(reversed(found[:index])) + _first_fence(found[index + 1 :]) + linked
    shown += [_source(root, item) for item in evidence]
    shown += [_check_source(name) for name in _section_checks(found, index)]
    return "\n".join(shown)


def _section_checks(found: list[Part], index: int) -> list[str]:
    """The checks run in the section (between two headings) that holds `found[index]`."""
    heading = [i for i, part in enumerate(found) if _heading_level(part)]
    start = max([i for i in heading if i <= index], default=0)
    end = min([i for i in heading if i > index], default=len(found))
    return [
        m["name"] for part in found[start:end] if not part.fence for m in CHECK.finditer(part.text)
    ]


def _check_source(name: str) -> str:
    """A check's code: its assertions and the docstring that says what they prove."""
    check = CHECKS.get(name)
    return inspect.getsource(check) if check else ""


@dataclass
class Backing:
    """What backs one paragraph's claims, and how each kind of claim is held to it."""

    near: str
    tested: bool  # a test's evidence: it asserts exit statuses in its own words
    commands: list[list[str]]  # the `$` lines of each block an exit status may be about
    paragraph: str
    counted: list[int]  # how many things the paragraph introduces, counted each way
    page: str
    root: Path

    def shows(self, match: re.Match) -> bool:
        groups = match.groupdict()
        if "status" in groups:
            status = int(groups["status"])
            asserted = rf"\b(?:status|returncode|code)\s*==\s*{status}\b"  # a test's words
            return _status_shown(status, self.commands) or (
                self.tested and re.search(asserted, self.near) is not None
            )
        if "count" in groups:
            return self._count_shown(_number(groups["count"]), match[0])
        if "version" in groups:
            return self._boundary_shown(match, groups["version"])
        if "path" in groups:
            return self._path_shown(groups["path"])
        if groups.get("verb"):  # `goes to stderr`: what goes there, said so (`go to stderr`)
            verb, stream = re.sub(r"(?:es|s)$", "", groups["verb"]), match[0].split()[-1]
            return re.search(rf"\b{verb}(?:es|s)?\s+to\s+{stream}\b", self.near) is not None
        if outcome := OUTCOMES.get(_normal(match[0])):
            return re.search(outcome, self.near, re.IGNORECASE) is not None
        return _normal(match[0]) in {_normal(m[0]) for m in match.re.finditer(self._rows(match))}

    def _rows(self, match: re.Match) -> str:
        """What backs the token `match` found, spelt both ways (`_spelt`). A sentence that
        quotes a row's label (`SET NOT NULL`) is about that row: the lines of what backs it
        that hold the label (`set_not_null` too) and a token of the kind, and the labels
        it quotes that are such a token (`AccessExclusiveLock` is ...). Any line, if none
        is."""
        sentence = _sentence(match.string, match.start())
        labels = [
            label
            for label in re.findall(r"`([^`]+)`", sentence)
            if label != match[0] and _normal(label)
        ]
        lines = [_spelt(line) for line in self.near.splitlines() + labels]
        rows = [
            line
            for line in lines
            if match.re.search(line)
            and any(_normal(label.split(" ...")[0]) in _normal(line) for label in labels)
        ]
        return "\n".join(rows or lines)

    def _count_shown(self, count: int, claim: str) -> bool:
        """Said in what backs it (`(2 rows)`), or counted: what it lists inline (`three
        steps: a, b, then c`), or the block, table or list it introduces has that many
        lines."""
        said = re.sub(r"^\S+", str(count), claim) if count < 10 else str(count)  # 20,000
        if re.search(rf"(?<![\d.]){_normal(said)}", _normal(_numbers_as_digits(self.near))):
            return True
        after = self.paragraph.split(claim, 1)[1]
        if inline := re.match(r"\s*:\s*([^.]+)", after):
            return len(re.split(r",\s*(?:then\s+|and\s+)?|\s+and\s+", inline[1])) == count
        return count in self.counted

    def _boundary_shown(self, match: re.Match, version: str) -> bool:
        """`since PostgreSQL 11`: a link in the paragraph to that release's notes, or a
        versions marker on the page at that boundary."""
        product = match[0].split()[-2]
        urls = re.findall(r"\]\((https?://[^)\s]+)\)", self.paragraph)
        cited = any(re.search(rf"\b{re.escape(version)}(?:\.0)?\b", url) for url in urls)
        marker = rf"versions:\s*{re.escape(product)}\s*[<>=!~]+\s*{re.escape(version)}\b"
        return cited or re.search(marker, self.page, re.IGNORECASE) is not None

    def _path_shown(self, path: str) -> bool:
        """A quoted path is a file of the project (or of the reader's, shown on the page)."""
        if path in self.page.replace(f"`{path}`", "") or path in self.near:
            return True
        return any(
            known == path.rstrip("/") or known.endswith("/" + path.rstrip("/"))
            for known in _project_paths(self.root)
        )


def _number(word: str) -> int:
    return NUMBERS.get(word.lower()) or int(word.replace(",", ""))


def _numbers_as_digits(text: str) -> str:
    """`three` as `3`, `20_000` and `20,000` as `20000`."""
    text = re.sub(r"(?<=\d)[_,](?=\d{3})", "", text)
    return re.sub(rf"\b(?:{'|'.join(NUMBERS)})\b", lambda m: str(NUMBERS[m[0]]), text)


def _counted(found: list[Part], index: int) -> list[int]:
    """What a count in `found[index]` may count: the lines of the block, rows of the table
    or items of the list that follows it (past headings), the files that the blocks right
    after it include, and a heading's: the files its section's blocks include."""
    after = [part for part in found[index + 1 :] if not _heading_level(part)]
    counted = [_items(after[0])] if after else []
    counted.append(len(list(takewhile(_includes, found[index + 1 :]))))
    if _heading_level(found[index]):
        section = takewhile(lambda part: not _heading_level(part), found[index + 1 :])
        counted.append(len([part for part in section if _includes(part)]))
    return counted


def _includes(part: Part) -> bool:
    """A block that shows one file of the project (`--8<-- "file"`)."""
    return part.fence and grammar.SNIPPET.match(part.text.split("\n", 1)[0]) is not None


def _items(part: Part) -> int:
    """How many lines a block outputs (after its last command), rows a table has, or items
    a list."""
    lines = [line for line in part.text.splitlines() if line.strip()]
    if not part.fence:
        if part.text.startswith("|"):
            return len(lines) - 2
        return len([line for line in lines if re.match(r"(?:\d+\.|[-*]) ", line)]) or -1
    commands = [i for i, line in enumerate(lines) if line.startswith(grammar.PROMPT)]
    return len(lines) - (commands[-1] + 1 if commands else 0)


@cache
def _project_paths(root: Path) -> frozenset[str]:
    """The project's files and folders, as paths from its root: those git tracks (what a
    fresh clone has), or in a copy without git, those there."""
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True)
    if listed.returncode == 0:
        files = listed.stdout.splitlines()
    else:
        files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return frozenset(f for path in files for f in [path, *_folders(path)])


def _folders(path: str) -> list[str]:
    """`a/b/c.py`'s folders: `a`, `a/b`."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _evidence(text: str) -> list[re.Match]:
    """The paragraph's evidence directives, not the examples of one in inline code."""
    return [m for m in EVIDENCE.finditer(text) if not grammar.in_inline_code(text, m.start())]


def _missing(root: Path, item: str) -> str | None:
    """What is wrong with an evidence's test or file, if anything."""
    path, test, name = item.partition("::")
    if not grammar.inside(root / path, root):
        return f"evidence {item} is outside the repository, where no review sees it"
    if test:
        return None if _test(root / path, name) else f"evidence {item} names no test"
    return None if (root / path).is_file() else f"evidence {item} is no file"


def _source(root: Path, item: str) -> str:
    """What an evidence names: a file's text, or a test's own source (`path::test_name`)
    with its module's constants, not its other tests."""
    path, _, name = item.partition("::")
    file = root / path
    source = file.read_text() if grammar.inside(file, root) and file.is_file() else ""
    if not name:
        return source
    if (test := _test(file, name)) is None:
        return ""
    constants = [n for n in ast.parse(source).body if isinstance(n, ast.Assign | ast.AnnAssign)]
    return "\n".join(ast.get_source_segment(source, node) or "" for node in [*constants, test])


def _test(file: Path, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The test `name` (pytest's id: `test_x`, `TestY::test_x`, a parameter's `[...]`
    aside) that `file` defines, found by parsing it: text that only reads so is none."""
    *classes, function = name.split("[")[0].split("::")
    try:
        body = ast.parse(file.read_text()).body if file.is_file() else []
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for cls in classes:
        body = next((n.body for n in body if isinstance(n, ast.ClassDef) and n.name == cls), [])
    defined = (n for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return next((n for n in defined if n.name == function and function.startswith("test")), None)


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


def _linked(text: str, page: Path) -> list[str]:
    """What the fences of the section each link of `text` names (`page.md#anchor`, or
    `#anchor` on `page`) show, without the files they include. A link to a whole page backs
    nothing, and neither does the code a section includes: both hold too much (a lock
    table's every mode, the script's list of them) for a token found in them to prove a
    sentence."""
    shown = []
    for link in LINK.finditer(text):
        path = page.parent / link["path"] if link["path"] else page
        if path.is_file() and link["anchor"]:
            found = _section(parts(path.read_text(), None), link["anchor"])
            shown += [part.text for part in found if part.fence]
    return shown


def _section(found: list[Part], anchor: str | None) -> list[Part]:
    """The parts under the heading whose anchor (Python-Markdown's slug) is `anchor`, up to
    the next heading of its level or higher; all of them if no heading has it."""
    for i, part in enumerate(found):
        level = _heading_level(part)
        if not level or _slug(part.text[level:]) != anchor:
            continue
        end = next(
            (
                j
                for j in range(i + 1, len(found))
                if _heading_level(found[j]) in range(1, level + 1)
            ),
            len(found),
        )
        return found[i:end]
    return found


def _heading_level(part: Part) -> int:
    return 0 if part.fence else len(part.text) - len(part.text.lstrip("#"))


def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\s-]", "", heading.strip()).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _sentence(text: str, at: int) -> str:
    """The sentence (list item, table cell) of `text` that holds the position `at`."""
    stops = re.finditer(r"[.;:!?](?=\s)|\n(?=\s*[-*] )|\|", text)
    ends = [m.end() for m in stops if not grammar.in_inline_code(text, m.start())]
    start = max([end for end in ends if end <= at], default=0)
    return text[start : min([end for end in ends if end > at], default=len(text))]


def _spelt(text: str) -> str:
    """`text`, then again with each CamelCase name spelt as words in capitals: the same
    pattern finds `ROW EXCLUSIVE` in `RowExclusiveLock`, but not inside
    `ShareRowExclusiveLock`, whose whole token is `SHARE ROW EXCLUSIVE`."""
    camel = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")
    words = camel.sub(lambda m: " ".join(re.findall(r"[A-Z][a-z]+", m[0])), text)
    return text + "\n" + words.upper()


def _normal(text: str) -> str:
    """Text as claims are compared with it: `ACCESS EXCLUSIVE` is `AccessExclusiveLock`,
    `2 seconds` is `2s`."""
    text = re.sub(r"(\d) ?(?:seconds?|s)\b", r"\1s", text.lower())
    return re.sub(r"[^a-z0-9.]|lock\b", "", text)


def _status_shown(status: int, blocks: list[list[str]]) -> bool:
    """A block shows a command failing with that status; or, for 0, only commands that the
    runner checks exit 0."""
    if status:
        return any(f"# fails (exit status {status})" in line for lines in blocks for line in lines)
    return any(lines and not any(grammar.FAILS.search(line) for line in lines) for lines in blocks)


def _commands(found: list[Part], index: int, linked: list[str]) -> list[list[str]]:
    """The `$` lines of each block a paragraph's exit status may be about: the block it
    introduces (it ends with `:`), else the nearest before and after it too; and those of
    the pages it links to."""
    blocks = _first_fence(found[index + 1 :])
    if not found[index].text.rstrip().endswith(":"):
        blocks += _first_fence(reversed(found[:index]))
    return [
        [line for line in block.splitlines() if line.lstrip().startswith(grammar.PROMPT)]
        for block in blocks + linked
    ]
