"""Run a console line in bash on a terminal, as a reader's terminal would, keeping its effects.

A reader types the pages' commands into a terminal, and programs write otherwise there than
into a pipe: Alembic indents what it reports by two spaces and wraps it at the terminal's
width, `ls` lays names out in columns, pytest and squawk add colour. So every line runs on a
pseudo-terminal of COLUMNS x ROWS, its stdout and stderr interleaved as the screen shows
them. `export`, `source .venv/bin/activate`, `set -a; . ./.env` and `cd` change the state
that later lines see, so each line's resulting environment and directory are read back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import re
import secrets
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docs_runner.grammar import continues
from docs_runner.normalise import PATHS
from throwaway_pg import identities
from throwaway_pg.postgres import read_untrusted
from throwaway_pg.server import PASSFILE_VARIABLE, libpq_variable

COLUMNS, ROWS = 80, 24  # a new terminal window's size: 80 columns, 24 rows
TERM = "xterm-256color"  # what terminal emulators set

STATE_LIMIT = 4 << 20  # bytes of a line's environment read back: far more than any has
# After the reader's line (which is whole: `unfinished`): keep its exit status, write the
# directory and the environment, NUL-separated, into the state file (`>|`: over noclobber).
# The line may have defined functions or aliases named as what this runs (`exit() { builtin
# exit 0; }` made every failing line pass), or an EXIT trap: POSIX mode finds the special
# builtins (unset, trap, exit) before any function, a backslash skips aliases, and the
# functions it would call are removed first. Not in POSIX mode, pwd names a folder a line
# removed (as a terminal's does), which the next line then says is gone.
_EPILOGUE = (
    "\n__status=$?; POSIXLY_CORRECT=y; \\unset -f builtin pwd printf; \\trap - EXIT;"
    ' \\unset POSIXLY_CORRECT; \\builtin pwd >| "$__STATE"; \\builtin printf "\\0" >> "$__STATE";'
    ' /usr/bin/env -0 >> "$__STATE" 2>/dev/null; POSIXLY_CORRECT=y; \\exit $__status\n'
)
# What a page exports that would act on the shell each line starts in, which a terminal's
# prompt started before: bash sources $BASH_ENV (`trap "exit 0" EXIT` in it made every
# later line pass), the loader and libc read LD_PRELOAD and the like (a library that made
# bash exit 0). Each reaches the line under another name, exported back as the line starts,
# for what it runs, as in a terminal.
_STARTUP = re.compile(r"BASH_ENV|LD_\w+|GLIBC_TUNABLES|GCONV_PATH|LOCPATH|MALLOC_\w+")
_HELD = "__HELD_"

# Variables bash sets itself (or we set for the run): never carried to the next line.
_BASH_OWN = {"__STATE", "PYTHONUNBUFFERED", "_", "SHLVL", "PWD", "OLDPWD"}
# The shell each line runs in, named once: a `bash` the page put first on PATH made every
# later line pass (a terminal's shell is the one it started with).
BASH = shutil.which("bash") or "/bin/bash"


class LineError(RuntimeError):
    """A line (or a python block) could not be run as the page shows it: one line saying
    why, for the page's line."""


class CommandTimeout(LineError):
    """A line ran longer than its timeout; its whole process group was killed."""


class TooMuchOutput(LineError):
    """A line printed more than OUTPUT_LIMIT; its whole process group was killed."""


# What a line or a python block may print: more is no page's, and would fill our memory.
OUTPUT_LIMIT = 8 << 20


@functools.cache
def unfinished(line: str) -> str | None:
    """Why `line` is no whole command that bash runs as it stands, if it is not: bash would
    read on past it (`false &&`, `false |`, an open quote), a here-document has no lines of
    its own to read, or it is no command at all (`echo )`). The runner's own epilogue after
    it must never become part of it."""
    if continues(line):
        return "its trailing \\ continues it past the block's end"
    status, said = _parsed(line)
    if status == 0 and not said:
        return None
    first = said.splitlines()[0] if said else f"exit status {status}"
    return "bash: " + re.sub(r"^bash: (-c: )?line \d+: ", "", first)


