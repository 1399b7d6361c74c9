"""Database checks pages run by name with <!-- check: name -->: effects, not exit codes.

A site registers its own (this one in tests/page_checks.py) with the `check` decorator; each
takes the page's run (its database URL, its project, its terminal's state), and runs with the
reader's rights (`run_check`). As root, it runs in the reader's own Python, which imports the
module that registered it, and this project's packages, from a copy root made (`_code`):
a check module may import those and what the reader's virtualenv holds.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib
import os
import pickle
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from docs_runner import shell
from docs_runner.reader import PROJECT
from throwaway_pg import identities, postgres
from throwaway_pg.server import PASSFILE_VARIABLE

if TYPE_CHECKING:
    from docs_runner.run import PageRun

CHECKS: dict[str, Callable[[PageRun], None]] = {}


def check(name: str):
    """Register a database check that pages run with <!-- check: name -->."""

    def register(function: Callable[[PageRun], None]) -> Callable[[PageRun], None]:
        CHECKS[name] = function
        return function

    return register


class CheckFailed(AssertionError):
    """A check that failed in the reader's process: its traceback, as text."""


def run_check(name: str, run: PageRun) -> None:
    """Run a registered check with the reader's rights. As root, a check reads what the
    page's lines (run as the reader) left: files, links, FIFOs, migrations it imports.
    Root's rights would make each of those a way in, and so would root's memory (its
    environment, on the stack of a fork): the check runs in a new interpreter, the
    reader's, started by a forked child that leaves root's session, files and environment
    and becomes the reader first; it is bounded by the command timeout, its report by
    REPORT_LIMIT."""
    function = CHECKS[name]
    popen = run.shell.popen
    if "user" not in popen:  # the reader is this process's user
        function(run)
        return
    given = tempfile.TemporaryFile()  # noqa: SIM115 (its descriptor becomes the check's stdin)
    given.write(pickle.dumps(CheckRun.of(run)))
    given.seek(0)
    argv = [run.shell.python, "-I", "-c", BOOT, str(_code(_modules())), function.__module__, name]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child; it never returns)
        _as_reader_child(write, given.fileno(), popen, argv, run)
    os.close(write)
    given.close()
    try:
        report = _read_report(read, run.shell.timeout)
    finally:
        os.close(read)
        _end(pid)
        shell.kill_strays(run.shell, _marker(run))  # what it started in a session of its own
    if report is None:
        raise CheckFailed(f"check {name!r} ran longer than {run.shell.timeout:g} s")
    if report:
        raise CheckFailed(report)


REPORT_LIMIT = 1 << 16  # bytes of a failed check's traceback


@dataclass(frozen=True)
class Terminal:
    """The page's terminal as a check sees it."""

    cwd: Path
    env: dict[str, str]


@dataclass(frozen=True)
class CheckRun:
    """What a check run as the reader is handed of the page's run (PageRun's names)."""

    database_url: str
    project: Path
    examples: Path
    text: str
    shell: Terminal
    values: list

    @classmethod
    def of(cls, run: PageRun) -> CheckRun:
        terminal = Terminal(run.shell.cwd, dict(run.shell.env))
        given = (run.database_url, run.project, run.examples, run.text)
        return cls(*given, terminal, list(run.values))

    def to_real(self, text: str) -> str:
        """What the page shows as what this run types (PageRun.to_real)."""
        for values in self.values:
            text = values.to_real(text)
        return text


# The reader's interpreter, started as `python -I -c BOOT CODE MODULE NAME`: the project's
# packages and the check's module from CODE (-I: nothing from the page's PYTHON* variables).
BOOT = "import sys; sys.path.insert(0, sys.argv[1]); import docs_runner.checks as c; c.in_reader()"


def in_reader() -> NoReturn:
    """The check, in the reader's interpreter: its module imported, the run read from
    stdin; the report goes to descriptor 3 (empty: passed)."""
    _, module, name = sys.argv[1:]
    try:
        _import(module)
        CHECKS[name](pickle.load(sys.stdin.buffer))
        report = b"\0"  # passed: an empty read means no result
    except BaseException as error:  # noqa: BLE001 (everything goes back to the harness)
        text = str(error) if isinstance(error, CheckFailed) else None
        text = text or "".join(traceback.format_exception(error))
        report = text.encode(errors="replace")[:REPORT_LIMIT] or b"check ended without a result"
    os.write(REPORT_FD, report)  # within a pipe's buffer, or the parent reads as it comes
    os._exit(0)


REPORT_FD = 3


