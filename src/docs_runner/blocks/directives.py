"""HTML-comment directives: a starting project, another database, a database check, an
opt-out, a block for other versions, a block's own timeout."""

from __future__ import annotations

import re
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from docs_runner.blocks.base import Block
from docs_runner.checks import CHECKS, CheckFailed, run_check
from docs_runner.grammar import OUTSIDE, SNIPPET, Fence, PageError, Tab
from docs_runner.outcome import Failure
from docs_runner.shell import the_runners

VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")
REQUIREMENT = re.compile(
    r"(?P<absent>not\s+)?(?P<name>[A-Za-z][\w.-]*)\s*(?P<specifier>[<>=!~][^>]*?)?\s*"
)
AND = re.compile(r"\s+and\s+")
DAY = 86400.0  # seconds: the longest a block may be given


def seconds_of(text: str) -> float:
    """A number of seconds as a page or an ini file writes it; 0 for anything else (other
    digits too, which float() takes: ١٠, ５)."""
    try:
        return float(text) if text.isascii() else 0.0
    except ValueError:
        return 0.0


SECOND = 1.0  # the shortest: less killed every line before it could start (1e-300)

if TYPE_CHECKING:
    from docs_runner.run import PageRun


@dataclass
class Project(Block):
    """`<!-- project: NAME -->`: start from a copy of NAME/ in the examples folder."""

    name: str
    line: int = 0

    @classmethod
    def parse(cls, name: str, line: int) -> Project:
        if Path(name) == Path("."):  # empty, `.`, `./`: the examples folder itself
            problem = "expected a project in the examples folder, e.g. tutorial"
            raise PageError(line, f"<!-- project: {name} -->: {problem}")
        return cls(name, line)

    def evaluate(self, run: PageRun) -> Failure | None:
        where = f"{run.page}:{self.line}: <!-- project: {self.name} -->"
        source = run.example(self.name)
        if source is None:
            return Failure(f"{where}: {OUTSIDE}")
        if not source.is_dir():
            return Failure(f"{run.page}:{self.line}: examples/{self.name}/ does not exist")
        if link := run.link_out(source):
            inside = link.relative_to(run.examples)
            return Failure(f"{where}: examples/{inside} is a link out of the examples folder")
        problem = run.executor.start_from(source)
        return Failure(f"{run.page}: {problem}") if problem else None


@dataclass
class Database(Block):
    """`<!-- database: REPORTING_DATABASE_URL -->`: one more fresh database on the page's
    server, its URL in that variable; dropped with the page's own, whatever happens."""

    variable: str

    @classmethod
    def parse(cls, variable: str, line: int, made: set[str]) -> Database:
        """The directive at `line`, given the variables the page's earlier ones `made`."""
        said = f"<!-- database: {variable} -->"
        if not VARIABLE.fullmatch(variable):
            raise PageError(line, f"{said}: expected a variable name")
        if the_runners(variable):
            why = "its scratch database, its reader's tools and folders"
            raise PageError(line, f"{said}: the runner sets that for each page ({why})")
        if variable in made:
            raise PageError(line, f"{said}: {variable} has its database already")
        made.add(variable)
        return cls(variable)

    def evaluate(self, run: PageRun) -> Failure | None:
        problem = run.executor.database(self.variable)
        return Failure(f"{run.page}: {problem}") if problem else None


@dataclass
class Check(Block):
    """`<!-- check: name -->`: a named database check (effects, not exit codes)."""

    name: str
    line: int = 0
    summary = "check"

    def evaluate(self, run: PageRun) -> Failure | None:
        if self.name not in CHECKS:
            known = ", ".join(sorted(CHECKS))
            said = f"no check named {self.name!r} (known: {known})"
            return Failure(f"{run.page}:{self.line}: {said}")
        try:
            with run.files.not_reading():  # a check's own reads do not exercise shown files
                run_check(self.name, run)
        except CheckFailed as failed:  # as the reader: what it said, at the page's line
            return Failure(f"{run.page}:{self.line}: {failed}")
        run.record.checks.append(self.name)
        return None