# A shell variable's assignment, as bash tells one from a command's word.
_ASSIGNS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", re.S)
# A line that only defines a function: `greet() { echo hello; }`, `function greet { ...; }`.
_DEFINES = re.compile(
    r"(\s*(function\s+[\w-]+\s*(\(\))?|[\w-]+\s*\(\))\s*(\{[^{}]*\}|\([^()]*\))\s*;?)+\s*"
)
# Commands that set only the shell's own state, which a terminal's prompt keeps, given
# arguments (without, most print it).
_SHELL_STATE = {
    "set": "shell options",
    "shopt": "shell options",
    "alias": "aliases",
    "umask": "the file mode mask",
    "ulimit": "limits",
    **dict.fromkeys(("declare", "typeset", "readonly", "local"), "shell variables"),
}


def forgotten(line: str, env: Mapping[str, str]) -> str | None:
    """Why no later line sees what `line` sets, if that is all it does: each line runs in a
    bash of its own, which passes on the environment (`env`, the line's) and the folder,
    and a terminal's prompt keeps its shell variables (`name=value`), options (`set -o`),
    aliases, functions, umask and limits too: the next line showed what a reader's
    terminal does not."""
    line = line.strip().removesuffix(";")
    if _DEFINES.fullmatch(line):
        return "defines a function that no later line has: `export -f` it"
    if re.search(r"[;&|`]|\$\(", line):
        return None  # more than one command: it may use what it sets itself
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    if words and all(_ASSIGNS.fullmatch(word) for word in words):
        names = [re.split(r"[\[+=]", word, maxsplit=1)[0] for word in words]
        if lost := [name for name in names if name not in env]:  # else exported already
            said = ", ".join(lost)
            return f"sets shell variables ({said}) that no later line sees: export them"
    kind = _SHELL_STATE.get(words[0]) if words else None
    if kind and not _prints(words) and not _carried(words):
        return f"sets {kind} that no later line has: join it to the line that needs them"
    return None


def _carried(words: list[str]) -> bool:
    """Whether what a _SHELL_STATE command sets reaches the next line after all: exported
    (`declare -x`), or what every line has (`set -o pipefail`)."""
    if words[0] == "set":
        return words[1:] == ["-o", "pipefail"]
    return any(re.fullmatch(r"-\w*x\w*", word) for word in words[1:])


def _prints(words: list[str]) -> bool:
    """Whether a _SHELL_STATE command only prints what it would set: `set -o`, `shopt
    globstar`, `alias ll`, `ulimit -n`, `umask -S`, `declare -p x`, `declare -f greet`."""
    name, args = words[0], words[1:]
    if name == "set":
        return args in ([], ["-o"], ["+o"])
    if name == "alias":
        return not any("=" in arg for arg in args)
    if name == "ulimit":
        return not any(re.fullmatch(r"\d+|unlimited|soft|hard", arg) for arg in args)
    if name == "shopt":
        return not {"-s", "-u"} & set(args)
    return bool({"-p", "-f", "-F"} & set(args)) or all(arg.startswith("-") for arg in args)


# Where a `#` may start a comment: at a word's start, after a blank or an operator.
_MAY_COMMENT = re.compile(r"(?:^|(?<=[\s;&|()<>]))#")


def may_comment(line: str) -> list[re.Match]:
    """Each `#` of `line` that may start a comment, which bash is asked of."""
    return list(_MAY_COMMENT.finditer(line))


@functools.cache
def shell_comment(line: str) -> str | None:
    """The comment `line` ends with, or None. Bash decides where one starts (a `#` that
    begins a word outside quotes and substitutions: `echo "$(echo "it's")" # note`): cut
    at a comment's `#`, the line reads the same with a quote after it, which the comment
    holds; inside quotes, a `'` or a `"` would close one."""
    for candidate in may_comment(line):
        head = line[: candidate.end()]
        verdict = _parsed(head)
        if all(_parsed(head + quote) == verdict for quote in "'\""):
            return line[candidate.start() :]
    return None


