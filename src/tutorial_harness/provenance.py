"""What a page or notebook says it was recorded with: one line, in one format, checked here.

"Outputs recorded on DATE with Alembic X, SQLAlchemy Y, psycopg2 Z and PostgreSQL W."
DATE is the day `nox -s update` last recorded the outputs with those versions: it changes
only when the versions do (or the line is new), never because a run re-verified them, which
every test run does. The verification manifest keeps the same date, so a date changed on
the page alone fails. A page that executes something has exactly one such line, under its
title; a notebook has it in its second cell. Nowhere else may prose claim an exact version
(a later issue replaces the line with a version matrix: it stays in this module).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

LINE = re.compile(
    r"^Outputs recorded on (?P<date>\d{4}-\d\d-\d\d) with Alembic (?P<alembic>\S+), "
    r"SQLAlchemy (?P<sqlalchemy>\S+), psycopg2 (?P<psycopg2>\S+) "
    r"and PostgreSQL (?P<postgresql>\S+)\.$",
    re.MULTILINE,
)
# Any other line that looks like one (a second, a misspelt or an old-style line).
LOOKALIKE = re.compile(r"^.*\b(?:recorded|verified) on \d{4}-\d\d-\d\d\b.*$", re.I | re.M)
# An exact version of what the pages run, in prose: "PostgreSQL 18.6", "Alembic 1.20.1".
# A boundary ("since SQLAlchemy 2.1", "Python 3.11+") is a fact about the library, allowed.
VERSION_CLAIM = re.compile(
    r"\b(?:(?:Alembic|SQLAlchemy|psycopg2?|pytest)\s+v?\d+\.\d+\.\d+"
    r"|(?:PostgreSQL|Postgres)\s+\d+\.\d+"
    r"|(?:tested|verified|checked)\s+(?:with|on|against)\s+\S+\s+v?\d+(?:\.\d+)*)",
    re.IGNORECASE,
)


def line(versions: dict[str, str], date: datetime.date | None = None) -> str:
    return (
        f"Outputs recorded on {date or datetime.date.today()} with Alembic "
        f"{versions['alembic']}, SQLAlchemy {versions['sqlalchemy']}, psycopg2 "
        f"{versions['psycopg2']} and PostgreSQL {versions['postgresql']}."
    )


def date(text: str) -> str | None:
    """The date of the text's provenance line (the manifest keeps the same date)."""
    match = LINE.search(text)
    return match["date"] if match else None


def recorded(text: str) -> dict[str, str] | None:
    """The versions the text's provenance line names; None without one."""
    match = LINE.search(text)
    return {k: v for k, v in match.groupdict().items() if k != "date"} if match else None


def problems(text: str, runs_something: bool) -> list[str]:
    """What is wrong with a page's (or notebook's) provenance and version claims."""
    found = [m.group(0) for m in LOOKALIKE.finditer(text)]
    real = [m.group(0) for m in LINE.finditer(text)]
    errors = [f"not a provenance line: {line!r}" for line in found if not LINE.fullmatch(line)]
    if runs_something and len(real) != 1:
        errors.append(f"{len(real)} provenance lines; a page that runs something has one")
    if not runs_something and real:
        errors.append("a provenance line on a page that runs nothing")
    without = LINE.sub("", text)
    claims = VERSION_CLAIM.finditer(without)
    errors += [f"a version claim outside the provenance line: {m[0]!r}" for m in claims]
    return errors


def versions(database_url: str) -> dict[str, str]:
    """What a run really used: the libraries here, and the server behind the URL."""
    import alembic
    import psycopg2
    import sqlalchemy

    from tutorial_harness.schema import rows

    (server,) = rows(database_url, "SHOW server_version")[0]
    return {
        "alembic": alembic.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg2": psycopg2.__version__.split()[0],
        "postgresql": server.split()[0],
    }


NAMES = {
    "alembic": "Alembic",
    "sqlalchemy": "SQLAlchemy",
    "psycopg2": "psycopg2",
    "postgresql": "PostgreSQL",
}


def other_versions(recorded: dict[str, str] | None, used: dict[str, str]) -> str | None:
    """What this run used that the outputs were not recorded with ("this run used
    PostgreSQL 15.18; the outputs were recorded with PostgreSQL 18.6"); None when the
    versions are the recorded ones, or none are.

    Only with the recorded versions may a difference be rewritten into the page (`nox -s
    update`): with others it is what a reader on them sees, and the page stays as it is.
    """
    if recorded is None or recorded == used:
        return None
    changed = [name for name in NAMES if recorded.get(name) != used.get(name)]
    now = _joined(f"{NAMES[name]} {used[name]}" for name in changed)
    was = _joined(f"{NAMES[name]} {recorded[name]}" for name in changed)
    return f"this run used {now}; the outputs were recorded with {was}"


def for_readers(other: str) -> str:
    """What a difference means when the versions are not the recorded ones."""
    return f"{other[0].upper()}{other[1:]}: a difference is what readers with those versions see."


def _joined(items: Iterable[str]) -> str:
    *rest, last = items
    return f"{', '.join(rest)} and {last}" if rest else last
