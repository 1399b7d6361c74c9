"""What extensions.md says and its page cannot show: env.py's look at the catalog must end
its transaction, or Alembic takes it for its caller's and commits nothing; and who may
create which extension."""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from alembic_docs import schema
from tests import chains
from tests.shared_server import role_owning_a_database
from throwaway_pg import Server
from throwaway_pg.server import with_database

LOOK_ENDS = "    connection.rollback()\n"


def upgrade(project: Path, url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)


def test_the_upgrade_commits(tmp_path: Path, database_url: str) -> None:
    chains.build(tmp_path, ["extensions"])
    upgrade(tmp_path, database_url)
    assert schema.alembic_versions(database_url) == ["2f8a6c4e0d19"]


def test_without_ending_the_look_nothing_is_committed(tmp_path: Path, database_url: str) -> None:
    chains.build(tmp_path, ["extensions"])
    env_py = tmp_path / "migrations/env.py"
    assert LOOK_ENDS in env_py.read_text()
    env_py.write_text(env_py.read_text().replace(LOOK_ENDS, ""))
    upgrade(tmp_path, database_url)
    assert "users" not in schema.tables(database_url)
    assert "alembic_version" not in schema.tables(database_url)


@pytest.fixture
def own_database(postgres_server: Server) -> Iterator[str]:
    """A URL as a role that owns its database and is no superuser, as a deploy's often is."""
    password = secrets.token_urlsafe(12)
    with role_owning_a_database(postgres_server, "deployer", password) as (name, database):
        url = make_url(with_database(postgres_server.admin_url, database))
        yield url.set(username=name, password=password).render_as_string(False)


def test_a_role_that_owns_its_database_creates_citext(own_database: str) -> None:
    """citext is trusted: the database's owner may create it. dblink is not: it needs a
    superuser."""
    conn = psycopg2.connect(own_database)
    conn.autocommit = True
    try:
        conn.cursor().execute("CREATE EXTENSION citext")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="superuser"):
            conn.cursor().execute("CREATE EXTENSION dblink")
    finally:
        conn.close()


def test_only_the_extension_s_own_table_is_left_out_in_any_schema(
    tmp_path: Path, database_url: str
) -> None:
    """With include_schemas=True (autogenerate-hygiene.md's), a table an extension owns in a
    schema of its own is left out, and a table of the same name in the default schema that
    no extension owns is still compared: the filter goes by schema and name."""
    chains.build(tmp_path, ["extensions"])
    env_py = tmp_path / "migrations/env.py"
    owned = "            include_name=owned_by_extensions(connection),\n"
    assert owned in env_py.read_text()
    env_py.write_text(
        env_py.read_text().replace(owned, owned + "            include_schemas=True,\n")
    )
    upgrade(tmp_path, database_url)
    admin_sql = (
        "CREATE SCHEMA gis; CREATE TABLE gis.spatial_ref_sys (srid integer PRIMARY KEY);"
        " ALTER EXTENSION citext ADD TABLE gis.spatial_ref_sys;"
        " CREATE TABLE spatial_ref_sys (srid integer PRIMARY KEY)"
    )
    with closing(psycopg2.connect(database_url)) as conn, conn, conn.cursor() as cursor:
        cursor.execute(admin_sql)
    env = {**os.environ, "DATABASE_URL": database_url}
    check = subprocess.run(
        [sys.executable, "-m", "alembic", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode != 0
    assert "Detected removed table 'spatial_ref_sys'" in check.stderr, check.stderr
    assert "gis.spatial_ref_sys" not in check.stderr
