"""The code's shape: no import circles in src/, no site names in it, a public API per
package; tests laid out like the code and the site."""

import ast
import importlib
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGES = ["throwaway_pg", "docs_runner", "alembic_docs", "in_browser"]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of src/ that `path` imports, TYPE_CHECKING imports included (they tie
    the code together as much); `from package import module` names the module."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                module = f"{base}.{alias.name}"
                found.add(module if module in modules else base)
    return found & modules - {module_name(path)}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_src_has_no_import_circles() -> None:
    files = {module_name(path): path for path in SRC.rglob("*.py")}
    graph = {name: imports(path, set(files)) for name, path in files.items()}
    assert circles(graph) == []


def test_a_circle_is_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


SITE_NAMES = re.compile(r"TUTORIAL|alembic-tutorial|how-it-works|docs/\w[\w/-]*\.md|examples/\w")


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_site_name_in_the_wheel(path: Path) -> None:
    """The site's own choices live in its pyproject.toml and conftest.py."""
    assert SITE_NAMES.findall(path.read_text()) == []


@pytest.mark.parametrize("name", PACKAGES)
def test_each_package_has_a_public_api(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__all__, f"{name} has no __all__"
    assert all(hasattr(package, item) for item in package.__all__)


TESTS = SRC.parent / "tests"


def misplaced(test_files: list[Path]) -> list[str]:
    """Test files outside the layout: harness tests under tests/harness/ (in a folder named
    for a package of src/, or tools), site tests under tests/site/, a guide's named for its
    page (tests/site/guides/test_deploying.py: guides/deploying.md)."""
    docs, folders = SRC.parent / "docs", {*PACKAGES, "tools"}
    wrong = []
    for path in test_files:
        part, *inner = path.relative_to(TESTS).parts
        where = "/".join(inner[:-1])
        if part == "harness":
            ok = not where or where in folders
        elif part == "site" and where in ("tutorial", "guides"):
            page = inner[-1].removeprefix("test_").removesuffix(".py").replace("_", "-")
            # the tutorial's tests span its pages (a reader runs them in order)
            ok = where == "tutorial" or (docs / where / f"{page}.md").is_file()
        else:
            ok = part == "site" and where in ("", "notebooks")
        if not ok:
            wrong.append(str(path.relative_to(TESTS)))
    return wrong


def test_tests_are_laid_out_like_the_code_and_the_site() -> None:
    assert misplaced(sorted(TESTS.rglob("test_*.py"))) == []
    assert misplaced([TESTS / "test_loose.py", TESTS / "site/guides/test_no_such_page.py"]) == [
        "test_loose.py",
        "site/guides/test_no_such_page.py",
    ]


def test_no_test_module_imports_another() -> None:
    """Shared fixtures live in conftest files, shared helpers in modules beside them."""
    found = {}
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in getattr(node, "names", [])]
            if isinstance(node, ast.Import | ast.ImportFrom) and any(
                name.rsplit(".", 1)[-1].startswith("test_") for name in names
            ):
                found[str(path.relative_to(TESTS))] = names
    assert found == {}
