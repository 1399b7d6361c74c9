"""dev.py, the README's commands: nox from a virtualenv of its own, with only Python."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import ROOT, load

dev = load("dev", ROOT)


@pytest.mark.parametrize(
    ("typed", "nox"),
    [
        (["tests"], ["-s", "tests"]),
        (["matrix", "--check"], ["-s", "matrix", "--", "--check"]),
        (["db", "--", "reporting"], ["-s", "db", "--", "reporting"]),
        (["--list"], ["--list"]),
    ],
)
def test_a_session_and_its_arguments_reach_nox(typed: list[str], nox: list[str]) -> None:
    assert dev.nox_arguments(typed) == nox


def test_without_ensurepip_pip_comes_from_its_pinned_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's Python without python3-venv: the virtualenv is made without pip, and the
    pinned nox is installed by pip's wheel from PyPI, checked against its hash."""
    monkeypatch.setattr(dev, "HOME", tmp_path / "bootstrap")
    monkeypatch.setattr(dev, "PYTHON", tmp_path / "bootstrap/bin/python")
    monkeypatch.setattr(dev, "has_ensurepip", lambda: False)
    assert not dev.has_nox()
    dev.install_nox()
    assert dev.has_nox()
    assert (tmp_path / "bootstrap" / dev.PIP_WHEEL[0].rsplit("/", 1)[1]).is_file()


def test_a_wheel_that_does_not_match_its_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bootstrap").mkdir()
    monkeypatch.setattr(dev, "HOME", tmp_path / "bootstrap")
    monkeypatch.setattr(dev, "PIP_WHEEL", (dev.PIP_WHEEL[0], "0" * 64))
    with pytest.raises(SystemExit, match="does not match its pinned hash"):
        dev.pip_wheel()
    assert list((tmp_path / "bootstrap").iterdir()) == []


def test_no_session_is_one_line_of_usage() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py")], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("dev.py: usage: python3 dev.py SESSION")
    assert result.stderr.count("\n") == 1


def test_without_chromium_the_tests_session_says_in_one_line_what_to_install(
    tmp_path: Path,
) -> None:
    """Not a hundred skipped browser tests at the end of a ten-minute run."""
    env = {**os.environ, "PATH": str(tmp_path)}  # no chromium on it
    result = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "tests"], env=env, capture_output=True, text=True
    )
    said = [line for line in result.stderr.splitlines() if "Chromium" in line]
    assert result.returncode == 1
    assert said == [
        "nox > Session tests aborted: the browser tests need Chromium: apt-get install chromium "
        "(Debian, Ubuntu) or "
        "brew install --cask chromium (macOS), or run without them "
        "(python3 dev.py tests --ignore-glob='*browser.py')."
    ]
