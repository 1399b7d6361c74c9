"""pyproject.toml's requires-python is honest: every installed dependency of the project
accepts the oldest Python it names. A pin that needs a newer patch release (pymdown-extensions
13.x needs 3.11.5) breaks the README's command on Debian 12's own Python 3.11.2."""

import re
from importlib.metadata import distribution

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

PROJECT = "alembic-postgres-tutorial"


def requires_python(name: str) -> str:
    return distribution(name).metadata.get("Requires-Python") or ""


def dependencies(name: str, extras: set[str]) -> dict[str, str]:
    """Every distribution `name[extras]` pulls in (as installed here), with its Requires-Python."""
    found: dict[str, str] = {}
    todo = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        for line in distribution(current).requires or []:
            req = Requirement(line)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in wanted | {""}):
                continue
            key = req.name.lower()
            if key not in found:
                found[key] = requires_python(req.name)
                todo.append((req.name, set(req.extras)))
    return found


def test_every_dependency_accepts_the_oldest_python_the_project_accepts() -> None:
    floor = re.fullmatch(r">=\s*([\d.]+)", requires_python(PROJECT))
    assert floor, f"requires-python is not of the form >=X.Y: {requires_python(PROJECT)!r}"
    deps = dependencies(PROJECT, {"test", "docs"})
    assert {"sqlalchemy", "pymdown-extensions", "pytest"} <= deps.keys()
    refusing = {name: rp for name, rp in deps.items() if not SpecifierSet(rp).contains(floor[1])}
    assert not refusing, f"these need a newer Python than {floor[1]}: {refusing}"
