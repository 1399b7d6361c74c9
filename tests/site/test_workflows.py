"""The GitHub workflows validate against GitHub's schema (check-jsonschema's vendored copy,
offline), and CI runs the same command as here."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.site_tree import workflows
from tests.tools import load

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = workflows()


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
    )


def test_the_ci_workflow_is_among_those_validated() -> None:
    assert "ci.yml" in [path.name for path in WORKFLOWS]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid(path: Path) -> None:
    result = check(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  tests:\n    steps:\n      - run: true\n")  # no runs-on
    assert check(broken).returncode != 0


def readme_commands() -> list[str]:
    """The commands of the README's console blocks."""
    blocks = re.findall(r"```console\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readmes_test_command() -> None:
    """CI's last command is the README's, as typed: nothing installed before it but what a
    fresh machine lacks (Chromium, Debian's PostgreSQL 15)."""
    assert "run: bash .ci/run" in (ROOT / ".github/workflows/ci.yml").read_text()
    assert readme_commands() == ["python3 dev.py serve", "python3 dev.py tests"]
    ci = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line.strip()]
    assert ci[-1] == readme_commands()[1]
    assert not any("pip install" in line for line in ci)


def test_ci_runs_every_combination_of_the_version_matrix() -> None:
    jobs = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())["jobs"]
    combinations = jobs["matrix"]["strategy"]["matrix"]["combination"]
    assert combinations == list(load("matrix").COMBINATIONS)