def _import(module: str) -> None:
    """The module that registered the check, in the reader's Python: one line if it cannot
    be (it imports what the reader's virtualenv lacks)."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise CheckFailed(
            f"the check's module {module} cannot be imported in the reader's Python "
            f"({sys.prefix}): {error}; a check module may import this project's packages "
            "and what the reader's virtualenv holds"
        ) from None


def _modules() -> tuple[tuple[str, str, int], ...]:
    """The modules that registered checks: name, file, and when it last changed."""
    names = sorted({function.__module__ for function in CHECKS.values()})
    files = [sys.modules[name].__file__ or "" for name in names]
    return tuple((n, f, os.stat(f).st_mtime_ns) for n, f in zip(names, files, strict=True))


def project_code() -> Path:
    """A copy of this project's packages the reader's interpreter may import (a notebook's
    helper imports throwaway_pg)."""
    return _code(())


@functools.cache
def _code(modules: tuple[tuple[str, str, int], ...]) -> Path:
    """A copy of what the reader's interpreter imports that its virtualenv lacks: this
    project's packages (those beside docs_runner) and `modules`, in their packages. Made
    once per process and set of modules, in root's own folder (nothing there is the
    reader's to change), readable by all, removed at exit or by the next run's sweep."""
    path, lock = postgres.owned_directory("checks-")
    path.chmod(0o755)
    atexit.register(postgres.release, path, lock)
    for package in _project_packages():
        shutil.copytree(package, path / package.name, ignore=_NOT_CODE)
    for name, file, _ in modules:
        _copy_module(name, Path(file), path)
    return path


_NOT_CODE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _project_packages() -> list[Path]:
    """This project's packages: those its wheel installed (not the rest of site-packages,
    beside them), else those beside docs_runner in its source tree (an editable install's
    src/, whose record names none)."""
    source = Path(__file__).resolve().parent.parent
    with contextlib.suppress(metadata.PackageNotFoundError):
        files = metadata.distribution(PROJECT).files or []
        names = {file.parts[0] for file in files if len(file.parts) > 1 and file.suffix == ".py"}
        if names:
            return [source / name for name in sorted(names)]
    return [package for package in source.iterdir() if (package / "__init__.py").is_file()]


def _copy_module(name: str, file: Path, into: Path) -> None:
    """Module `name`, from `file`, into `into`, with the __init__.py of each package it is
    in."""
    parts = name.split(".")
    if file.name == "__init__.py":
        parts.append("__init__")
    where = into.joinpath(*parts[:-1])
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy(file, where / f"{parts[-1]}.py")
    folder = file.parent
    for depth in range(len(parts) - 1, 0, -1):
        init = folder / "__init__.py"
        target = into.joinpath(*parts[:depth], "__init__.py")
        if init.is_file() and not target.exists():
            shutil.copy(init, target)
        folder = folder.parent


# What the check's own interpreter keeps of the page's variables: who and where it is, and
# its password file. Never the loader's (a page's LD_PRELOAD made every check pass), nor
# the rest: a check reads those in run.shell.env.
KEPT = ("HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "TZ", PASSFILE_VARIABLE)


def _environment(run: PageRun) -> dict[str, str]:
    """The check's environment, with the line's marker: what it leaves running is swept as
    theirs is."""
    kept = {k: v for k, v in run.shell.env.items() if k in KEPT or k.startswith("LC_")}
    return kept | {"PATH": os.defpath, "__STATE": _marker(run)}


def _marker(run: PageRun) -> str:
    """In the environment of what a check starts (a line's kind: see shell.kill_strays)."""
    return f"shell-state-{run.shell.token}-check"


def _as_reader_child(write: int, given: int, popen: dict, argv: list, run: PageRun) -> NoReturn:
    """In the child: becomes the reader and execs `argv` (the check in the reader's
    interpreter), with `given` as its stdin and `write` as its descriptor 3; nothing of
    root's is left to it. It never returns into the caller's code."""
    try:
        report = b"check ended without a result"
        try:
            env = _environment(run)
            _alone(popen.get("userns"))
            _leave_root(write, given, popen, env)
            os.execve(argv[0], argv, env)
        except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
            report = f"check could not start as the reader: {error!r}".encode(errors="replace")
        os.write(REPORT_FD, report)
    finally:
        os._exit(0)


_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
PR_SET_PDEATHSIG = 1


def _alone(userns: str | None) -> None:
    """Into the reader's user namespace, if it has one, then into a PID namespace, a /proc
    and System V IPC of its own, as lines go (shell.UNSHARE): this process forks, and its child, the
    namespace's first process, goes on. When that ends, the kernel kills all the check
    started (`env -i` took a page's script past the sweep), and it sees no process outside.
    Where the kernel refuses a PID namespace, only that is left out."""
    if userns:
        identities.enter(userns)  # raises: never on as root outside it
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # SIGKILLed, pytest takes the check along
    if not shell.pid_namespaces() or _LIBC.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC):
        return
    if pid := os.fork():  # waits for the check; killed (its timeout), the check dies too
        os.waitpid(pid, 0)
        os._exit(0)
    _LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    _LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def _leave_root(report: int, given: int, popen: dict, env: dict[str, str]) -> None:
    """A session of its own (no terminal of root's to type into), `given` as stdin and
    `report` as descriptor 3 but no other descriptor of root's (logs, locks, sockets,
    captured output), the reader's environment instead of root's, then the reader's user."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(given, 0)
    for fd in (1, 2):
        os.dup2(null, fd)
    os.dup2(report, REPORT_FD)
    os.set_inheritable(REPORT_FD, True)  # the reader's interpreter writes there
    os.closerange(REPORT_FD + 1, os.sysconf("SC_OPEN_MAX"))
    os.chdir("/")
    os.environ.clear()
    os.environ.update(env)
    resource.setrlimit(resource.RLIMIT_NPROC, (shell.NPROC, shell.NPROC))
    os.setgroups(popen.get("extra_groups", []))
    os.setgid(popen["group"])
    os.setuid(popen["user"])
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid, which clears it


def _read_report(fd: int, timeout: float) -> str | None:
    """What the child wrote, up to its end (REPORT_LIMIT at most); None if it did not end
    within `timeout`."""
    deadline = time.monotonic() + timeout
    report = b""
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                text = report.decode(errors="replace")
                return "" if text == "\0" else text or "check ended without a result"
            report = (report + chunk)[: REPORT_LIMIT + 1]
    return None


def _end(pid: int) -> None:
    """The child and its group gone (a child that left its group is killed by itself)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
