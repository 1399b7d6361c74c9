"""Migrations from application code (docs/guides/app-code.md): what its prose says beyond
its blocks.

- `disable_existing_loggers=False` alone does not bring the application's line back:
  alembic.ini's root level (WARNING) drops it.
- Without the attribute, a test fixture's upgrade disables the application's loggers for
  the rest of the run: a test of its log lines with caplog finds none.
- Two starts at once under the deploying guide's env.py (changed as the page changes it)
  migrate once, forced to overlap: the test holds the migration lock until both are seen
  asking for it. The tutorial's env.py takes no lock: a start does not wait for it.
"""

import re
import shutil
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import alembic
import psycopg2

from alembic_docs import schema
from tests.processes import result, until
from tests.shared_server import SESSIONS_HERE
from throwaway_pg.server import libpq_url

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
TUTORIAL_ENV = EXAMPLES / "tutorial/migrations/env.py"
DEPLOY_ENV = EXAMPLES / "deploying/env.py"
# The page's env.py files: the tutorial's and the deploying guide's, fileConfig() skipped
# when the application says it has set up logging.
APP_ENV = EXAMPLES / "app-code/env.py"
APP_DEPLOY_ENV = EXAMPLES / "app-code/deploying/env.py"
CALL = "if config.config_file_name is not None:\n    fileConfig(config.config_file_name)\n"
CHANGED_CALL = (
    "# Not when the application that calls Alembic has set up logging already and\n"
    "# says so (configure_logger=False): fileConfig() would replace that set-up.\n"
    'if config.config_file_name is not None and config.attributes.get("configure_logger", True):\n'
    "    fileConfig(config.config_file_name)\n"
)
MIGRATION_LOCK = int(re.search(r"^MIGRATION_LOCK = ([\d_]+)$", DEPLOY_ENV.read_text(), re.M)[1])
SERVING = "myapp: database up to date, serving"

# Starts asking for the lock and refused it: the deploying env.py retries once a second.
REFUSED = (
    "SELECT count(DISTINCT pid) FROM pg_stat_activity"
    " WHERE query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()" + SESSIONS_HERE
)


def project(tmp_path: Path, start: str, env_py: Path) -> Path:
    """The tutorial's project with `env_py` and the application's start (`naive/start.py`
    or `start.py`)."""
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    shutil.copy(env_py, tmp_path / "migrations/env.py")
    (tmp_path / "myapp").mkdir()
    shutil.copy(EXAMPLES / "app-code" / start, tmp_path / "myapp/start.py")
    return tmp_path


def start(project: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "myapp.start"],
        cwd=project,
        env={"DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_disable_existing_loggers_false_still_drops_the_line(tmp_path: Path, database_url: str):
    tutorial_env = TUTORIAL_ENV.read_text()
    call = "    fileConfig(config.config_file_name)\n"
    assert tutorial_env.count(call) == 1
    env_py = tmp_path / "env.py"
    env_py.write_text(
        tutorial_env.replace(call, call.replace(")", ", disable_existing_loggers=False)"))
    )
    app = project(tmp_path / "app", "naive/start.py", env_py)
    status, output = result(start(app, database_url))
    assert status == 0, output
    assert "myapp: starting" in output and "Running upgrade" in output
    assert SERVING not in output
    assert schema.alembic_versions(database_url) == ["1975ea83b712"]


CAPLOG_TEST = """
import logging

import pytest
from alembic import command
from alembic.config import Config

import myapp.start


@pytest.fixture(scope="session")
def migrated():
    command.upgrade(Config("alembic.ini", attributes=ATTRIBUTES), "head")


def test_the_app_s_log_line_is_captured(migrated, caplog):
    with caplog.at_level(logging.INFO):
        myapp.start.log.info("hello")
    assert caplog.messages == ["hello"]
"""


def caplog_run(tmp_path: Path, url: str, attributes: dict) -> subprocess.CompletedProcess:
    app = project(tmp_path, "start.py", APP_ENV)
    (app / "tests").mkdir()
    test = f"ATTRIBUTES = {attributes!r}\n" + CAPLOG_TEST
    (app / "tests/test_logs.py").write_text(test)
    (app / "pytest.ini").write_text("[pytest]\n")  # the rootdir, whatever folder holds tmp_path
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        command,
        cwd=app,
        env={"DATABASE_URL": url, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
    )


def test_without_the_attribute_the_app_s_loggers_are_lost_to_caplog(
    tmp_path: Path, database_url: str
):
    lost = caplog_run(tmp_path / "without", database_url, {})
    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert "assert [] == ['hello']" in lost.stdout
    with closing(psycopg2.connect(libpq_url(database_url))) as admin, admin:
        admin.cursor().execute("DROP TABLE users, alembic_version")
    kept = caplog_run(tmp_path / "with", database_url, {"configure_logger": False})
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert schema.alembic_versions(database_url) == ["1975ea83b712"]


def test_two_starts_at_once_migrate_once(tmp_path: Path, database_url: str):
    app = project(tmp_path, "start.py", APP_DEPLOY_ENV)
    admin = psycopg2.connect(libpq_url(database_url))
    admin.autocommit = True
    started = []
    try:
        admin.cursor().execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))

        def refused() -> int:
            with admin.cursor() as cursor:
                cursor.execute(REFUSED)
                return cursor.fetchone()[0]

        for n in (1, 2):
            started.append(start(app, database_url))
            until(lambda n=n: refused() == n, f"{n} starts waiting for the lock")
        assert schema.tables(database_url) == set()  # neither got past the lock
    finally:
        admin.close()  # releases the lock
    results = [result(process) for process in started]
    assert [status for status, _ in results] == [0, 0], results
    assert sum(output.count("Running upgrade") for _, output in results) == 1, results
    assert all(SERVING in output for _, output in results), results
    assert schema.alembic_versions(database_url) == ["1975ea83b712"]


def test_without_the_deploy_env_py_a_start_does_not_wait(tmp_path: Path, database_url: str):
    """The control: the page's first env.py, the tutorial's, takes no lock, so the lock the
    test holds does not hold the start back."""
    app = project(tmp_path, "start.py", APP_ENV)
    with closing(psycopg2.connect(libpq_url(database_url))) as admin:
        admin.autocommit = True
        admin.cursor().execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        status, output = result(start(app, database_url))
    assert status == 0, output
    assert "Running upgrade" in output and SERVING in output


def test_every_template_s_env_py_calls_fileconfig_alike() -> None:
    """Each `alembic init --template` env.py calls fileConfig() under the same two lines as
    the tutorial's; the page's env.py files change those two and nothing else."""
    templates = Path(alembic.__file__).parent / "templates"
    found = sorted(path.parent.name for path in templates.glob("*/env.py"))
    assert {"generic", "async", "multidb"} <= set(found), found  # pyproject*: 1.16 and later
    for name in found:
        assert CALL in (templates / name / "env.py").read_text(), name
    for changed, original in ((APP_ENV, TUTORIAL_ENV), (APP_DEPLOY_ENV, DEPLOY_ENV)):
        assert changed.read_text() == original.read_text().replace(CALL, CHANGED_CALL)