@dataclass
class OptOut(Block):
    """A fence after `<!-- norun: reason -->`: shown, not run; a skip with its reason."""

    fence: Fence
    reason: str
    independent = True
    columns = {"opted out": "opted out"}

    def evaluate(self, run: PageRun) -> Failure | None:
        shown = self.fence.source
        if snippet := SNIPPET.match(shown.strip()):  # the site shows the included file
            source = run.example(snippet["path"])
            where = f"{run.page}:{self.fence.line}"
            if source is None:
                return Failure(f'{where}: --8<-- "{snippet["path"]}": {OUTSIDE}')
            if not source.is_file():
                return Failure(f"{where}: examples/{snippet['path']} does not exist")
            shown = source.read_text()
        run.record.opt_outs.append(self.reason)
        run.record.shown(shown, ["opted out"] * len(shown.splitlines()))
        raise unittest.SkipTest(f"not run: {self.reason}")


@dataclass(frozen=True)
class Term:
    """One term of a versions marker: `psql<18`, `psycopg2` (installed), `not psycopg`."""

    name: str
    specifier: str = ""
    absent: bool = False

    def __str__(self) -> str:
        return f"not {self.name}" if self.absent else f"{self.name}{self.specifier}"

    def holds(self, used: dict[str, str]) -> bool:
        if self.absent:
            return self.name not in used
        specifier = SpecifierSet(self.specifier)
        return self.name in used and specifier.contains(used[self.name], prereleases=True)

    def words(self) -> str:
        """`Alembic<1.17` as "Alembic before 1.17", `SQLAlchemy>=2.1` as "SQLAlchemy 2.1+";
        a bare name is the name."""
        order = list(_BOUNDS)
        bounds = sorted(SpecifierSet(self.specifier), key=lambda s: order.index(s.operator))
        words = [_BOUNDS[s.operator].format(s.version.removesuffix(".*")) for s in bounds]
        return " ".join([self.name, ", ".join(words)]).strip()