def _parsed(line: str) -> tuple[int, str]:
    """Bash's verdict on `line` (exit status, what it said), only parsed (-n): nothing
    runs, in no one's environment."""
    checked = subprocess.run(
        ["bash", "-n", "-c", line], env={"LC_ALL": "C"}, cwd="/", capture_output=True, text=True
    )
    return checked.returncode, checked.stderr.strip()


@dataclass
class ShellState:
    cwd: Path
    env: dict[str, str]
    timeout: float = 300.0  # seconds a line may run
    popen: dict = field(default_factory=dict)  # user=, group=: run as the reader (reader.py)
    python: str = sys.executable  # the reader's, which runs database checks as them
    prefixes: dict[str, str] = field(default_factory=lambda: dict(PATHS))  # its Python's
    # In the name of each line's state file ($__STATE), which what a line starts inherits:
    # what left the line's process group (setsid) is still found by it.
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    # Where the state files go: the TMPDIR the run gave, never one a line exported (root
    # would make a file of the reader's wherever that named).
    state_dir: str = ""

    def __post_init__(self) -> None:
        self.state_dir = self.state_dir or self.env.get("TMPDIR") or tempfile.gettempdir()


def open_terminal() -> tuple[int, int]:
    """(controller, terminal) file descriptors of a new pseudo-terminal, COLUMNS x ROWS, that
    passes output through as written (no \\n -> \\r\\n: the screen looks the same)."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    attributes = termios.tcgetattr(terminal)
    attributes[1] &= ~termios.ONLCR
    termios.tcsetattr(terminal, termios.TCSANOW, attributes)
    return controller, terminal


# The folder a line starts in is named by the line before (the reader's): entered with the
# reader's rights, by a shell that waits for the command, as ENTER_AND_WAIT's: a command a
# signal ends is then said (`Killed`), as the reader's terminal says it.
ENTER = ["/bin/sh", "-c", 'cd -- "$0" || exit 126; "$@"']


def spawn(
    argv: list[str], cwd: Path, env: Mapping[str, str], **kwargs
) -> tuple[subprocess.Popen, int]:
    """Start `argv` in a session of its own with a new terminal as its stdin, stdout and
    stderr; returns the process and the terminal's controller descriptor. (Not its
    controlling terminal: that takes a preexec_fn, unsafe in a threaded pytest; programs
    that open /dev/tty, like less, then read from stderr, the same terminal.)"""
    controller, terminal = open_terminal()
    chain, kwargs = namespace(kwargs)
    # Not OPTIND: bash sets it anew, and sh refused a page's `export OPTIND=-1` (every
    # later line failed, blamed on the next one).
    env = {"TERM": TERM, **{k: v for k, v in env.items() if k != "OPTIND"}}
    # Names no sh may export (`export -f`'s `BASH_FUNC_greet%%`, `a-b`), which bash keeps,
    # go to the command's own environment by env(1): the shell before it drops them.
    if only_bash := [f"{k}={v}" for k, v in env.items() if _ONLY_BASH.fullmatch(k)]:
        argv = [identities.tool("env"), "--", *only_bash, *argv]
    stdin = terminal
    if chain:  # root's tools start it: none may see the page's variables (LD_PRELOAD)
        stdin = _exports(env)  # which ENTER_AND_WAIT takes from there, as the reader
        argv = [*chain, *ENTER_AND_WAIT, str(cwd), *argv]
        env = {"PATH": identities.SYSTEM_TOOLS}
    else:
        argv = [*ENTER, str(cwd), *argv]
    try:
        process = subprocess.Popen(
            argv,  # not cwd=: Python enters it before it changes user
            cwd="/",
            env=env,
            stdin=stdin,
            stdout=terminal,
            stderr=terminal,
            start_new_session=True,  # its own process group, killed whole
            **kwargs,
        )
    except BaseException:
        os.close(controller)
        raise
    finally:
        os.close(terminal)
        if stdin != terminal:
            os.close(stdin)
    return process, controller


def _exports(env: Mapping[str, str]) -> int:
    """A descriptor of an anonymous file that exports `env` to a shell that sources it
    (names no shell can export, like `a-b`, are left out: spawn hands them over)."""
    fd = os.memfd_create("environment", os.MFD_CLOEXEC)
    lines = (f"export {k}={shlex.quote(v)}\n" for k, v in env.items() if _NAME.fullmatch(k))
    os.write(fd, "".join(lines).encode(errors="surrogateescape"))
    return fd


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ONLY_BASH = re.compile(r"(?![A-Za-z_][A-Za-z0-9_]*$)[^=]+")  # a name, but none sh takes


# Another user's command runs as the first process of a PID namespace of its own: when it
# ends, the kernel kills every process it left, whatever that did to leave (a session of
# its own, `env -i`, a chain of forks faster than any sweep). With a /proc of its own, it
# sees no process outside (a line wrote into another nobody process's /proc/PID/mem); with
# System V IPC of its own, the message queues and shared memory it makes end with it.
UNSHARE = ["--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc"]  # unshare's
# Processes the reader may have at once, all of theirs counted: a fork bomb in one line
# ends there, not with the machine's last process ID (pid_max is 32,768 here).
NPROC = 4096


@functools.cache
def pid_namespaces() -> bool:
    """Whether commands can run in PID namespaces of their own: as root, where a container
    does not forbid it (else only the sweep of marked processes, kill_strays, ends strays)."""
    if os.geteuid() != 0:
        return False
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        identities.tool("prlimit"), identities.tool("setpriv")  # raise if missing
        probe = [identities.tool("unshare"), *UNSHARE, "/bin/true"]
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    return False


# The namespace's first process: a shell that takes the page's variables from its stdin
# (as the reader; _exports), then the terminal as its stdin (stdout's: both the terminal),
# enters the folder, and waits for the command, never becomes it: the first process of a
# PID namespace is deaf to the signals it sends itself (a block's
# `os.kill(os.getpid(), signal.SIGSTOP)`, a line's `kill $$`).
ENTER_AND_WAIT = ["/bin/sh", "-c", '. /proc/self/fd/0; exec 0<&1; cd -- "$0" || exit 126; "$@"']


def namespace(popen: Mapping) -> tuple[list[str], dict]:
    """What runs a command as another user, in its user namespace if it has one (`userns`,
    an Identity's) and in a PID namespace of its own where there are, and the rest of
    Popen's arguments; ([], `popen`) where Popen's own `user=` does it all (no namespaces
    here) or it runs as it is (our own user)."""
    kwargs = dict(popen)
    if "user" not in kwargs or not (pid_namespaces() or "userns" in kwargs):
        return [], kwargs
    user, group = kwargs.pop("user"), kwargs.pop("group", None)
    groups = ",".join(map(str, kwargs.pop("extra_groups", ())))
    userns = kwargs.pop("userns", None)
    kwargs.pop("owner", None)
    # Ends with us, even SIGKILLed: unshare then kills the namespace's first process.
    dies_with_us = [identities.tool("setpriv"), "--pdeathsig", "KILL", "--"]
    alone = [identities.tool("unshare"), *UNSHARE, identities.tool("prlimit"), f"--nproc={NPROC}"]
    alone = [*dies_with_us, *alone] if pid_namespaces() else []
    # KILL: the change of user clears unshare's --kill-child, and a killed worker (SIGKILL:
    # no clean-up of ours runs) left the namespace running.
    become = identities.becoming(user, group, groups, pdeathsig="KILL")
    return [*identities.entering(userns), *alone, *become], kwargs


def owner(popen: Mapping) -> int:
    """The uid, as the machine sees it, of whom `popen` runs a command as."""
    return popen.get("owner", popen.get("user", os.getuid()))


def run_as(
    argv: list[str], popen: Mapping, given: bytes, timeout: float
) -> subprocess.CompletedProcess[bytes]:
    """`argv` run to its end as the reader (`popen`), given `given` on its stdin, with no
    variable of ours but PATH; past `timeout`, subprocess.TimeoutExpired. What it started
    ends with it: its PID namespace, or else its process group, is killed (a `cat` blocked
    opening a FIFO outlived a timeout that killed only the bash it ran in)."""
    chain, kwargs = namespace(popen)
    argv = [*chain, *argv]
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": os.defpath},
        cwd="/",
        start_new_session=True,
        **kwargs,
    )
    try:
        out, err = process.communicate(given, timeout=timeout)
    finally:
        kill_group(process)
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def read_until(
    controller: int,
    done: Callable[[bytearray], bool],
    deadline: float,
    process: subprocess.Popen,
    left_behind: Callable[[], None] = lambda: None,
) -> str:
    """What the terminal shows until `done(shown so far)` is true or every writer closed it
    (EIO); kills the process's group past `deadline` (time.monotonic()). Once the process
    exits, what it left running that still holds the terminal (`sleep 30 &`) is killed, its
    group and then `left_behind()`, as a closed terminal window would end them: the read
    ends at once, with all they wrote before. Past OUTPUT_LIMIT, it is killed too."""
    shown = bytearray()
    exited = os.pidfd_open(process.pid)  # readable once the process exits
    watched = [controller, exited]
    try:
        while not done(shown):
            left = deadline - time.monotonic()
            if left <= 0:
                kill_group(process)
                raise CommandTimeout(shown.decode(errors="replace"))
            ready, _, _ = select.select(watched, [], [], min(left, 1.0))
            if exited in ready:
                kill_group(process)
                left_behind()
                watched.remove(exited)
            if controller not in ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError as error:
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            shown += chunk
            if len(shown) > OUTPUT_LIMIT:
                kill_group(process)
                left_behind()
                raise TooMuchOutput(f"printed more than {OUTPUT_LIMIT >> 20} MiB; killed")
    finally:
        os.close(exited)
    return shown.decode(errors="replace")


# Colour and other character attributes (SGR): the page shows the text, not its colours.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def screen(output: str) -> str:
    """What the terminal shows for `output`: tabs at their stops (every 8 columns), a
    carriage return's later text over the earlier (a progress bar's last state), no colour."""
    return "\n".join(_overwritten(line.split("\r")) for line in _SGR.sub("", output).split("\n"))


def _overwritten(parts: list[str]) -> str:
    """Each part written over the ones before it, from the line's start: read from the
    last, each earlier part adds what reaches past the later ones. (Copying the line at
    each return took minutes for 1 MiB of tabs then 30,000 returns, past any timeout.)"""
    chunks, length = [], 0
    for part in reversed(parts):
        part = part.expandtabs(8)
        if len(part) > length:
            chunks.append(part[length:])
            length = len(part)
    return "".join(chunks)  # in the order of their columns


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_line(line: str, state: ShellState) -> tuple[int, str]:
    """Run `line` in bash on a terminal from `state`; updates `state` in place; returns
    (status, what the terminal showed).

    With pipefail, so that `failing | sort` cannot hide a failure behind its last command.
    The state's own file is in the run's TMPDIR (`state.state_dir`)."""
    if why := unfinished(line):
        raise LineError(f"`{line}` is no whole command ({why})")
    if why := forgotten(line, state.env):
        raise LineError(f"`{line}` {why} (each line runs in a bash of its own)")
    if not os.path.isdir(state.cwd):
        raise LineError(
            f"`{line}` cannot start: its folder {state.cwd} is gone (a line removed it)"
        )
    fd, name = tempfile.mkstemp(prefix=f"shell-state-{state.token}-", dir=state.state_dir)
    try:
        if "user" in state.popen:  # by its descriptor: its name is in the reader's TMPDIR
            os.fchown(fd, owner(state.popen), -1)
        env, prologue = _held({**state.env, "__STATE": name, "PYTHONUNBUFFERED": "1"})
        argv = [BASH, "-o", "pipefail", "-c", prologue + line + _EPILOGUE]
        process, controller = spawn(argv, state.cwd, env, **state.popen)
        deadline = _deadline(state)
        try:
            output = read_until(
                controller, lambda _: False, deadline, process, lambda: kill_strays(state)
            )
            status = wait(process, deadline)  # its terminal closed: `exec >/dev/null`
        except TooMuchOutput as error:
            raise TooMuchOutput(f"`{line}` {error}") from None
        except CommandTimeout as timeout:
            raise CommandTimeout(
                f"`{line}` ran longer than {state.timeout:g} s; killed. It printed:\n{timeout}"
            ) from None
        finally:
            os.close(controller)
            kill_group(process)  # what it left running in the background, as a closed window
            kill_strays(state)  # and what it started in a session of its own
        # Read from the file made here, never by its name: the line's user (nobody, when
        # we are root) may have put a link, a FIFO or /dev/zero there.
        if not _still_there(fd, name):
            message = "removed or replaced the runner's state file ($__STATE): leave it be"
            raise LineError(f"`{line}` {message}")
        cwd, _, environment = os.pread(fd, STATE_LIMIT, 0).decode(errors="replace").partition("\0")
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):  # a folder the line made there stays
            os.unlink(name)
    if environment:  # empty: the line ended before the epilogue (`exit 3`)
        pairs = (item.split("=", 1) for item in environment.split("\0") if "=" in item)
        state.env = {k: v for k, v in pairs if k not in _BASH_OWN}
        _prompt_options(state.env)
        state.cwd = Path(cwd.removesuffix("\n"))
    return status, screen(output)


def _held(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """`env` with the variables _STARTUP names renamed, and the commands that export them
    back under their own names: in POSIX mode, which finds `export` and `unset` before a
    function of the page's so named (one set a DEBUG trap that made every line pass)."""
    held = [k for k in env if _STARTUP.fullmatch(k)]
    if not held:
        return env, ""
    env = {(_HELD + k if k in held else k): v for k, v in env.items()}
    exports = (f'\\export {k}="${_HELD}{k}"; \\unset {_HELD}{k}; ' for k in held)
    return env, f"POSIXLY_CORRECT=y; {''.join(exports)}\\unset POSIXLY_CORRECT; "


