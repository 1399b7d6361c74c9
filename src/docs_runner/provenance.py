"""What a page or notebook says it was recorded with: one line, in one format, checked here.

"Outputs recorded on DATE with Alembic X, SQLAlchemy Y, psycopg2 Z and PostgreSQL W." The
names and their order are the profile's (`pytest_docs_versions`), then the server's
PostgreSQL. DATE is the day the update command last recorded the outputs with those
versions: it changes only when the versions do (or the line is new), never because a run
re-verified them, which every test run does. The verification manifest keeps the same date,
so a date changed on the page alone fails. A page that executes something has exactly one
such line, under its title; a notebook has it in its second cell. Nowhere else may prose
claim an exact version of what the line names.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from docs_runner import grammar
from throwaway_pg.postgres import psql_version, server_version
from throwaway_pg.server import libpq_url

LINE = re.compile(r"^Outputs recorded on (?P<date>\d{4}-\d\d-\d\d) with (?P<versions>.+)\.$", re.M)
ITEM = re.compile(r"(?P<name>.+) (?P<version>\d\S*)")
# Any other line that looks like one (a second, a misspelt or an old-style line).
LOOKALIKE = re.compile(r"^.*\b(?:recorded|verified) on \d{4}-\d\d-\d\d\b.*$", re.I | re.M)
TESTED_WITH = r"(?:tested|verified|checked)\s+(?:with|on|against)\s+\S+\s+v?\d+(?:\.\d+)*"


def line(versions: dict[str, str], date: datetime.date | None = None) -> str:
    named = joined(f"{name} {version}" for name, version in versions.items())
    return f"Outputs recorded on {date or datetime.date.today()} with {named}."


def own_line(text: str) -> re.Match[str] | None:
    """The text's provenance line: the first outside any fence (one in a fence is part of
    an example, a page shown as Markdown)."""
    fenced = {n for start, end in grammar.fence_spans(text)[0] for n in range(start, end + 1)}
    lines = (m for m in LINE.finditer(text) if text.count("\n", 0, m.start()) + 1 not in fenced)
    return next(lines, None)


def date(text: str) -> str | None:
    """The date of the text's provenance line (the manifest keeps the same date)."""
    match = own_line(text)
    return match["date"] if match else None


def recorded(text: str) -> dict[str, str] | None:
    """The versions the text's provenance line names, by name; None without one."""
    match = own_line(text)
    if not match:
        return None
    items = re.split(r", | and ", match["versions"])
    parsed = [ITEM.fullmatch(item) for item in items]
    if not all(parsed):
        return None
    return {m["name"]: m["version"] for m in parsed if m}


def problems(text: str, runs_something: bool, names: dict[str, str]) -> list[str]:
    """What is wrong with a page's (or notebook's) provenance and version claims. `names`:
    the versions a run used (an exact one of these, in prose, is a claim)."""
    found = [m.group(0) for m in LOOKALIKE.finditer(text)]
    real = [m.group(0) for m in LINE.finditer(text)]
    errors = [f"not a provenance line: {line!r}" for line in found if not LINE.fullmatch(line)]
    errors += [f"not a provenance line: {line!r}" for line in real if recorded(line) is None]
    if runs_something and len(real) != 1:
        errors.append(f"{len(real)} provenance lines; a page that runs something has one")
    if not runs_something and real:
        errors.append("a provenance line on a page that runs nothing")
    claims = re.compile(rf"\b(?:{_claim(names)}|{TESTED_WITH})", re.IGNORECASE)
    errors += [
        f"a version claim outside the provenance line: {m[0]!r}"
        for m in claims.finditer(LINE.sub("", text))
    ]
    return errors


def _claim(names: dict[str, str]) -> str:
    """An exact version as precise as the run's ("PostgreSQL 18.6", "Alembic 1.20.1"): a
    boundary ("since SQLAlchemy 2.1", "Python 3.11+") is a fact about the library, allowed."""
    return "|".join(
        re.escape(name) + r"\s+v?\d+" + r"\.\d+" * version.count(".")
        for name, version in names.items()
    )


def versions(database_url: str, hook: Any = None) -> dict[str, str]:
    """What a run used: the profiles' libraries (pytest's `hook` relay, where they plug
    in), the psql pages run, and the server behind the URL."""
    found: dict[str, str] = {}
    for named in reversed(hook.pytest_docs_versions() if hook else []):
        found.update(named or {})
    server = server_version(libpq_url(database_url))
    return {**found, "psql": psql_version(), "PostgreSQL": server}


def other_versions(recorded: dict[str, str] | None, used: dict[str, str]) -> str | None:
    """What this run used that the outputs were not recorded with ("this run used
    PostgreSQL 15.18; the outputs were recorded with PostgreSQL 18.6"); None when the
    versions are the recorded ones, or none are.

    Only with the recorded versions may a difference be rewritten into the page (update
    mode): with others it is what a reader on them sees, and the page stays as it is.
    """
    if recorded is None or recorded == used:
        return None
    changed = [name for name in {**recorded, **used} if recorded.get(name) != used.get(name)]
    now = joined(f"{name} {used.get(name, '(none)')}" for name in changed)
    was = joined(f"{name} {recorded.get(name, '(none)')}" for name in changed)
    return f"this run used {now}; the outputs were recorded with {was}"


def for_readers(other: str) -> str:
    """What a difference means when the versions are not the recorded ones."""
    return f"{other[0].upper()}{other[1:]}: a difference is what readers with those versions see."


def joined(items: Iterable[str]) -> str:
    """ "A, B and C": how the line, and what pages say of other versions, list things."""
    *rest, last = items
    return f"{', '.join(rest)} and {last}" if rest else last
