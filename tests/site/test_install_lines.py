"""Every `pip install` a page or a notebook shows pins each package to the version the
project pins (pyproject.toml), which is what the tests run the page with: a reader who
installs as the page says gets what the page was verified with."""

import shlex

import nbformat
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from docs_runner import notebooks
from tests.site_tree import PIP_INSTALL, ROOT, project_pins
from tests.site_tree import notebooks as notebooks_in_the_tree


def shown_installs() -> list[tuple[str, str]]:
    """(where, requirement) for each package a shown `pip install` line names."""
    texts = {path: path.read_text() for path in sorted((ROOT / "docs").rglob("*.md"))}
    for path in notebooks_in_the_tree():
        texts[path] = notebooks.markdown(nbformat.read(path, as_version=4))
    found = []
    for path, text in texts.items():
        for line in PIP_INSTALL.finditer(text):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, line.start()) + 1}"
            arguments = shlex.split(line["arguments"])
            found += [(where, arg) for arg in arguments if not arg.startswith("-")]
    return found


def test_every_shown_install_pins_what_the_project_pins() -> None:
    pins, installs = project_pins(), shown_installs()
    assert len({where for where, _ in installs}) >= 6  # the tutorial's, four guides', notebooks'
    unpinned = []
    for where, line in installs:
        requirement = Requirement(line)
        version = pins.get(canonicalize_name(requirement.name))
        if str(requirement.specifier) != f"=={version}":
            unpinned.append(f"{where}: {line} (the project pins {version or 'no version'})")
    assert unpinned == []
