"""The project's own migration tests: the testing guide's file, examples/testing/
test_migrations.py, run against every chain of example migrations the guides build, and
against all of them chained together."""

import argparse
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import ProgrammingError

from alembic_docs import schema
from tests import chains
from tests.page_checks import tenant_tables
from throwaway_pg.postgres import admin_connection
from throwaway_pg.server import libpq_url

EXAMPLES = Path(__file__).parent.parent / "examples"
_spec = importlib.util.spec_from_file_location(
    "guide_tests", EXAMPLES / "testing/test_migrations.py"
)
guide_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guide_tests)

CHAINS = {guide: [guide] for guide in chains.GUIDES} | {"composed": chains.COMPOSED}


def project(tmp_path: Path, guides: list[str], url: str, monkeypatch) -> Config:
    config = chains.build(tmp_path, guides)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    importlib.invalidate_caches()  # the finder for "." may still list the last project
    return config


def forget_models() -> None:
    for name in [name for name in sys.modules if name.split(".")[0] in ("myapp", "migrations")]:
        del sys.modules[name]


@pytest.fixture(autouse=True)
def own_models() -> Iterator[None]:
    """Each project imports its own `myapp.models` (and `migrations.replaceable`), and none
    outlives its test: a page run next on this worker would find it in sys.modules."""
    forget_models()
    yield
    forget_models()


@pytest.mark.parametrize("chain", CHAINS)
@pytest.mark.parametrize("test", ["test_single_head", "test_stairway"])
def test_chain(chain: str, test: str, tmp_path: Path, database_url: str, monkeypatch) -> None:
    getattr(guide_tests, test)(project(tmp_path, CHAINS[chain], database_url, monkeypatch))


@pytest.mark.parametrize("guide", ["autogenerate", "squashing"])
def test_the_models_match_their_migrations(
    guide: str, tmp_path: Path, database_url: str, monkeypatch
) -> None:
    guide_tests.test_models_match_the_database(
        project(tmp_path, [guide], database_url, monkeypatch)
    )


def squash(project_dir: Path) -> None:
    """squashing.md's step: the baseline and the next revision replace the history."""
    versions = project_dir / chains.VERSIONS
    for old in versions.glob("*.py"):
        old.unlink()
    for new in ("d8f2a61c4b07_baseline.py", "f3a5c7e9b1d3_add_email_to_users.py"):
        shutil.copy(EXAMPLES / "squashing" / new, versions / new)


def test_the_squashed_history_takes_the_stairway(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    config = project(tmp_path, ["tutorial-next"], database_url, monkeypatch)
    squash(tmp_path)
    guide_tests.test_single_head(config)
    guide_tests.test_stairway(config)


def test_a_database_at_the_old_head_runs_only_what_follows_the_baseline(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    config = project(tmp_path, ["tutorial-next"], database_url, monkeypatch)
    command.upgrade(config, "head")
    squash(tmp_path)
    command.upgrade(config, "head")  # the baseline would fail here: its tables exist
    assert schema.alembic_versions(database_url) == ["f3a5c7e9b1d3"]
    names = [column.name for column in schema.columns(database_url, "users")]
    assert names == ["id", "age", "first_name", "last_name", "email"]


def test_the_composed_chain_fails_its_downgrade_where_two_recipes_meet(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    """The zero-downtime contract drops last_name, and with it the index postgres-specifics
    built on it; downgrading past both then fails at that index. The zero-downtime page
    warns of it: if this ever passes, that warning is out of date."""
    config = project(tmp_path, chains.COMPOSED, database_url, monkeypatch)
    command.upgrade(config, "head")
    with pytest.raises(ProgrammingError, match='index "ix_users_last_name" does not exist'):
        command.downgrade(config, "base")


def tenant_project(tmp_path: Path, database_url: str, monkeypatch, env_py: str) -> Config:
    config = project(tmp_path, ["tutorial-next"], database_url, monkeypatch)
    (tmp_path / "migrations/env.py").write_text(env_py)
    config.cmd_opts = argparse.Namespace(x=["tenant=acme"])
    with admin_connection(libpq_url(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA acme")
    return config


def test_a_tenant_s_schema_takes_the_stairway(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    """The schema-per-tenant env.py (schemas.md) under the testing guide's checks: every
    revision up, down and up again in the tenant's schema, and nothing in `public`."""
    env_py = (EXAMPLES / "schemas/env.py").read_text()
    config = tenant_project(tmp_path, database_url, monkeypatch, env_py)
    guide_tests.test_stairway(config)
    assert tenant_tables(database_url) == {"acme": ["alembic_version", "posts", "users"]}


def test_without_the_commit_after_set_an_upgrade_leaves_nothing(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    """What schemas.md says of `connection.commit()`: without it, the upgrade runs in the
    transaction the SET began, says it ran, and is rolled back when the connection closes."""
    env_py = (EXAMPLES / "schemas/env.py").read_text()
    assert env_py.count("        connection.commit()\n") == 1
    naive = env_py.replace("        connection.commit()\n", "")
    config = tenant_project(tmp_path, database_url, monkeypatch, naive)
    command.upgrade(config, "head")  # no error
    assert tenant_tables(database_url) == {}


def test_the_hygiene_env_py_leaves_other_tools_tables_and_writes_no_empty_revision(
    tmp_path: Path, database_url: str, monkeypatch
) -> None:
    """autogenerate-hygiene.md's env.py under the autogenerate guide's chain and models."""
    config = project(tmp_path, ["autogenerate"], database_url, monkeypatch)
    shutil.copy(EXAMPLES / "hygiene/env.py", tmp_path / "migrations/env.py")
    command.upgrade(config, "head")
    with admin_connection(libpq_url(database_url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE apscheduler_jobs (id text PRIMARY KEY)")
    command.check(config)  # the scheduler's table is no change
    before = sorted((tmp_path / chains.VERSIONS).glob("*.py"))
    config.cmd_opts = argparse.Namespace(autogenerate=True)
    command.revision(config, "nothing", autogenerate=True)
    assert sorted((tmp_path / chains.VERSIONS).glob("*.py")) == before
