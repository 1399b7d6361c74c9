"""The terminal executor's python blocks: one interpreter per page, each block given to it
and read back within the block's timeout, whatever the block prints or does."""

import pytest

from docs_runner import shell
from tests.scratch_pages import run


def test_a_block_that_prints_the_old_end_marker_still_times_out(
    project: pytest.Pytester, recorded: str
) -> None:
    """The end of a block is marked with a token of the page's run, which no block prints
    by chance: printing the marker's words ends nothing."""
    text = (
        "# Early\n\n```python\nimport time\nprint('--- end of block ---', flush=True)\n"
        "time.sleep(30)\n```\n"
    )
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    result.assert_outcomes(failed=2, passed=1)  # the block, and the page's end after it
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: the python block ran longer than 2 s; killed. It printed:"]
    )
    assert result.duration < 20


@pytest.mark.timeout(120, method="signal")  # unfixed, the write blocks: fail, do not hang
def test_a_block_the_interpreter_does_not_read_times_out(
    project: pytest.Pytester, recorded: str
) -> None:
    """A block over a pipe's 64 KiB is written only as the interpreter reads it: stopped
    (here by a thread of the block before), it never does, and the block times out."""
    padding = "".join(f"# padding line {n:04} {'.' * 60}\n" for n in range(1200))
    text = (
        "# Stopped\n\n```python\nimport os, signal, threading\n"
        "threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGSTOP)).start()\n```\n\n"
        f"```console\n$ sleep 1\n```\n\n```python\n{padding}print('second')\n```\n"
    )
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    result.stdout.fnmatch_lines(["docs/page.md:14: the python block ran longer than 2 s; *"])
    assert result.duration < 20


def test_a_block_after_the_interpreter_ended_fails_in_one_line(
    project: pytest.Pytester, recorded: str
) -> None:
    text = (
        "# Gone\n\n```python\nimport os, threading\n"
        "threading.Timer(0.5, os._exit, (0,)).start()\n```\n\n"
        "```console\n$ sleep 1\n```\n\n```python\nprint('second')\n```\n"
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:14: the page's python interpreter ended before this block"]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("ending", "said"),
    [
        ("os._exit(1)", "exit status 1"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "exit status 137 (*death by SIGKILL)"),
    ],
    ids=["os._exit", "signal"],
)
@pytest.mark.parametrize("namespace", [True, False], ids=["pid-namespace", "plain"])
def test_a_block_that_ends_the_interpreter_otherwise_fails_with_its_status(
    project: pytest.Pytester,
    recorded: str,
    monkeypatch: pytest.MonkeyPatch,
    ending: str,
    said: str,
    namespace: bool,
) -> None:
    """No SystemExit, only the interpreter's status, as a reader's shell reports it: death
    by signal N is 128 + N, whether the process is the interpreter (Popen's -N) or, as root,
    a shell in a PID namespace of its own that waited for it (shell.spawn)."""
    if namespace and not shell.pid_namespaces():
        pytest.skip("no PID namespaces here (root only)")
    if not namespace:
        monkeypatch.setattr(shell, "pid_namespaces", lambda: False)
    text = f"# Ends\n\n```python\nimport os, signal\nprint('started')\n{ending}\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(failed=2, passed=1)  # the block, and the page's end not run
    result.stdout.fnmatch_lines(
        [f"docs/page.md:5: the python block ended the interpreter with {said}", ""],
        consecutive=True,
    )


def test_a_block_that_prints_without_end_is_killed_at_the_limit(
    project: pytest.Pytester, recorded: str
) -> None:
    text = "# Loud\n\n```python\nwhile True:\n    print('y' * 4096)\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: the python block printed more than 8 MiB; killed"]
    )
    assert len(result.stdout.str()) < 1_000_000


def test_a_block_is_handed_over_in_bytes_whatever_the_locale(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its size went in characters, read back in the locale's encoding: under LC_ALL=C a
    block with `€` in it was cut short, and said it had ended the interpreter."""
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("PYTHONUTF8", "0")
    text = (
        "# Euro\n\n```python\nprice = '5 €'\nprint(len(price))\n```\n\n"
        '```text title="Output"\n3\n```\n'
    )
    run(project, text, recorded).assert_outcomes(passed=4)
