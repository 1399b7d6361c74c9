"""examples/tutorial/, the project readers copy: it migrates, and it matches `alembic init`."""

import difflib
import shutil
from pathlib import Path

import pytest

from alembic_docs.alembic_cli import run_in_process
from tests.page_checks import assert_no_users_table, assert_seed_schema

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "tutorial"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    return tmp_path


def alembic(project: Path, url: str, *argv: str) -> str:
    status, output = run_in_process(argv, project, {"DATABASE_URL": url})
    assert status == 0, output
    return output


def test_upgrade_downgrade_upgrade(project: Path, database_url: str) -> None:
    alembic(project, database_url, "upgrade", "head")
    assert_seed_schema(database_url, project)
    alembic(project, database_url, "downgrade", "base")
    assert_no_users_table(database_url)
    alembic(project, database_url, "upgrade", "head")
    assert_seed_schema(database_url, project)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `alembic init --template generic migrations` writes with the pinned Alembic."""
    path = tmp_path_factory.mktemp("generated")
    status, output = run_in_process(["init", "--template", "generic", "migrations"], path, {})
    assert status == 0, output
    return path


@pytest.mark.parametrize("name", ["alembic.ini", "migrations/script.py.mako", "migrations/README"])
def test_untouched_files_are_what_init_generates(generated: Path, name: str) -> None:
    assert (EXAMPLE / name).read_text() == (generated / name).read_text()


def test_env_py_only_adds_lines(generated: Path) -> None:
    """The production env.py keeps every generated line (the page's hl_lines, checked by the
    runner, mark the added ones)."""
    ours = (EXAMPLE / "migrations/env.py").read_text().splitlines()
    theirs = (generated / "migrations/env.py").read_text().splitlines()
    removed = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, theirs, ours).get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(theirs[i1:i2])
    assert removed == [], "env.py should keep every generated line"
