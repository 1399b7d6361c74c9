"""Run a console line in bash the way a reader's terminal would, keeping its effects.

`export`, `source .venv/bin/activate`, `set -a; . ./.env` and `cd` change the state that later
lines see, so each line's resulting environment and directory are read back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# After the reader's line: keep its exit status, dump the environment and the directory.
_EPILOGUE = '\n__status=$?; env -0 > "$__STATE"; pwd > "$__STATE.cwd"; exit $__status\n'


# Variables bash sets itself (or we set for the run): never carried to the next line.
_BASH_OWN = {"__STATE", "PYTHONUNBUFFERED", "_", "SHLVL", "PWD", "OLDPWD"}


@dataclass
class ShellState:
    cwd: Path
    env: dict[str, str]


def run_line(line: str, state: ShellState) -> tuple[int, str]:
    """Run `line` in bash from `state`; updates `state` in place; returns (status, output).

    With pipefail, so that `failing | sort` cannot hide a failure behind its last command.
    The state's own file is in the line's TMPDIR: a run's directory when a run set it."""
    tmp = state.env.get("TMPDIR")
    with tempfile.NamedTemporaryFile(prefix="shell-state-", dir=tmp) as dump:
        env = {**state.env, "__STATE": dump.name, "PYTHONUNBUFFERED": "1"}
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", line + _EPILOGUE],
            cwd=state.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        raw = Path(dump.name).read_bytes()
        cwd_file = Path(dump.name + ".cwd")
        if raw:
            pairs = (item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
            state.env = {k: v for k, v in pairs if k not in _BASH_OWN}
        if cwd_file.exists():
            state.cwd = Path(cwd_file.read_text().strip())
            cwd_file.unlink()
    return result.returncode, result.stdout


# Set by CI runners, by the outer pytest or for it, never on a reader's terminal, yet they
# change what runs: with CI set, pytest stops shortening its summary lines, for one.
_NOT_ON_A_READERS_TERMINAL = {
    *("CI", "BUILD_NUMBER", "COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR"),
    "PYTHONDONTWRITEBYTECODE",  # a reader's Python writes __pycache__ (`ls` shows it)
    "THROWAWAY_PG_URL",  # the tests' server; pages get DATABASE_URL
}
_NOT_ON_A_READERS_TERMINAL_PREFIXES = ("PYTEST_", "GITHUB_")


def terminal_env() -> dict[str, str]:
    """This process's environment less what a reader's terminal never has."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_ON_A_READERS_TERMINAL
        and not k.startswith(_NOT_ON_A_READERS_TERMINAL_PREFIXES)
    }


def reader_env(database_url: str) -> dict[str, str]:
    """The environment pages and notebooks run in: a reader's terminal with DATABASE_URL set
    and this project's tools on PATH."""
    return {**terminal_env(), "DATABASE_URL": database_url, "PATH": tool_path()}


def tool_path() -> str:
    """PATH with this environment's scripts (alembic) and the throwaway server's psql first."""
    from throwaway_pg.postgres import pg_install

    extra = [str(Path(sys.executable).parent), str(pg_install() / "bin")]
    return os.pathsep.join([*extra, os.environ.get("PATH", "")])


@contextlib.contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """Swap os.environ for `env` while in-process code (alembic, env.py) runs."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