# Options that would run none of the runner's own commands after a line (noexec, which a
# prompt ignores; onecmd), or show them (and let a PS4 the page exported change what they
# keep; keyword printed the environment).
_UNSHOWN = {"noexec", "onecmd", "xtrace", "verbose", "keyword"}


def _prompt_options(env: dict[str, str]) -> None:
    """An exported SHELLOPTS is the next line's bash's options, as a terminal's prompt
    takes them, but _UNSHOWN (a line that wrote its own state with noexec made every later
    line pass, run by none)."""
    if "SHELLOPTS" in env:
        options = env["SHELLOPTS"].split(":")
        env["SHELLOPTS"] = ":".join(option for option in options if option not in _UNSHOWN)


def _still_there(fd: int, name: str) -> bool:
    """Whether the file open at `fd` is still the one named `name`."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(name))
    except OSError:
        return False


def kill_strays(state: ShellState, marker: str | None = None) -> None:
    """Kill the processes a line of `state` started that left its process group (`setsid
    cmd &`): the line's user's, with the line's $__STATE in their environment (or
    `marker`: the page's python blocks have their own, executors.terminal)."""
    uid = owner(state.popen)
    marker = marker or f"shell-state-{state.token}-"
    for _ in range(STRAY_PASSES):  # one that keeps forking has a new child after each pass
        if not _kill_marked(uid, marker):
            return


