"""The in-process executor (watch, update) prints what the terminal executor (the suite, a
reader) prints: the suite runs every page on the terminal; here a few pages, a different few
each day, run in-process too, and must pass as they are."""

import datetime
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from docs_runner.executors import EXECUTORS
from docs_runner.executors.base import InterpreterEnded
from docs_runner.shell import ShellState
from tests.scratch_pages import AS_ROOT
from tests.site_tree import markdown_table, nav_pages

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = 3


def todays_sample() -> list[str]:
    pages = [page for page in nav_pages() if page.endswith(".md")]
    start = datetime.date.today().toordinal() * SAMPLE % len(pages)
    return [pages[(start + i) % len(pages)] for i in range(SAMPLE)]


@pytest.mark.parametrize("page", todays_sample())
def test_a_page_passes_in_process_as_on_the_terminal(page: str, postgres_server) -> None:
    command = [sys.executable, "-m", "pytest", f"docs/{page}", "-q", "-p", "no:cacheprovider"]
    options = ["-o", "addopts=", "--docs-executor=in-process"]
    env = {**os.environ, "THROWAWAY_PG_URL": postgres_server.admin_url}
    result = subprocess.run(
        [*command, *options], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]


# A block that ends the page's interpreter: (the block, its exit status, what it printed).
ENDINGS = {
    "exit()": ("print('done')\nexit()\n", 0, "done\n"),
    "sys.exit(0)": ("import sys\nsys.exit(0)\n", 0, ""),
    "sys.exit(3)": ("import sys\nprint('migrating')\nsys.exit(3)\n", 3, "migrating\n"),
    "SystemExit(str)": ("raise SystemExit('the migration failed')\n", 1, "the migration failed\n"),
    "sys.exit(-1)": ("import sys\nsys.exit(-1)\n", 255, ""),
}


@pytest.mark.parametrize("name", sorted(EXECUTORS))
@pytest.mark.parametrize(("block", "status", "printed"), ENDINGS.values(), ids=list(ENDINGS))
def test_a_block_that_ends_the_interpreter_fails_unless_its_status_is_0(
    name: str, block: str, status: int, printed: str, tmp_path: Path
) -> None:
    """As a reader's `python` ends: what it printed (a SystemExit's message on stderr), and
    its status, which fails the block unless 0; the next block starts a new namespace."""
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.defpath])}
    executor = EXECUTORS[name](ShellState(tmp_path, env, 30.0), "postgresql://unused")
    try:
        assert executor.python("x = 1\n", "page.md") == ("", False)
        if status:
            with pytest.raises(InterpreterEnded) as ended:
                executor.python(block, "page.md")
            assert (ended.value.status, ended.value.output) == (status, printed)
            said = f"the python block ended the interpreter with exit status {status}"
            assert str(ended.value) == said
        else:
            assert executor.python(block, "page.md") == (printed, False)
        assert executor.python("print('x' in dir())\n", "page.md") == ("False\n", False)
    finally:
        executor.close()


def test_contributing_s_table_of_executors_says_who_uses_which() -> None:
    """docs/contributing.md's table: one row per executor the runner has, the suite on the
    one pyproject.toml names, update and watch on the one they pass."""
    table = markdown_table((ROOT / "docs/contributing.md").read_text(), "| Executor |")
    used_by = {name.strip("`"): cells["Used by"] for name, cells in table.items()}
    assert set(used_by) == set(EXECUTORS)
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert used_by[ini["docs_executor"]].startswith("the suite")
    for session, source in (("update", "noxfile.py"), ("watch", "src/docs_runner/watch.py")):
        text = (ROOT / source).read_text()
        [name] = [name for name in EXECUTORS if f"--docs-executor={name}" in text]
        assert f"`nox -s {session}`" in used_by[name]


@AS_ROOT
def test_what_runs_as_the_reader_runs_outside_our_session(monkeypatch) -> None:
    """A file block's write, as `nobody`: in a session of its own, so that nothing of the
    reader's could reach our terminal through it (a stray of theirs attaching to it)."""
    from docs_runner import shell

    sessions = []

    class Recording(subprocess.Popen):
        def __init__(self, args, **kwargs) -> None:
            if "bash" in args:  # the write's own, not a probe's
                sessions.append(kwargs.get("start_new_session"))
            super().__init__(args, **kwargs)

    monkeypatch.setattr(shell.subprocess, "Popen", Recording)
    nobody = pwd.getpwnam("nobody")
    folder = Path(tempfile.mkdtemp())
    try:
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        popen = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        state = shell.ShellState(folder, {"PATH": os.defpath}, 30.0, popen)
        EXECUTORS["terminal"](state, "postgresql://unused").write_file(folder / "a.txt", "a\n")
        assert (folder / "a.txt").read_text() == "a\n"
        assert sessions == [True]
    finally:
        shutil.rmtree(folder)
