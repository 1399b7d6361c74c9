"""contributing.md's tables of facts, held to the code and records they describe (its
executors' table: tests/harness/docs_runner/test_executors.py)."""

import json
import re

import pytest

from tests.site_tree import ROOT, markdown_table
from tests.tools import load

matrix = load("matrix")
PAGE = (ROOT / "docs/contributing.md").read_text()
COMBINATIONS = markdown_table(PAGE, "| Combination |")
RECORD = json.loads(matrix.RECORD.read_text())["combinations"]


def said(combination: str) -> list[str]:
    """What a combination's row must name: the release its name and the record agree it
    ran, each package it installs or removes, where its server comes from."""
    found = matrix.COMBINATIONS[combination]
    version = combination.split("-")[1]
    release = next(
        n for n in ("PostgreSQL", "SQLAlchemy", "Alembic", "psycopg") if n.lower() in combination
    )
    assert RECORD[combination]["label"].startswith(f"{release} {version}")
    names = [f"{release} {version}"]
    names += [re.split(r"[=\[]", package)[0].removesuffix("-binary") for package in found.installs]
    names += [package.removesuffix("-binary") for package in found.removes]
    if found.postgres.startswith("/usr/lib/postgresql/"):
        names.append(f"Debian's `postgresql-{found.postgres.rsplit('/', 1)[1]}`")
    if found.users_server:
        names.append("`THROWAWAY_PG_URL`")
    return names


def test_the_combinations_table_has_a_row_for_each_combination() -> None:
    others = [name for name in matrix.COMBINATIONS if name != matrix.PINNED]
    assert [name.strip("`") for name in COMBINATIONS] == others


@pytest.mark.parametrize("combination", [c for c in matrix.COMBINATIONS if c != matrix.PINNED])
def test_each_combination_s_row_names_what_it_changes(combination: str) -> None:
    [cell] = COMBINATIONS[f"`{combination}`"].values()
    for name in said(combination):
        assert name.lower() in cell.lower(), (
            f"contributing.md's row for {combination} does not say {name!r}"
        )
