"""The GitHub workflows validate against GitHub's schema (check-jsonschema's vendored copy,
offline), and CI runs the same command as here."""

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


def test_ci_runs_the_readmes_test_command() -> None:
    assert "run: bash .ci/run" in (ROOT / ".github/workflows/ci.yml").read_text()
    assert "python3 -m nox -s tests" in (ROOT / ".ci/run").read_text()
    assert "python3 -m nox -s tests" in (ROOT / "README.md").read_text()


def test_ci_runs_every_combination_of_the_version_matrix() -> None:
    jobs = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())["jobs"]
    combinations = jobs["matrix"]["strategy"]["matrix"]["combination"]
    assert combinations == list(load("matrix").COMBINATIONS)
