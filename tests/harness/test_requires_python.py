"""pyproject.toml's requires-python is honest: every exact pin of the project accepts the
oldest Python it names. A pin that needs a newer patch release (pymdown-extensions 13.x needs
3.11.5) breaks the README's command on Debian 12's own Python 3.11.2. Unpinned dependencies
are left out: pip falls back to an older release for an older Python (soupsieve 2.10 on
3.11.2, 4.1.3 on 3.11.7)."""

import re
import tomllib
from importlib.metadata import distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]


def requires_python(name: str) -> str:
    return distribution(name).metadata.get("Requires-Python") or ""


def test_every_pin_accepts_the_oldest_python_the_project_accepts() -> None:
    floor = re.fullmatch(r">=\s*([\d.]+)", requires_python(PROJECT))
    assert floor, f"requires-python is not of the form >=X.Y: {requires_python(PROJECT)!r}"
    # The pins the tests install (not `lab`'s jupyterlab 4.6.6: it needs 3.10, checked by hand).
    requirements = [Requirement(line) for line in distribution(PROJECT).requires or []]
    pins = [
        req.name
        for req in requirements
        if not req.marker
        or any(req.marker.evaluate({"extra": e}) for e in ("pages", "test", "docs"))
    ]
    assert {"sqlalchemy", "pymdown-extensions", "pytest", "squawk-cli"} <= set(pins)
    refusing = {
        name: rp
        for name in pins
        if not SpecifierSet(rp := requires_python(name)).contains(floor[1])
    }
    assert not refusing, f"these need a newer Python than {floor[1]}: {refusing}"