@dataclass
class ForVersions(Block):
    """A fence after `<!-- versions: psql<18 -->`: what readers with those versions see (in
    a content tab, beside the recorded one). Terms joined by `and` must all hold, and a bare
    name means "installed": `SQLAlchemy>=2.1 and psycopg2`. It runs when this run's versions
    match, and is a skip saying so otherwise, listed among the page's opt-outs. The tab's
    label is made from the marker (update mode writes it), and the marker must match a
    combination of versions the record holds."""

    block: Block
    fence: Fence
    terms: tuple[Term, ...]
    tab: Tab | None = None  # the content tab the fence is in
    columns = {"other versions": "for other versions"}

    @classmethod
    def parse(
        cls, block: Block, fence: Fence, requirement: str, tab: Tab | None, line: int
    ) -> ForVersions:
        """The fence after the marker at `line`, for the versions `requirement` names."""
        matches = [REQUIREMENT.fullmatch(term) for term in AND.split(requirement.strip())]
        if not all(m and _readable(m) for m in matches):
            raise PageError(
                line,
                f"<!-- versions: {requirement} -->: expected e.g. psql<18, or "
                f"SQLAlchemy>=2.1 and not psycopg (comparing with {', '.join(_BOUNDS)})",
            )
        terms = tuple(
            Term(m["name"], m["specifier"] or "", bool(m["absent"])) for m in matches if m
        )
        return cls(block, fence, terms, tab)

    @property
    def names(self) -> list[str]:
        return [term.name for term in self.terms]

    @property
    def requirement(self) -> str:
        return " and ".join(map(str, self.terms))

    def matches(self, used: dict[str, str]) -> bool:
        """Every term holds for `used` (a library's name to its version)."""
        return all(term.holds(used) for term in self.terms)

    def evaluate(self, run: PageRun) -> Failure | None:
        problems = [Failure(p) for p in (self._label(run), self._matched(run)) if p]
        if self.matches(run.versions):
            return Failure.of([*problems, *filter(None, [self.block.evaluate(run)])])
        run.record.opt_outs.append(f"for {self.requirement}")
        run.record.shown(
            self.fence.source, ["other versions"] * len(self.fence.source.splitlines())
        )
        if problems:
            return Failure.of(problems)
        used = " and ".join(f"{name} {run.versions.get(name, '(none)')}" for name in self.names)
        raise unittest.SkipTest(f"for {self.requirement}; this run used {used}")

    def _label(self, run: PageRun) -> str | None:
        """The tab's label says what the marker says, in words (update mode writes it)."""
        wanted = tab_label(self.terms)
        if self.tab is None or self.tab.label == wanted:
            return None
        if run.update:
            rewrite = (self.tab.start, self.tab.end, wanted)
            if rewrite not in run.record.rewrites:  # a tab may hold several such fences
                run.record.rewrites.append(rewrite)
            return None
        return (
            f"{run.page}:{self.tab.line(run.text)}: the tab says {self.tab.label!r}; its "
            f"<!-- versions: {self.requirement} --> says {wanted!r} (`{run.update_command}` "
            "writes it)"
        )

    def _matched(self, run: PageRun) -> str | None:
        """A marker no recorded combination matches marks a block no run ever checks."""
        held = run.recorded_versions
        if not held or any(self.matches(versions) for versions in held):
            return None
        found = sorted(
            {" with ".join(f"{n} {v.get(n, '(none)')}" for n in self.names) for v in held}
        )
        return (
            f"{run.page}:{self.fence.line}: <!-- versions: {self.requirement} --> matches "
            f"none of the combinations the versions record holds ({'; '.join(found)})"
        )


_BOUNDS = {
    ">=": "{}+",
    ">": "after {}",
    "==": "{}",
    "~=": "{} and compatible",
    "!=": "not {}",
    "<=": "{} and earlier",
    "<": "before {}",
}


def _readable(term: re.Match[str]) -> bool:
    """A term's specifier is one packaging reads (`<18 AND x` is not) with operators a
    tab's label can say (not `===`), and `not` names a library without one."""
    if term["absent"]:
        return not term["specifier"]
    try:
        specifiers = SpecifierSet(term["specifier"] or "")
    except InvalidSpecifier:
        return False
    return all(specifier.operator in _BOUNDS for specifier in specifiers)


def tab_label(terms: tuple[Term, ...]) -> str:
    """A content tab's label for a versions marker: `SQLAlchemy>=2.1 and not psycopg` is
    "SQLAlchemy 2.1+ without psycopg"."""
    label = ""
    for term in terms:
        joiner = "without" if term.absent else "with" if label else ""
        label = " ".join(filter(None, [label, joiner, term.words()]))
    return label


@dataclass
class Timed(Block):
    """A fence after `<!-- timeout: 900 -->`: each of its commands, or its Python, may run
    that many seconds instead of the `docs_command_timeout` setting's."""

    block: Block
    seconds: float

    def __post_init__(self) -> None:  # counted, classed and ordered as the block it marks
        for name in ("independent", "summary", "columns", "in_matrix"):
            setattr(self, name, getattr(self.block, name))

    @staticmethod
    def seconds_in(argument: str, line: int) -> float:
        seconds = seconds_of(argument)
        if not SECOND <= seconds <= DAY:  # beyond what poll() takes, a block would crash
            raise PageError(
                line, f"<!-- timeout: {argument} -->: expected seconds from 1 to a day, e.g. 900"
            )
        return seconds

    def evaluate(self, run: PageRun) -> Failure | None:
        setting, run.shell.timeout = run.shell.timeout, self.seconds
        try:
            return self.block.evaluate(run)
        finally:
            run.shell.timeout = setting
