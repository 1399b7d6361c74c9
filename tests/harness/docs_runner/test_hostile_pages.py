"""Pages written to harm the run, or by an unlucky hand: nothing they leave outlives the
run, nothing of the harness's reaches them, and what they print is read in linear time."""

import contextlib
import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from docs_runner import shell
from tests.processes import sleeping
from tests.scratch_pages import AS_ROOT, page, readers_folder, run, write
from throwaway_pg import postgres
from throwaway_pg.server import Server


def running(word: str) -> list[int]:
    """The processes whose command line holds `word`, but pytest's."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if word in text and "pytest" not in text:
                found.append(int(cmdline.parent.name))
    return found


def left_running(word: str) -> list[int]:
    """`running(word)` once the killed are gone (a moment, on a busy machine); kills
    what is left, so that one failure leaves nothing behind either."""
    deadline = time.monotonic() + 10
    while running(word) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = running(word)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@AS_ROOT
def test_a_line_sees_no_process_outside_its_own_and_forks_within_bounds(
    project: pytest.Pytester, recorded: str
) -> None:
    """It saw every process on the machine in /proc, and wrote into another `nobody`
    process's memory there (/proc/PID/mem: a server backend ran its code, outside any
    namespace); a fork bomb had the machine's every process ID to take."""
    text = (
        f"# Alone\n\n```console\n$ test -e /proc/{os.getpid()} && echo seen || echo unseen\n"
        "unseen\n$ awk '/Max processes/ {print $3}' /proc/self/limits\n"
        f"{shell.NPROC}\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@AS_ROOT
def test_a_line_whose_runner_is_killed_ends_with_it() -> None:
    """A worker killed outright (SIGKILL: none of our clean-up runs) left its line's
    namespace running: the change of user cleared unshare's --kill-child."""
    nobody = pwd.getpwnam("nobody")
    seconds = str(10 * 10**6 + os.getpid())
    popen = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
    folder = Path("/")  # one the reader may enter
    process, controller = shell.spawn(["sleep", seconds], folder, {"PATH": os.defpath}, **popen)
    try:
        # Until `sleep` itself runs: the wrappers' command lines name it before that.
        deadline = time.monotonic() + 30
        while not sleeping(seconds) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeping(seconds)
        os.kill(process.pid, signal.SIGKILL)  # unshare, as a killed worker's child
        process.wait()
    finally:
        os.close(controller)
    assert left_running(f"sleep {seconds}") == []


@AS_ROOT
def test_a_line_whose_whole_run_is_killed_ends_with_it(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest SIGKILLed (a CI cancel's last resort): unshare, whose death ends a line's
    namespace, was no child of its to die with it, and the line ran on."""
    seconds = str(11 * 10**6 + os.getpid())
    write(project, "page", page(f"# Long\n\n```console\n$ sleep {seconds}\n```\n", recorded))
    monkeypatch.delenv("THROWAWAY_PG_URL")  # a server of its own, which goes with it too
    argv = [sys.executable, "-m", "pytest", "docs/page.md", "-p", "no:cacheprovider"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    run_ = subprocess.Popen(argv, cwd=project.path, **quiet)
    try:
        deadline = time.monotonic() + 60
        while not sleeping(seconds) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeping(seconds)
    finally:
        run_.kill()
        run_.wait()
    assert left_running(f"sleep {seconds}") == []


def test_carriage_returns_after_a_wide_line_are_read_in_linear_time() -> None:
    """Each return copied the whole line: 1 MiB of tabs, then 30,000 returns, took 10 s
    after the line's timeout (4 MiB, within the output limit: the better part of an hour)."""
    assert shell.screen("abc\rX\r\rhello\r\thi") == "        hi"
    assert shell.screen("a\tb\rxy\rz") == "zy      b"
    wide = "\t" * (4 << 20) + "\rB" * 30_000
    started = time.monotonic()
    assert shell.screen(wide) == "B" + " " * (8 * (4 << 20) - 1)
    assert time.monotonic() - started < 10  # was over 40 s; linear, well under 1 s


def test_a_folder_tree_too_deep_to_walk_by_recursion_is_removed(
    project: pytest.Pytester, recorded: str
) -> None:
    """1,200 levels in the project and in $TMPDIR: walking the project for stale caches
    raised RecursionError after the line, and so did each removal, which left both trees
    (a run's, renamed discarded-*, then stopped every later run's sweep)."""
    name = f"deep{os.getpid()}"
    deep = f"{name}/$(printf 'd/%.0s' $(seq 1200))"  # no reader types it out
    text = f'# Deep\n\n```console\n$ mkdir -p "{deep}" "$TMPDIR/{deep}"\n$ echo after\nafter\n```\n'
    run(project, text, recorded).assert_outcomes(passed=3)
    places = [postgres.base_dir().glob(f"*/*/{name}"), Path("/tmp").glob(f"*/*/{name}")]
    assert [path for found in places for path in found] == []


@AS_ROOT
def test_a_fifo_where_a_file_block_writes_leaves_nothing_running(
    project: pytest.Pytester, recorded: str
) -> None:
    """The harness writes the reader's files as the reader: at the timeout, only the bash
    it ran was killed, and the `cat` blocked opening the FIFO outlived the run."""
    fifo = f"fifo-{os.getpid()}.txt"  # in no other test's file writes (another worker's)
    text = (
        f"# Fifo\n\n```console\n$ mkfifo {fifo}\n```\n\n"
        f'```python title="{fifo}"\n--8<-- "note.txt"\n```\n'
    )
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    result.stdout.fnmatch_lines([f"*{fifo} took over 2 s: not a file*"])
    assert left_running(fifo) == []


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("a FIFO", "not a regular file"),  # the rendering waited on it for ever
        ("a link to /dev/zero", "not in the examples folder*"),  # root's memory, all of it
        ("a link to a file elsewhere", "not in the examples folder*"),  # its first line shown
        ("not UTF-8", "not UTF-8 (byte 3)"),  # a traceback
    ],
)
def test_an_include_the_site_renders_is_a_small_regular_file_of_its_folder(
    project: pytest.Pytester, recorded: str, tmp_path: Path, kind: str, said: str
) -> None:
    """The site's rendering, which the runner compares with what it ran, reads every
    include as pymdownx.snippets does, following links: even one in a block that runs
    nothing, or whose include the runner had refused."""
    name = f"odd{os.getpid()}.txt"
    path = project.path / "docs" / name
    if kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "a link to a file elsewhere":
        (tmp_path / "secret").write_text("TOPSECRET\n")
        path.symlink_to(tmp_path / "secret")
    else:
        path.write_bytes(b"caf\xe9\n")
    text = f'# Odd\n\n<!-- norun: shown only -->\n```text\n--8<-- "{name}"\n```\n'
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [f'docs/page.md: the site cannot be rendered: --8<-- "{name}": {said}']
    )
    assert "TOPSECRET" not in result.stdout.str() and "Traceback" not in result.stdout.str()


