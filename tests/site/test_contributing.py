"""contributing.md's tables of facts, held to the code and records they describe (its
executors' table: tests/harness/docs_runner/test_executors.py)."""

import ast
import inspect
import json
import re
import tomllib
from pathlib import Path

import pytest

from docs_runner import blocks, grammar
from docs_runner.grammar import Fence
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


def sessions() -> dict[str, str]:
    """Each nox session's name -> the first paragraph of its docstring, on one line."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    found = {}
    for function in tree.body:
        if isinstance(function, ast.FunctionDef) and any(
            "nox.session" in ast.unparse(d) for d in function.decorator_list
        ):
            doc = inspect.cleandoc(ast.get_docstring(function) or "").split("\n\n")[0]
            found[function.name] = " ".join(doc.split())
    return found


def test_the_sessions_table_is_the_sessions_docstrings() -> None:
    """One row per session, and its cell is the session's docstring: `nox --list` and the
    page say the same, and a session's change of behaviour is written once."""
    table = {
        re.fullmatch(r"`nox -s (\w+)[^`]*`", name)[1]: row["What it does"]
        for name, row in markdown_table(PAGE, "| Session |").items()
    }
    assert table == sessions()


# The runner's own kinds of fence, in the registry's order (a profile's come first).
OWN_KINDS = [kind for kind in blocks.KINDS if kind.__module__.startswith("docs_runner.")]


def claiming(fence: str, body: str) -> str:
    """The kind of block that takes a fence written as the table's first column shows it."""
    opening = fence.strip("` ")
    language, _, attributes = opening.partition(" ")
    parsed = Fence(language, dict(re.findall(r'(\w+)="([^"]*)"', attributes)), body, line=1)
    return next((kind.__name__ for kind in OWN_KINDS if kind.claims(parsed)), "no kind")


def test_the_blocks_table_names_each_kind_of_fence_and_directive() -> None:
    """Its fence rows are claimed by every kind the registry has, one each; its directive
    rows are the directives the grammar reads besides norun and versions (shown below)."""
    rows = markdown_table(PAGE, "| Block |")
    fences = [name for name in rows if name.startswith("` ```")]
    kinds = []
    for name in fences:
        fence, _, holding = name.partition(" holding ")
        kinds.append(claiming(fence, holding.strip("`") + "\n"))
    assert sorted(kinds) == sorted(kind.__name__ for kind in OWN_KINDS)
    named = [
        re.fullmatch(r"`<!-- ([\w-]+): .* -->`", name)[1] for name in rows if name not in fences
    ]
    assert sorted(named) == sorted(
        set(grammar.STANDALONE + grammar.MARKERS) - {"norun", "versions"}
    )
    for name in ("norun", "versions", *grammar.PROSE):
        assert f"<!-- {name}: " in PAGE, f"contributing.md does not show <!-- {name}: -->"


def packages() -> list[str]:
    return sorted(p.name for p in (ROOT / "src").iterdir() if (p / "__init__.py").exists())


def test_the_paths_table_has_a_row_for_each_package_and_folder_of_the_runner() -> None:
    """(That each path it names exists, the page's own lint checks.)"""
    paths = " ".join(markdown_table(PAGE, "| Path |"))
    runner = ROOT / "src/docs_runner"
    folders = [f"src/{name}/" for name in packages() if name != "docs_runner"]
    folders += [
        f"src/docs_runner/{p.name}/" for p in runner.iterdir() if (p / "__init__.py").exists()
    ]
    for folder in folders:
        assert folder in paths, f"no row of contributing's paths table is {folder}"


def test_the_packages_table_is_the_wheel_s_plugins() -> None:
    """Its rows are the wheel's packages; each with a pytest_plugin module is a plugin the
    wheel enables (all but in_browser, which a site adds with an MkDocs hook)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    plugins = project["project"]["entry-points"]["pytest11"]
    rows = [name.strip("`") for name in markdown_table(PAGE, "| Package |")]
    assert sorted(rows) == packages() == sorted(Path(p).name for p in wheel)
    with_plugin = [
        name for name in sorted(rows) if (ROOT / "src" / name / "pytest_plugin.py").exists()
    ]
    assert sorted(plugins) == [f"{name}.pytest_plugin" for name in with_plugin]
    assert len(with_plugin) == 3  # "the first three are pytest plugins"
