"""The runner reused as a team would: the wheel built from this checkout, installed in a
virtualenv of its own with no repository on the path, verifies the guide in
examples/team-guide/ (its own folders and settings, a database check of its own), catches a
changed output, and `--update-docs` writes it back as committed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from docs_runner import venvs

ROOT = Path(__file__).resolve().parents[3]
TEAM = ROOT / "examples/team-guide"
PAGE = "guide/onboarding.md"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Python of a virtualenv holding the wheel and its dependencies only: those are
    built once for their pins, then kept (docs_runner.venvs); the wheel, built from this
    checkout, goes in afresh for this module, which holds the virtualenv till it ends."""
    base = tmp_path_factory.mktemp("reuse")
    source = base / "source"  # built from a copy: the build never writes into the repository
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    pip = ["-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([sys.executable, *pip, "wheel", "--no-deps", "-w", base, source], check=True)
    [wheel] = base.glob("*.whl")
    assert wheel.name.startswith("pg_docs_runner-"), wheel.name
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    venv = venvs.cached(sys.executable, dependencies)
    python = venv / "bin/python"
    with venvs.locked(venv.with_name(venv.name + ".wheel.lock")):  # another run's wheel
        install = [python, *pip, "install", "--no-deps", "--force-reinstall", wheel]
        subprocess.run(install, check=True)
        check = subprocess.run([python, *pip, "check"], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout  # the wheel's requirements, all there
        yield python


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TEAM, tmp_path / "team"))


def pytest_in(team: Path, python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        **{k: v for k, v in os.environ.items() if k in ("TMPDIR", "THROWAWAY_PG_URL")},
    }
    command = [python, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=team, env=env, capture_output=True, text=True)


def test_a_team_verifies_its_own_guide_with_the_wheel(installed: Path, team: Path) -> None:
    imports = "import alembic_docs, docs_runner, throwaway_pg; print(docs_runner.__file__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # a mutation workspace's
    found = subprocess.run(
        [installed, "-c", imports], cwd=team, env=env, capture_output=True, text=True
    )
    assert found.stdout.startswith(str(installed.parent.parent)), found.stdout + found.stderr

    verified = pytest_in(team, installed)
    assert verified.returncode == 0, verified.stdout[-3000:]
    assert f"{PAGE}: 5 blocks and 1 database checks passed, 0 failed" in verified.stdout

    committed = (team / PAGE).read_text()
    (team / PAGE).write_text(committed.replace("\nstored\n", "\nsaved\n"))
    mutated = pytest_in(team, installed)
    assert mutated.returncode == 1, mutated.stdout[-3000:]
    assert "-saved\n+stored\nRewrite shown outputs from a real run with: pytest --update-docs" in (
        mutated.stdout
    )

    assert pytest_in(team, installed, "--update-docs").returncode == 0
    assert (team / PAGE).read_text() == committed