def test_a_file_block_s_include_that_is_not_utf_8_is_one_line(
    project: pytest.Pytester, recorded: str
) -> None:
    name = f"latin{os.getpid()}.txt"
    (project.path / "examples" / name).write_bytes(b"caf\xe9\n")
    text = f'# Latin\n\n```python title="x.txt"\n--8<-- "{name}"\n```\n'
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines([f"docs/page.md:5: examples/{name}: not UTF-8 (byte 3)"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    "before",
    [
        "exit() { builtin exit 0; }; export -f exit",  # the runner's own exit, then
        "shopt -s expand_aliases; alias exit='builtin exit 0 #'",
        "builtin() { :; }; exit() { builtin exit 0; }; export -f builtin exit",
        "trap 'builtin exit 0' EXIT",
        # sourced before each later line, as no terminal's prompt does
        "echo 'trap \"builtin exit 0\" EXIT' > .hide; export BASH_ENV=$PWD/.hide",
        # a bash of its own first on PATH, which the runner started each later line with
        "mkdir -p fake; printf '#!/bin/sh\\nexit 0\\n' > fake/bash; chmod +x fake/bash;"
        " export PATH=$PWD/fake:$PATH",
        # the line's own state written for it (the runner's then written elsewhere): the
        # next line's bash took noexec from SHELLOPTS, which a terminal's prompt ignores
        'printf \'%s\\0SHELLOPTS=noexec\\0\' "$PWD" > "$__STATE"; __STATE=/dev/null',
        # or xtrace, whose PS4 ran as each of the runner's own commands was shown
        "printf '%s\\0SHELLOPTS=xtrace\\0PS4=%s\\0' \"$PWD\" '${__status+$((__status=0))}'"
        ' > "$__STATE"; __STATE=/dev/null',
    ],
    ids=[
        *("exit-function", "exit-alias", "builtin-function", "exit-trap", "bash-env"),
        *("fake-bash", "forged-noexec", "forged-xtrace"),
    ],
)
@pytest.mark.parametrize("same_line", [True, False], ids=["same-line", "next-line"])
def test_a_line_cannot_make_a_failing_line_pass(
    project: pytest.Pytester, recorded: str, before: str, same_line: bool
) -> None:
    """Each line runs in bash, then the runner's own commands, which read its exit status:
    a function, an alias or a trap the page left made them say 0."""
    lines = f"$ {before}; false" if same_line else f"$ {before}\n$ false"
    result = run(project, f"# Hide\n\n```console\n{lines}\n```\n", recorded)
    failing = f"{before}; false" if same_line else "false"
    assert f"`{failing}` exited with status 1;" in result.stdout.str()


@pytest.mark.parametrize("name", ["unset", "export"])
def test_a_function_a_line_exports_runs_in_none_of_the_runner_s_commands(
    project: pytest.Pytester, recorded: str, name: str
) -> None:
    """The loader's variables a page exported are exported back before each later line,
    by `export` and `unset`: outside POSIX mode, a function of the page's so named ran
    there, and its DEBUG trap made every later line pass. (A line that defines and calls
    one itself hides its own status, as `false || true` does: the page shows it.)"""
    defined = f"{name}() {{ trap '__status=0' DEBUG; builtin {name} \"$@\"; }}"
    text = f"# Hide\n\n```console\n$ export LD_HIDE=1; {defined}; export -f {name}\n$ false\n```\n"
    result = run(project, text, recorded)
    assert "`false` exited with status 1;" in result.stdout.str()


def test_what_a_page_exports_for_the_loader_reaches_its_programs_not_its_shell(
    project: pytest.Pytester, recorded: str
) -> None:
    """A terminal's prompt was started before a page's `export LD_PRELOAD=...`; the shell
    each later line started in was not: the loader acted on it (a library that made it exit
    0 made every line pass; one not there printed an error before every line's output)."""
    text = (
        "# Loader\n\n```console\n$ export LD_PRELOAD=/not/there.so\n$ echo hi\nhi\n"
        "$ sh -c 'echo \"$LD_PRELOAD\"' 2>/dev/null\n/not/there.so\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("greeting=hello", "sets shell variables (greeting) that no later line sees: export*"),
        ("set -o noclobber", "sets shell options that no later line has: join it to the line*"),
        ("alias ll='ls -l'", "sets aliases that no later line has: join it to the line*"),
        ("greeting=hello;", "sets shell variables (greeting) that no later line sees: export*"),
        ("declare greeting=hello", "sets shell variables that no later line has: join*"),
        ("umask 077", "sets the file mode mask that no later line has: join it*"),
        ("greet() { echo hello; }", "defines a function that no later line has: `export -f` it"),
    ],
)
def test_what_a_line_sets_that_no_later_line_has_is_one_line(
    project: pytest.Pytester, recorded: str, line: str, said: str
) -> None:
    """Each line runs in a bash of its own, which passes on the environment and the folder:
    `greeting=hello`, then `echo "$greeting"` showed an empty line, where a reader's
    terminal, which keeps its variables, options and aliases, shows `hello`."""
    text = f"# Kept\n\n```console\n$ export PATH=$PATH:/nowhere\n$ {line}\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines([f"docs/page.md:7: `{line}` {said} (each line runs in a bash*"])


def test_what_a_line_sets_that_later_lines_have_passes(
    project: pytest.Pytester, recorded: str
) -> None:
    """What only prints, or what each line has anyway, is no state a later line lacks."""
    text = (
        "# Kept\n\n```console\n$ greet() { echo hi; }; export -f greet\n"
        "$ declare -F greet\ngreet\n$ set -o pipefail\n$ f() { echo a; }; f; g() { :; }\na\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@AS_ROOT
def test_what_pages_leave_in_the_shared_folders_ends_with_the_run(
    project: pytest.Pytester, recorded: str
) -> None:
    """As root, a page's files in /tmp, /var/tmp, /dev/shm and /run/lock, and its System V
    IPC, outlived the run (its uid is the run's alone), and a folder named as another user's
    run names its own (/dev/shm/throwaway-pg-UID) locked that user's runs out."""
    name = f"left-{os.getpid()}-{time.monotonic_ns()}"
    left = [Path(root, name) for root in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")]
    made = " ".join(f"{path}/deep" for path in left)
    ipc = "(ipcmk -Q && ipcmk -M 4096 && ipcmk -S 1)"  # System V's, which outlived it too
    deep = f"{left[0]}/$(printf 'd/%.0s' $(seq 1500))"  # too deep to remove by recursion
    text = f"# Leaves\n\n```console\n$ mkdir -p {made} {deep} && {ipc} >/dev/null\n```\n"
    before = sysv_ipc()
    run(project, text, recorded).assert_outcomes(passed=3)
    assert [path for path in left if path.exists()] == []
    assert sysv_ipc() - before == set()


def sysv_ipc() -> set[tuple[str, str]]:
    """The machine's System V message queues, shared memory and semaphores, by kind and id."""
    found = set()
    for kind in ("msg", "shm", "sem"):
        rows = Path("/proc/sysvipc", kind).read_text().splitlines()[1:]
        found |= {(kind, row.split()[1]) for row in rows}
    return found


BUILTINS = ("exec", "compile", "print")
RAISED = "the python block raised"


@pytest.mark.parametrize(
    ("replaced", "said"),
    [
        *(
            (f"import builtins\nbuiltins.{name} = lambda *a, **k: None", RAISED)
            for name in BUILTINS
        ),
        # what the later blocks print, the interpreter's own markers too, filtered
        (
            "import sys\nclass Quiet:\n    def write(self, text):\n        return len(text)\n"
            "    def flush(self):\n        pass\nsys.stdout = sys.stderr = Quiet()",
            RAISED,
        ),
        # a stream whose flush, as a block fails, ends the interpreter at 0
        (
            "import sys\nclass Out:\n    def write(self, text):\n        return len(text)\n"
            "    def flush(self):\n        if sys.exc_info()[0]:\n            raise SystemExit(0)\n"
            "sys.stdout = Out()",
            RAISED,
        ),
        # a hook that ends it at 0 as the next block starts
        (
            "import os, sys\nsys.addaudithook(lambda e, a: os._exit(0) if e == 'exec' else None)",
            "the interpreter ended during the python block (exit status 0, no SystemExit)",
        ),
    ],
    ids=[*BUILTINS, "streams", "flush-exits", "audit-hook"],
)
def test_a_python_block_cannot_make_the_next_pass_unrun(
    project: pytest.Pytester, recorded: str, replaced: str, said: str
) -> None:
    """The blocks' interpreter ran each with the builtins and streams the blocks share: one
    that replaced `exec`, or sys.stdout, made every later block pass, run by none or its
    failure unseen (a reader's REPL runs it, and says so); one that ended the interpreter
    at 0 as the next ran made that one pass."""
    text = f"# Replaced\n\n```python\n{replaced}\n```\n\n```python\nassert False\n```\n"
    line = 9 + replaced.count("\n")  # the second block's fence, after the provenance line
    result = run(project, text, recorded, "--docs-executor=terminal")
    result.stdout.fnmatch_lines([f"*docs/page.md:{line}: {said}*"])


def test_a_function_a_line_exports_does_not_move_the_next_line(
    project: pytest.Pytester, recorded: str
) -> None:
    """The runner read the line's folder with `pwd`, which the page may define."""
    text = (
        "# Where\n\n```console\n$ mkdir -p sub; pwd() { echo /; }; export -f pwd\n"
        "$ ls -d sub\nsub\n$ echo $BASH_ENV, ${__HELD_BASH_ENV-unset}\n, unset\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


CHECK_THAT_STARTS = """
import subprocess
from docs_runner import check

@check("starts-the-project-s-script")
def starts(run):
    subprocess.run([run.shell.cwd / "start.sh"], check=True)
"""


@AS_ROOT
@pytest.mark.parametrize("away", ["setsid", "setsid env -i"])
def test_what_a_check_starts_ends_with_it(
    project: pytest.Pytester, recorded: str, away: str
) -> None:
    """A check runs what the page left (its .venv's python, its migrations): what that
    started in a session of its own outlived the run when no line came after, and with
    `env -i` (no marker for the sweep) whatever came after."""
    project.makeconftest(CHECK_THAT_STARTS)
    seconds = str((8 + len(away)) * 10**6 + os.getpid())
    script = f"'#!/bin/sh' '{away} sleep {seconds} </dev/null >/dev/null 2>&1 &' 'sleep 1'"
    text = (
        f"# Check last\n\n```console\n$ printf '%s\\n' {script} > start.sh\n"
        "$ chmod +x start.sh\n```\n\n<!-- check: starts-the-project-s-script -->\n"
    )
    run(project, text, recorded).assert_outcomes(passed=4)
    assert left_running(f"sleep {seconds}") == []


CHECK_THAT_READS_ITS_MEMORY = """
import ctypes
import os
from pathlib import Path
from docs_runner import check

@check("has-none-of-the-loader-s-variables")
def loader(run):
    given = sorted(k for k in os.environ if k.startswith(("LD_", "GCONV")))
    assert given == [], given
    assert run.shell.env["LD_BIND_NOW"] == "1"  # the page's own, for a check that needs it

@check("reads-the-environment-it-started-with")
def reads(run):
    fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end: on its stack
    block = ctypes.string_at(start, end - start)
    assert b"gold-bars" not in block, block.decode(errors="replace")
"""


@AS_ROOT
def test_a_check_has_no_memory_of_root_s(
    project: pytest.Pytester,
    recorded: str,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: Server,
) -> None:
    """A check ran in a fork of root's pytest: what a page's migration it imports runs
    could read root's memory, its environment from the start on the stack among it."""
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.shared_url())  # another process
    monkeypatch.setenv("ROOTS_SECRET", "gold-bars")  # in the run's environment from its start
    project.makeconftest(CHECK_THAT_READS_ITS_MEMORY)
    write(
        project,
        "page",
        page("# Memory\n\n<!-- check: reads-the-environment-it-started-with -->\n", recorded),
    )
    result = project.runpytest_subprocess("docs/page.md", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


@AS_ROOT
def test_root_runs_none_of_the_page_s_tools_and_none_of_its_variables(
    project: pytest.Pytester, recorded: str
) -> None:
    """The tools that start a line as the reader (nsenter, unshare, prlimit, setpriv) run
    as root, and were looked up on the page's PATH, with the page's variables: a page's own
    `nsenter` first on its PATH ran as root, and so would have an LD_PRELOAD of its."""
    with readers_folder() as shared:  # where the reader may write, unlike tmp_path
        fake = "".join(
            f"$ printf '#!/bin/sh\\nid -u >> {shared}/ran-{tool}\\nexec /usr/bin/{tool} \"$@\"\\n'"
            f" > {shared}/{tool} && chmod 755 {shared}/{tool}\n"
            for tool in ("nsenter", "unshare", "prlimit", "setpriv", "bash")
        )
        text = (
            f"# Tools\n\n```console\n{fake}$ export PATH={shared}:$PATH\n"
            f"$ export LD_DEBUG=files LD_DEBUG_OUTPUT={shared}/ld\n"
            "$ echo next\nnext\n```\n"
        )
        result = run(project, text, recorded)
        ran = sorted(path.name for path in shared.glob("ran-*"))
        traced = {path.stat().st_uid for path in shared.glob("ld.*")}
    result.assert_outcomes(passed=3)
    assert ran == []  # not bash either: each line runs in the bash the run found
    assert traced and 0 not in traced  # the reader's programs saw LD_DEBUG; root's did not


@AS_ROOT
def test_a_page_s_loader_variables_do_not_reach_its_checks(
    project: pytest.Pytester, recorded: str
) -> None:
    """A check's interpreter took the page's variables: an LD_PRELOAD of the page's wrote a
    passing report for every check, which never ran."""
    project.makeconftest(CHECK_THAT_READS_ITS_MEMORY)
    text = (
        "# Loader\n\n```console\n$ export LD_BIND_NOW=1 GCONV_PATH=/tmp\n```\n\n"
        "<!-- check: has-none-of-the-loader-s-variables -->\n"
    )
    run(project, text, recorded).assert_outcomes(passed=4)


def test_a_line_sees_its_variables_and_its_end_as_a_terminal_shows_them(
    project: pytest.Pytester, recorded: str
) -> None:
    """When the first process of a line's namespace became bash (to take the page's
    variables from a descriptor), an exported SHELLOPTS was lost (read-only in bash), and a
    line killed by a signal showed that bash's `line 1: 2 Killed "$@"`. Not as root, the
    shell that enters the line's folder became the command: nothing said `Killed`."""
    text = (
        "# Options\n\n```console\n$ set -o errexit; export SHELLOPTS\n"
        "$ echo \"$SHELLOPTS\" | tr : '\\n' | grep -x errexit\nerrexit\n"
        "$ kill -9 $$  # fails (exit status 137)\nKilled\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@AS_ROOT
def test_a_check_module_the_reader_cannot_import_is_one_line(
    project: pytest.Pytester, recorded: str
) -> None:
    """As root a check runs in the reader's Python, whose virtualenv lacks what the suite's
    holds (pytest-xdist): its module's ImportError came as a traceback from a copy."""
    project.makeconftest(
        "import xdist\nfrom docs_runner import check\n\n@check('any')\ndef any(run):\n    pass\n"
    )
    result = run(project, "# Import\n\n<!-- check: any -->\n", recorded)
    result.stdout.fnmatch_lines(
        [
            "*the check's module conftest cannot be imported in the reader's Python (*): "
            "No module named 'xdist'; a check module may import*"
        ]
    )


def test_a_page_s_optind_does_not_break_its_next_lines(
    project: pytest.Pytester, recorded: str
) -> None:
    """sh, which starts each line, refused the page's `export OPTIND=-1`: every later line
    failed, blamed on the next one. bash sets OPTIND anew; a reader's terminal shows nothing."""
    text = "# Opt\n\n```console\n$ export OPTIND=-1\n$ echo next\nnext\n```\n"
    run(project, text, recorded).assert_outcomes(passed=3)


def test_an_exported_function_reaches_the_next_line(
    project: pytest.Pytester, recorded: str
) -> None:
    """`export -f` puts a function in the environment, under a name no sh may export
    (`BASH_FUNC_greet%%`): the next line's bash did not get it, where a reader's does."""
    text = (
        '# Functions\n\n```console\n$ greet() { echo "hello, $1"; }; export -f greet\n'
        "$ bash -c 'greet reader'\nhello, reader\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


def test_what_a_line_printed_reaches_the_report_with_its_controls_escaped(
    project: pytest.Pytester, recorded: str
) -> None:
    """A failure's diff, and a timeout's "It printed", carried a line's escape sequences
    to the developer's terminal as they were: OSC 52 set its clipboard, others moved the
    cursor up and erased the line above."""
    printf = "printf '\\033]52;c;ZWNobw==\\007\\033[1A\\033[2Kclean\\n'"
    text = f"# Escapes\n\n```console\n$ {printf}\nclean\n$ {printf}; sleep 9\n```\n"
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    result.assert_outcomes(passed=1, failed=2)  # the block, and the page's end
    output = result.stdout.str()
    assert "\x1b" not in output and "\x07" not in output
    assert output.count("+\\x1b]52;c;ZWNobw==\\x07\\x1b[1A\\x1b[2Kclean") == 1  # the diff
    assert "It printed:\n\\x1b]52;c;ZWNobw==\\x07\\x1b[1A\\x1b[2Kclean" in output


def test_the_harness_s_environment_reaches_no_page(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root's environment went to the pages' lines (as nobody): a developer's libpq
    variables and other databases' URLs would move them, BASH_ENV ran a file before each
    line, and a cloud key, a token or an index's password was theirs to print."""
    sourced = project.path / "sourced.sh"
    sourced.write_text("echo sourced\n")
    sourced.chmod(0o644)
    for name, value in {
        "PGOPTIONS": "-c search_path=elsewhere",
        "PGPASSWORD": "s3cret",
        "REPORTING_DATABASE_URL": "postgresql://me:s3cret@prod/reporting",
        "AWS_SECRET_ACCESS_KEY": "s3cret",
        "BASH_ENV": str(sourced),
        **{name: "s3cret" for name in ("DB_PASS", "MYSQL_PWD", "GH_PAT", "CI_JOB_JWT")},
        "SQLALCHEMY_DATABASE_URI": "postgresql://me@prod/app?x=s3cret",
        "SENTRY_DSN": "https://s3cret@sentry.example/1",
        "PIP_INDEX_URL": "https://me:s3cret@pypi.example/simple",
        # a password as libpq also takes one: in a URL's query, in a conninfo string
        "APP_CONN": "postgresql://app@db.example/app?sslmode=require&password=s3cret",
        "APP_CONNINFO": "host=db.example user=app password = s3cret",
    }.items():
        monkeypatch.setenv(name, value)
    line = "env | grep -e s3cret -e elsewhere -e sourced || echo none"
    text = f"# Env\n\n```console\n$ {line}\nnone\n```\n"
    run(project, text, recorded).assert_outcomes(passed=3)


def test_libpq_s_variables_do_not_move_the_harness_s_connections(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq lets PGHOSTADDR win over a socket's host= in the URL: the harness took its
    connections, and its password file's password, to whatever listened there."""
    monkeypatch.setenv("PGHOSTADDR", "127.0.0.1")
    monkeypatch.setenv("PGPORT", "9")
    text = "# Here\n\n```console\n$ psql \"$DATABASE_URL\" -tAc 'select 1'\n1\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["PostgreSQL: left out PGHOSTADDR, PGPORT: libpq would read *"])


def running_page(
    project: pytest.Pytester, text: str, server: Server, command: str, monkeypatch
) -> subprocess.Popen:
    """A run of the page `text` in another process (on a server it may reach), once
    `command`, which one of its blocks starts, is running (or after 60 s)."""
    write(project, "page", text)
    monkeypatch.setenv("THROWAWAY_PG_URL", server.shared_url())  # another process
    argv = [sys.executable, "-m", "pytest", "docs/page.md", "-p", "no:cacheprovider"]
    process = project.popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not running(command) and time.monotonic() < deadline:
        time.sleep(0.1)
    return process


@AS_ROOT
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_while_the_page_s_interpreter_closes_still_ends_it(
    project: pytest.Pytester,
    recorded: str,
    signum: signal.Signals,
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A block left a thread running, so the page's end waits for its interpreter: a
    SIGTERM in that wait skipped the kills after it, and a closed terminal's SIGHUP
    killed pytest before any teardown."""
    seconds = str(9 * 10**6 + os.getpid() + signum)
    text = (
        "# Thread\n\n```python\nimport subprocess, threading\n"
        f"threading.Thread(target=subprocess.run, args=(['sleep', '{seconds}'],)).start()\n```\n"
    )
    page_text, sleeping = page(text, recorded), f"sleep {seconds}"
    process = running_page(project, page_text, postgres_server, sleeping, monkeypatch)
    try:
        time.sleep(2)  # the block is done: the page's end waits for the interpreter
        process.send_signal(signum)
        output = process.communicate(timeout=60)[0].decode()
    finally:
        process.kill()
    assert left_running(f"sleep {seconds}") == []
    assert f"KeyboardInterrupt: signal {int(signum)}" in output


@AS_ROOT
def test_a_stop_signal_during_a_python_block_ends_the_run_at_once(
    project: pytest.Pytester, recorded: str, postgres_server: Server, monkeypatch
) -> None:
    """The page's end waited up to 10 s for the interpreter to finish a block it was still
    running, before it killed it: a cancelled run took that long to stop."""
    seconds = str(8 * 10**6 + os.getpid())
    text = f"# Busy\n\n```python\nimport subprocess\nsubprocess.run(['sleep', '{seconds}'])\n```\n"
    page_text, sleeping = page(text, recorded), f"sleep {seconds}"
    process = running_page(project, page_text, postgres_server, sleeping, monkeypatch)
    try:
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        assert time.monotonic() - signalled < 8
    finally:
        process.kill()
    assert left_running(f"sleep {seconds}") == []


def test_a_lock_held_elsewhere_is_one_line_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lock files were 0644, and a `flock` needs only to open one: the reader (nobody)
    held one for ever, and every later run as root waited for it, silently."""
    from docs_runner import venvs

    lock = tmp_path / "venv-x.lock"
    lock.write_text("")
    lock.chmod(0o644)  # as made before
    with venvs.locked(lock):
        assert lock.stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(venvs, "LOCK_WAIT", 0.5)
    holder = subprocess.Popen(["flock", lock, "sleep", "30"])
    try:
        deadline = time.monotonic() + 10
        while venvs._took(os.open(lock, os.O_RDONLY)) and time.monotonic() < deadline:
            time.sleep(0.05)  # until flock holds it (a probe's lock goes with its fd)
        with pytest.raises(venvs.VenvError) as error, venvs.locked(lock):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert str(error.value) == (
        f"{lock} stayed locked for 0.5 s: another run builds there, or a process holds it "
        f"(fuser {lock})"
    )


def on_server(server: Server, *statements: str, url: str | None = None) -> list[tuple]:
    """What the last of `statements` returns, run as the server's admin (or on `url`)."""
    with postgres.admin_connection(url or server.admin_url) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        return cur.fetchall() if cur.description else []


def role_settings(server: Server) -> dict[str, list[str]]:
    """The pages' role's session defaults: database ('' for all) -> its settings."""
    return {
        database: sorted(config)
        for database, config in on_server(
            server,
            "SELECT coalesce(d.datname, ''), s.setconfig FROM pg_db_role_setting s"
            " LEFT JOIN pg_database d ON d.oid = s.setdatabase"
            f" WHERE s.setrole = '{pages_role(server)}'::regrole",
        )
    }


def pages_role(server: Server) -> str:
    """The role pages connect as: scratch on a throwaway server, else the URL's."""
    return on_server(server, "SELECT current_user", url=server.owner_url)[0][0]


ROLE_SETTINGS = (
    "ALTER ROLE CURRENT_USER SET datestyle = 'SQL, DMY'",
    "ALTER ROLE CURRENT_USER SET search_path = elsewhere",
    "ALTER ROLE CURRENT_USER RESET work_mem",
    "ALTER ROLE CURRENT_USER IN DATABASE {database} SET default_transaction_read_only = on",
    "ALTER ROLE CURRENT_USER SET default_transaction_read_only = on",
)


def test_the_role_settings_a_page_changes_are_put_back_and_fail_it(
    project: pytest.Pytester, recorded: str, postgres_server: Server
) -> None:
    """Any role may change its own session defaults: page a's reached page b (which showed
    dates otherwise), outlived the run (on a user's server, the developer's own role), and a
    read-only default stopped the harness's own connections (b's scratch database). The
    page's end puts back what it found, a list of quoted names too, and says so in a line."""
    role, database = pages_role(postgres_server), make_url(postgres_server.admin_url).database
    alter = f"ALTER ROLE {role}"
    on_server(
        postgres_server,
        f"{alter} SET work_mem = '5MB'",
        f"{alter} SET search_path = '$user', public, 'odd \"name'",
    )
    try:
        found = role_settings(postgres_server)
        lines = " ".join(f'-c "{s.format(database=database)}"' for s in ROLE_SETTINGS)
        a = f'# A\n\n```console\n$ psql "$DATABASE_URL" -q {lines}\n```\n'
        b = '# B\n\n```console\n$ psql "$DATABASE_URL" -tAc "select date \'2020-01-02\'"\n'
        write(project, "a", page(a, recorded))
        write(project, "b", page(b + "2020-01-02\n```\n", recorded))
        result = project.runpytest_inprocess("docs/a.md", "docs/b.md")
        result.assert_outcomes(passed=6, errors=1)
        result.stdout.fnmatch_lines(
            [
                f"docs/a.md: the page left the role {role}'s settings changed (ALTER ROLE ... "
                "SET DateStyle, ALTER ROLE ... SET default_transaction_read_only, ALTER ROLE "
                "... SET search_path, ALTER ROLE ... RESET work_mem, ALTER ROLE ... IN DATABASE"
                f" {database} SET default_transaction_read_only), reset: pages must leave the "
                "server as they found it"
            ]
        )
        assert role_settings(postgres_server) == found
    finally:
        names = ("DateStyle", "search_path", "work_mem", "default_transaction_read_only")
        resets = [f"{alter} RESET {name}" for name in names]
        database_reset = f"{alter} IN DATABASE {database} RESET default_transaction_read_only"
        on_server(postgres_server, *resets, database_reset)


def databases(server: Server) -> dict[str, str]:
    """The server's databases and their owners."""
    return dict(on_server(server, "SELECT datname, datdba::regrole::text FROM pg_database"))


def test_a_session_a_page_leaves_running_ends_with_it(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's processes end with it, but a session of theirs that runs a statement goes
    on (the server reads its connection only when the statement ends): forty of them held
    the connection slots, and their locks, through the later pages."""
    monkeypatch.delenv("THROWAWAY_PG_URL")  # the run's own server, whose role is the pages'
    psql = 'psql "$DATABASE_URL" -c "\\\\c postgres" -c "select pg_sleep(3600) as left_behind"'
    a = f"# A\n\n```console\n$ ({psql} >/dev/null 2>&1 &); sleep 1\n```\n"  # not its database
    query = "select count(*) from pg_stat_activity where query like '%as left_behind'"
    b = f'# B\n\n```console\n$ psql "$DATABASE_URL" -tAc "{query}"\n0\n```\n'
    write(project, "a", page(a, recorded))
    write(project, "b", page(b, recorded))
    project.runpytest_inprocess("docs/a.md", "docs/b.md").assert_outcomes(passed=6)


@pytest.mark.parametrize("server", ["throwaway", "yours"])
def test_a_database_a_page_makes_fails_it_and_is_dropped_on_the_harness_s_server(
    server: str,
    project: pytest.Pytester,
    recorded: str,
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A role that may make scratch databases may make any: page a's reached page b, and
    outlived the run on a user's server. Its end says so in a line, and on the harness's
    own server drops it; on yours it is kept, as you may have made it meanwhile, as the
    same role. The databases the harness made for it (<!-- database: -->) are no page's
    doing."""
    if server == "throwaway":
        monkeypatch.delenv("THROWAWAY_PG_URL")  # the run's own
    stash = f"stash_{os.getpid()}"
    a = (
        "# A\n\n<!-- database: REPORTING_DATABASE_URL -->\n\n```console\n"
        f'$ psql "$DATABASE_URL" -qc "CREATE DATABASE {stash}"\n'
        f'$ psql "$DATABASE_URL" -qc "\\\\c {stash}" -c "CREATE TABLE t AS SELECT 1 AS x"\n'
        '$ psql "$REPORTING_DATABASE_URL" -tAc "select 1"\n1\n```\n'
    )
    query = f"select count(*) from pg_database where datname = '{stash}'"
    b = f'# B\n\n```console\n$ psql "$DATABASE_URL" -tAc "{query}"\n0\n```\n'
    write(project, "a", page(a, recorded))
    write(project, "b", page(b, recorded))
    try:
        result = project.runpytest_inprocess("docs/a.md", "docs/b.md")
        said = f"docs/a.md: the page left a database {stash} it made, dropped: pages must leave"
        if server == "yours":
            said = (
                f"docs/a.md: the page left databases made as this role while it ran ({stash}),"
                " kept: on your server they may be yours; drop those that are the page's:"
                " pages must leave"
            )
        result.stdout.fnmatch_lines([f"{said} the server as they found it"])
        result.assert_outcomes(
            passed=7 if server == "throwaway" else 5,
            errors=1,
            failed=0 if server == "throwaway" else 2,
        )
        assert (stash in databases(postgres_server)) is (server == "yours")
    finally:
        postgres.drop_database(postgres_server.admin_url, stash)


@pytest.mark.parametrize(
    "package",
    [
        "./evilpkg",
        "evil @ file:///tmp/evil",
        "--index-url=http://x",
        "evil.tar.gz",
        "evil.tar.gz[x]",
        "evil.zip;os_name=='posix'",
        "evil.tlz",
        "alembic>=1.0",
    ],
)
def test_a_virtualenv_installs_only_requirements_from_the_package_index(package: str) -> None:
    """A notebook's install line names what its virtualenv holds: a path in it had pip run
    that folder's setup.py as the harness's user, root."""
    from docs_runner import venvs

    with pytest.raises(venvs.VenvError) as error:
        venvs.cached(sys.executable, ["alembic==1.20.1", package])
    said = f"not a pin of a project on the package index (name==version): {package!r}"
    assert str(error.value) == said


def test_as_root_a_virtualenv_takes_only_wheels(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pin on the index with no wheel for this platform (psycopg2 has Windows wheels
    only) was built from its sdist: its setup.py ran as root, though pages run as nobody."""
    from docs_runner import venvs

    monkeypatch.setattr(venvs.os, "geteuid", lambda: 0)
    with pytest.raises(venvs.VenvError) as error:
        venvs.cached(sys.executable, ["psycopg2==2.9.10"])
    assert str(error.value) == (
        "cannot build a virtualenv with psycopg2==2.9.10: ERROR: No matching distribution "
        "found for psycopg2==2.9.10 (as root, wheels only: building one would run its code "
        "as root)"
    )
