"""What the site and the tree hold, for the tests that cover each page, notebook and
workflow: read from mkdocs.yml's nav and from the tree, so that adding one needs no second
edit here."""

import ast
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.config import load_config
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from docs_runner import notebooks as notebook_files
from throwaway_pg.visible import visible_name

ROOT = Path(__file__).resolve().parent.parent
# A `pip install` line a page or a notebook shows, in a console block
PIP_INSTALL = re.compile(r"^[ \t]*\$ (?:python3? -m )?pip install (?P<arguments>.+)$", re.MULTILINE)


def top_level_function(path: Path, name: str) -> ast.FunctionDef:
    """The function `name` defined at the top of the module at `path`."""
    body = ast.parse(path.read_text()).body
    [found] = [node for node in body if isinstance(node, ast.FunctionDef) and node.name == name]
    return found


def markdown_rows(text: str, header: str = "|") -> list[dict[str, str]]:
    """The rows of the Markdown table in `text` whose header line starts with `header` (by
    default the first table), each as header -> cell."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    names, body = rows[0], rows[2:]
    return [dict(zip(names, row, strict=True)) for row in body]


def markdown_table(text: str, header: str = "|") -> dict[str, dict[str, str]]:
    """The same table keyed by its first column: that column -> header -> cell."""
    table = {}
    for row in markdown_rows(text, header):
        name, *cells = row.items()
        table[name[1]] = dict(cells)
    return table


def build(site: Path, site_url: str = "", root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`nox -s docs`' build of the project at `root` into `site`, with SITE_URL as the Pages
    workflow sets it, or unset. Nothing else of this environment's reaches it
    (NO_MKDOCS_2_WARNING, say). Not --quiet: it drops the warnings --strict counts, and a
    broken link or anchor passes."""
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "NO_MKDOCS_2_WARNING")}
    command = [sys.executable, "-m", "properdocs", "build", "-f", "mkdocs.yml", "--strict"]
    return subprocess.run(
        [*command, "--site-dir", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**env, **({"SITE_URL": site_url} if site_url else {})},
    )


def nav_pages() -> list[str]:
    """The pages in mkdocs.yml's nav, in its order, relative to docs/."""
    return list(_paths(load_config(str(ROOT / "mkdocs.yml"))["nav"]))


def _paths(nav: list) -> Iterator[str]:
    for entry in nav:
        value = entry if isinstance(entry, str) else next(iter(entry.values()))
        yield from [value] if isinstance(value, str) else _paths(value)


def page_url(page: str) -> str:
    """Where the built site serves a page, relative to its root (directory URLs)."""
    path = Path(page).with_suffix("")
    folder = path.parent if path.name == "index" else path
    return "" if str(folder) == "." else f"{folder}/"


def notebooks() -> list[Path]:
    """The notebooks of the tree; one that is no notebook fails the tests that collect it
    in one line."""
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        if (shown := visible_name(path.name)) != path.name:  # test ids, tables: raw
            pytest.fail(f"notebooks/{shown}: a control character in its name: rename it", False)
        if problem := _not_a_notebook(path):
            pytest.fail(problem, pytrace=False)
    return paths


def _not_a_notebook(path: Path) -> str | None:
    try:
        notebook_files.read(path)
    except notebook_files.NotebookError as error:
        return str(error).removeprefix(f"{ROOT}/")
    return None


def workflows() -> list[Path]:
    return sorted((ROOT / ".github/workflows").glob("*.yml"))


def project_pins() -> dict[str, str]:
    """Each package pyproject.toml pins exactly (in any extra) -> its version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    pins = {}
    for line in lines:
        requirement = Requirement(line)
        [specifier] = requirement.specifier or [None]  # the project itself: no version
        if specifier is not None and specifier.operator == "==":
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins
