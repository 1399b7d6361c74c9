"""The contributors' tools in tools/ and the site's MkDocs hooks in docs/.hooks/ (neither
part of the library), imported for their tests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"


def load_hook(name: str) -> ModuleType:
    """docs/.hooks/<name>.py, as MkDocs loads it."""
    return load(name, ROOT / "docs/.hooks")


def load(name: str, folder: Path = TOOLS) -> ModuleType:
    """<folder>/<name>.py (tools/ by default) as the module `name`."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