STRAY_PASSES = 50


def _kill_marked(uid: int, marker: str) -> int:
    """How many of `uid`'s processes with `marker` in their environment were killed."""
    killed = 0
    # The newest first: a chain of forks has its one live process among them, briefly.
    for proc in sorted(Path("/proc").glob("[0-9]*"), key=lambda proc: -int(proc.name)):
        with contextlib.suppress(OSError):  # gone, or not ours to read
            # The whole environment: the kernel's default limit for it is 2 MB (ARG_MAX)
            if proc.stat().st_uid == uid and marker in read_untrusted(proc / "environ", 1 << 22):
                # Its whole group at once: what it forks meanwhile is in the group too (a
                # chain of forks that exit stays ahead of one look at a time).
                pid = int(proc.name)
                if (group := os.getpgid(pid)) != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)
                else:  # never our own group
                    os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def wait(process: subprocess.Popen, deadline: float) -> int:
    """Its exit status as a shell shows it, once it exits: death by signal N (Popen's -N)
    is 128 + N (the namespace's waiting shell said so as root; as the reader's own user,
    a line killed by a signal came back -N, which no page could show); kills its group
    past `deadline` (CommandTimeout)."""
    try:
        status = process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise CommandTimeout("") from None
    return 128 - status if status < 0 else status


