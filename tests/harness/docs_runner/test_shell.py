"""A console line in bash on a terminal: its status is its own whatever it holds, its state
file is the runner's, and it ends when bash does."""

import contextlib
import os
import pwd
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docs_runner import shell
from tests.processes import sleeping
from tests.scratch_pages import AS_ROOT, run


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder of the lines' user (as root, nobody: docs_runner.reader), where they run."""
    path = Path(tempfile.mkdtemp())
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    yield path
    shutil.rmtree(path)


def state(folder: Path, timeout: float = 30.0) -> shell.ShellState:
    """A page's first line's state, run as pages' lines are."""
    popen = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        popen = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    env = {"PATH": os.defpath, "TMPDIR": str(folder)}
    return shell.ShellState(folder, env, timeout, popen)


@pytest.mark.parametrize("line", ["false &&", "false |", "false \\", "false; cat <<'EOF'"])
def test_a_line_that_is_no_whole_command_is_not_run(folder: Path, line: str) -> None:
    """Bash would read on into the runner's epilogue, the line's status lost (any line that
    reaches bash, not only a page's)."""
    with pytest.raises(shell.LineError, match="is no whole command"):
        shell.run_line(line, state(folder))


@pytest.mark.parametrize(
    "line", ['rm -f "$__STATE"; exit 0', 'rm -f "$__STATE"; mkdir "$__STATE"', 'mv "$__STATE" x']
)
def test_a_line_that_takes_the_state_file_away_fails_in_one_line(folder: Path, line: str) -> None:
    with pytest.raises(shell.LineError) as error:
        shell.run_line(line, state(folder))
    assert str(error.value) == (
        f"`{line}` removed or replaced the runner's state file ($__STATE): leave it be"
    )


def test_what_a_line_makes_beside_the_state_file_is_its_own(folder: Path) -> None:
    """A folder where the state's directory once went (`$__STATE.cwd`) is no matter now:
    the directory is in the state file, and the next line starts there."""
    ran = state(folder)
    line = 'rm -f "$__STATE.cwd"; mkdir "$__STATE.cwd" sub; cd sub; export X=1; echo ok'
    assert shell.run_line(line, ran) == (0, "ok\n")
    assert shell.run_line('echo "$X"; pwd', ran) == (0, f"1\n{folder}/sub\n")


def test_noclobber_keeps_the_state(folder: Path) -> None:
    ran = state(folder)
    shell.run_line("set -o noclobber; export X=1", ran)
    assert ran.env["X"] == "1"


def test_a_line_that_leaves_a_job_in_the_background_ends_with_bash(folder: Path) -> None:
    """The job holds the terminal open, yet bash has exited: the line is over (the job
    killed, as a closed window ends it), with all it printed, not a timeout."""
    seconds = str(6 * 10**6 + os.getpid())
    started = time.monotonic()
    status, output = shell.run_line(f"echo started; sleep {seconds} &", state(folder, 10))
    assert (status, output) == (0, "started\n")
    assert time.monotonic() - started < 5
    assert not sleeping(seconds)


def test_a_page_names_the_line_that_took_the_state_file(
    project: pytest.Pytester, recorded: str
) -> None:
    text = '# Gone\n\n```console\n$ echo one\none\n$ rm -f "$__STATE"; exit 0\n```\n'
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ['docs/page.md:8: `rm -f "$__STATE"; exit 0` removed or replaced the runner\'s state*']
    )
    assert "Traceback" not in result.stdout.str()


def test_a_page_line_that_leaves_a_job_in_the_background_passes(
    project: pytest.Pytester, recorded: str
) -> None:
    text = "# Away\n\n<!-- timeout: 5 -->\n```console\n$ sleep 30 &\n$ echo after\nafter\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(passed=3)
    assert result.duration < 5


@AS_ROOT
def test_a_folder_the_line_names_is_entered_with_the_reader_s_rights(folder: Path) -> None:
    """The next line starts where the state file says, which the line wrote: root must not
    enter it for them (a world-readable file under a folder of root's, 0700)."""
    private = Path(tempfile.mkdtemp())  # 0700, root's
    try:
        (private / "sub").mkdir(mode=0o755)
        (private / "sub/secret.txt").write_text("root's secret\n")
        line_state = state(folder)
        moved = f'printf "%s\\0" {private}/sub >| "$__STATE"; env -0 >> "$__STATE"; exit 0'
        shell.run_line(moved, line_state)
        status, shown = shell.run_line("cat secret.txt", line_state)
        assert status != 0 and "root's secret" not in shown
        assert "can't cd" in shown
    finally:
        shutil.rmtree(private)


@AS_ROOT
def test_an_exported_tmpdir_does_not_move_the_state_file(folder: Path) -> None:
    """The state file is made in the TMPDIR the run gave: a TMPDIR the line exports (a link
    to a folder of root's) would have root make a file of the reader's there."""
    target = Path(tempfile.mkdtemp())
    target.chmod(0o755)  # root's: the reader may not write here
    try:
        line_state = state(folder)
        shell.run_line(f"ln -s {target} {folder}/link && export TMPDIR={folder}/link", line_state)
        # The link gone before the line ends: a file made through it would stay.
        with contextlib.suppress(shell.LineError):
            shell.run_line(f"rm {folder}/link && mkdir {folder}/link", line_state)
        assert list(target.iterdir()) == []
    finally:
        shutil.rmtree(target)


def test_a_line_whose_folder_is_gone_fails_in_one_line(folder: Path) -> None:
    line_state = state(folder)
    shell.run_line("mkdir sub && cd sub && rmdir ../sub", line_state)
    with pytest.raises(shell.LineError, match=r"`echo hi` cannot start: its folder .*/sub is gone"):
        shell.run_line("echo hi", line_state)


def test_a_line_that_prints_without_end_is_killed_at_the_limit(folder: Path) -> None:
    """Its output was kept whole, however much (220 MB in 20 s of `yes`), and went into the
    failure message."""
    with pytest.raises(shell.TooMuchOutput, match=r"^`yes` printed more than 8 MiB; killed$"):
        shell.run_line("yes", state(folder))


def test_a_line_killed_by_a_signal_ends_with_the_status_a_shell_shows(tmp_path: Path) -> None:
    """As the reader's own user (no namespace's shell waiting for it), a line killed by
    SIGTERM came back -15, which no page can show: a shell says 143."""
    line_state = shell.ShellState(tmp_path, {"PATH": os.defpath}, 30.0)
    status, _ = shell.run_line("kill -TERM $$", line_state)
    assert status == 143
