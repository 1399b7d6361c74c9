"""The project's own migration tests: the testing guide's file, examples/testing/
test_migrations.py, run against every chain of example migrations the guides build."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from alembic.config import Config

EXAMPLES = Path(__file__).parent.parent / "examples"
_spec = importlib.util.spec_from_file_location(
    "guide_tests", EXAMPLES / "testing/test_migrations.py"
)
guide_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guide_tests)

# Each chain: the tutorial project plus the files a guide adds (source -> project path).
AUTOGENERATE = {
    "autogenerate/env.py": "migrations/env.py",
    "autogenerate/myapp/models_v2.py": "myapp/models.py",
    "autogenerate/5d6e7f8a9b0c_add_email_rename_first_name.py": "migrations/versions/",
}
CHAINS = {
    "tutorial": {},
    "data-migration": {
        "data-migration/4e2f1a3b5c6d_add_full_name_to_users.py": "migrations/versions/"
    },
    "postgres": {
        "postgres/7a1b2c3d4e5f_create_subscriptions.py": "migrations/versions/",
        "postgres/9c8d7e6f5a4b_index_users_last_name.py": "migrations/versions/",
    },
    "autogenerate": AUTOGENERATE,
    "locks": {
        "locks/env.py": "migrations/env.py",
        "branches/2b4d8a9c1e3f_add_email_to_users.py": "migrations/versions/",
        "locks/3c5d7e9f1a2b_lowercase_emails.py": "migrations/versions/",
    },
}


def project(tmp_path: Path, files: dict[str, str], url: str, monkeypatch) -> Config:
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    for source, target in files.items():
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / source, tmp_path / target)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in [name for name in sys.modules if name.split(".")[0] == "myapp"]:
        monkeypatch.delitem(sys.modules, name)  # each project imports its own models
    importlib.invalidate_caches()  # the finder for "." may still list the last project
    return Config("alembic.ini")


@pytest.mark.parametrize("chain", CHAINS)
@pytest.mark.parametrize("test", ["test_single_head", "test_stairway"])
def test_chain(chain: str, test: str, tmp_path: Path, database_url: str, monkeypatch) -> None:
    getattr(guide_tests, test)(project(tmp_path, CHAINS[chain], database_url, monkeypatch))


def test_autogenerate_models_match_their_migrations(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    guide_tests.test_models_match_the_database(
        project(tmp_path, AUTOGENERATE, database_url, monkeypatch)
    )