def _deadline(state: ShellState) -> float:
    return time.monotonic() + state.timeout


# Set by CI runners, by the outer pytest or for it, never on a reader's terminal, yet they
# change what runs: with CI set, pytest stops shortening its summary lines, for one.
_NOT_ON_A_READERS_TERMINAL = {
    *("CI", "BUILD_NUMBER", "COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TERM"),
    "PYTHONDONTWRITEBYTECODE",  # a reader's Python writes __pycache__ (`ls` shows it)
    "PYTHONPATH",  # the harness's imports (a mutation workspace's src/), not a reader's
    "THROWAWAY_PG_URL",  # the tests' server; pages get DATABASE_URL
}
_NOT_ON_A_READERS_TERMINAL_PREFIXES = ("PYTEST_", "GITHUB_")
# Never handed to a page, whose lines may run as another user (nobody, as root): what runs
# code before each line unseen, and the harness's secrets (a cloud key, a token).
UNSEEN = {"BASH_ENV", "ENV", "PSQLRC"}
_SECRET = re.compile(
    r"SECRET|TOKEN|PASS|PWD|CRED|PRIVATE|KEY|AUTH|JWT|DSN|NETRC|(^|_)PAT(_|$)|_URI$"
    r"|GIT_CONFIG_PARAMETERS",
    re.I,
)
# A value that holds a password: a URL's user:pw@host, its ?password= (percent-encoded or
# not, as libpq reads it), or a conninfo's password=.
_CREDENTIALS = re.compile(r"://[^/@\s]*:[^/@\s]*@|(?:^|[\s?&])pass(?:word|%77ord)\s*=", re.I)


def terminal_env() -> dict[str, str]:
    """This process's environment less what a reader's terminal never has, what would
    point a page at another database (libpq's PG* variables, a developer's
    REPORTING_DATABASE_URL), and what no page may see."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_ON_A_READERS_TERMINAL
        and not k.startswith(_NOT_ON_A_READERS_TERMINAL_PREFIXES)
        and not (libpq_variable(k) or k.endswith("DATABASE_URL"))
        and k not in UNSEEN
        and (k == PASSFILE_VARIABLE or not _SECRET.search(k))  # a path, not the password
        and not _CREDENTIALS.search(v)
    }


def the_runners(name: str) -> bool:
    """Whether the runner sets `name` for every page, or it would point the page elsewhere:
    DATABASE_URL and libpq's PG*, the reader's tools and folders."""
    return name == "DATABASE_URL" or name.startswith(("PG", "__")) or name in RUNNERS


RUNNERS = {
    *("PATH", "TMPDIR", "HOME", "USER", "LOGNAME", "PYTHONUNBUFFERED"),
    *("TERM", "COLUMNS", "LINES"),  # a terminal 80 columns wide, as pages show it
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
