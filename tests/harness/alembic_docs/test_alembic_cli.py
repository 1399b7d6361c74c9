"""In-process alembic prints exactly what the `alembic` CLI prints (and the suite runs every
page through the CLI, on the terminal executor)."""

import os
import shutil
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from alembic_docs.alembic_cli import run_cli, run_in_process
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parents[3]

COMMANDS = [
    ["current"],
    ["upgrade", "head"],
    ["current", "--verbose"],
    ["history", "--verbose"],
    ["heads"],
    ["show", "1975"],
    ["upgrade", "ffffffffffff"],  # fails: "Can't locate revision"
    ["downgrade", "-1"],
    ["downgrade", "-1"],  # fails: already at base
    ["stamp", "head"],
    ["bogus-command"],  # argparse usage error
]


def test_each_command_prints_the_same_bytes(tmp_path: Path, postgres_server: Server) -> None:
    outputs = {}
    for name, runner in (("in-process", run_in_process), ("subprocess", run_cli)):
        project = tmp_path / name
        shutil.copytree(ROOT / "examples/tutorial", project)
        with postgres_server.database() as url:
            env = {"PATH": os.environ["PATH"], "DATABASE_URL": url}
            database = make_url(url).database  # `current --verbose` prints the URL
            outputs[name] = [
                (status, output.replace(str(project), "<project>").replace(database, "<db>"))
                for status, output in (runner(argv, project, env) for argv in COMMANDS)
            ]
    for argv, in_process, subprocess_ in zip(
        COMMANDS, outputs["in-process"], outputs["subprocess"], strict=True
    ):
        assert in_process == subprocess_, f"alembic {' '.join(argv)}"
    assert outputs["in-process"][6][0] == 255  # a failing command's exit status, too


def test_the_project_imports_its_own_modules(tmp_path: Path, postgres_server: Server) -> None:
    """A `myapp` another project left in sys.modules is not the one this project's env.py
    imports: a new process would not have it."""
    for name, models in (("old", "models.py"), ("new", "models_v2.py")):
        project = tmp_path / name
        shutil.copytree(ROOT / "examples/tutorial", project)
        shutil.copy(ROOT / "examples/autogenerate/env.py", project / "migrations/env.py")
        (project / "myapp").mkdir()
        shutil.copy(ROOT / "examples/autogenerate/myapp" / models, project / "myapp/models.py")
    sys.path.insert(0, str(tmp_path / "new"))
    try:
        __import__("myapp.models")  # what another test's project left behind
    finally:
        sys.path.pop(0)
    with postgres_server.database() as url:
        env = {"PATH": os.environ["PATH"], "DATABASE_URL": url}
        assert run_in_process(["upgrade", "head"], tmp_path / "old", env)[0] == 0
        status, output = run_in_process(["check"], tmp_path / "old", env)
    assert (status, output.splitlines()[-1]) == (0, "No new upgrade operations detected."), output
