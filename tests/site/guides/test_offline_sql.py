"""`alembic upgrade head --sql`, applied by psql, builds the same schema as the online upgrade."""

import re
import shutil
import subprocess
from pathlib import Path

from alembic_docs.alembic_cli import run_in_process
from alembic_docs.schema import alembic_versions
from throwaway_pg.postgres import pg_install
from throwaway_pg.server import Server

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "tutorial"


def schema_dump(url: str) -> str:
    dump = subprocess.run(
        [pg_install() / "bin/pg_dump", "--schema-only", "--no-owner", "--dbname", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.sub(r"^\\(un)?restrict \w+$", "", dump, flags=re.MULTILINE)  # a random key


def test_offline_sql_builds_the_online_schema(tmp_path: Path, postgres_server: Server) -> None:
    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    with postgres_server.database() as online, postgres_server.database() as offline:
        status, output = run_in_process(["upgrade", "head"], tmp_path, {"DATABASE_URL": online})
        assert status == 0, output
        status, script = run_in_process(
            ["upgrade", "head", "--sql"], tmp_path, {"DATABASE_URL": offline}
        )
        assert status == 0, script
        sql = "\n".join(line for line in script.splitlines() if not line.startswith("INFO "))
        (tmp_path / "upgrade.sql").write_text(sql)
        subprocess.run(
            [
                pg_install() / "bin/psql",
                offline,
                "--quiet",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
                tmp_path / "upgrade.sql",
            ],
            capture_output=True,
            check=True,
        )
        assert "CREATE TABLE public.users" in schema_dump(online)
        assert schema_dump(offline) == schema_dump(online)
        assert alembic_versions(offline) == alembic_versions(online) == ["1975ea83b712"]
