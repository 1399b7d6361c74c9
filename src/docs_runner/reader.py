"""Who runs a page's commands on the terminal executor, with which tools: the reader.

Most readers are not root, and the harness often is (CI). As root, the pages' commands run
as an ordinary user instead (identities.for_pages): from a virtualenv that user can run (this
environment's may sit under a 0700 home), built once from a Python they can run with what
this environment holds of the project's `pages` extra (what the guides' commands use), at
the same versions, and kept, named by what it holds; psql from a copy of the PostgreSQL
binaries they can run. Not root: this user, this environment's scripts, the install's psql.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from docs_runner import venvs
from docs_runner.normalise import PYTHON_PLACEHOLDER, VENV_PLACEHOLDER
from throwaway_pg import identities
from throwaway_pg.identities import Identity
from throwaway_pg.postgres import bare_env, pg_install, runnable_install
from throwaway_pg.server import PASSFILE_VARIABLE, Passfile, Server

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class ReaderError(RuntimeError):
    """No virtualenv the unprivileged reader can run could be made; says why."""


@dataclass(frozen=True)
class Reader:
    user: Identity | None  # None: this process's own user
    scripts: Path  # python, alembic, pytest, ruff, squawk
    psql: Path  # the directory holding psql
    base_prefix: str  # the Python the virtualenv was made from

    @property
    def prefixes(self) -> dict[str, str]:
        """Where the reader's Python lives, as pages show it (in tracebacks)."""
        return {str(self.scripts.parent): VENV_PLACEHOLDER, self.base_prefix: PYTHON_PLACEHOLDER}

    @property
    def path(self) -> str:
        """PATH: the reader's tools first, then the system's."""
        return os.pathsep.join([str(self.scripts), str(self.psql), os.environ.get("PATH", "")])

    def environment(self, tmp: Path, passfile: Passfile | None = None) -> dict[str, str]:
        """What the reader's terminal has that ours may not: their PATH; a copy of their
        own in `tmp` of the password file the harness made of a user's server's URL
        (`passfile`), never of one the environment named (a developer's, every password of
        theirs in it); as another user, a home of their own in `tmp`."""
        env = {"PATH": self.path}
        if passfile is not None:
            env[PASSFILE_VARIABLE] = str(passfile_copy(passfile.path, tmp / "pgpass", self.user))
        if self.user is not None:
            env |= {"HOME": str(tmp), "USER": self.user.name, "LOGNAME": self.user.name}
        return env

    def own(self, path: Path) -> None:
        """Hand a folder the harness made over to the reader."""
        if self.user is not None:
            os.chown(path, self.user.uid, self.user.gid)

    @property
    def popen(self) -> dict:
        """What subprocess.Popen takes to run as the reader."""
        return self.user.popen if self.user else {}

    def cannot_connect(self, server: Server) -> str | None:
        """Why the reader, another user than ours, cannot connect where the harness does
        (None: they can). A user's server may admit root alone (a socket in a folder only
        root enters, as `python -m throwaway_pg`'s; peer authentication): every page
        failed on it, one by one."""
        if self.user is None or server.cluster is not None:
            return None  # this user; or our own server, which admits them
        with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
            os.chmod(tmp, 0o711)  # theirs inside: the password file's copy, their home
            env = bare_env() | self.environment(Path(tmp), server.passfile)
            psql = [self.psql / "psql", "-w", "-Atc", "SELECT 1", server.admin_url]
            try:
                said = subprocess.run(
                    self.user.command(psql),
                    env=env | {"PGCONNECT_TIMEOUT": "10"},
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    start_new_session=True,
                    timeout=60,
                )
            except subprocess.TimeoutExpired:
                return "psql did not end in 60 s"
        if said.returncode == 0:
            return None
        lines = said.stderr.strip().splitlines() or [f"psql exited with {said.returncode}"]
        return lines[0].removeprefix("psql: error: ")


def passfile_copy(ours: Path, theirs: Path, user: Identity | None = None) -> Path:
    """A copy of our password file that is the page's (`user`'s: None, ours): a page that
    rewrote ours (or a link in its place) broke every connection of the harness's after it,
    and one that changed its role's password and wrote it there hid that from the harness,
    which then did not set it back."""
    fd = os.open(theirs, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as copy:
        copy.write(ours.read_bytes())
        if user is not None:
            os.fchown(copy.fileno(), user.uid, user.gid)
    return theirs


def this_reader() -> Reader:
    """The reader: this user, or the pages' user (identities.for_pages) when we are root."""
    user = identities.for_pages()
    psql = runnable_install(user, pg_install()) / "bin"
    if user is None:
        return Reader(None, Path(sys.executable).parent, psql, sys.base_prefix)
    python, base_prefix = _python_for(user)
    return Reader(user, _virtualenv(python) / "bin", psql, base_prefix)


def _python_for(user: Identity) -> tuple[str, str]:
    """This run's Python if the user can run it (pyenv's, under /root, they cannot), else
    the system's; and its sys.base_prefix."""
    candidates = [sys._base_executable, shutil.which("python3", path=SYSTEM_PATH)]
    check = "import sys; assert sys.version_info >= (3, 11); print(sys.base_prefix)"
    for python in filter(None, candidates):
        try:
            run = subprocess.run(
                user.command([python, "-c", check]),
                env=bare_env(),
                capture_output=True,
                text=True,
                start_new_session=True,  # as another user: not in our session (our terminal)
                timeout=30,
            )
        except (PermissionError, subprocess.TimeoutExpired):  # closed to the user, or hung
            continue
        if run.returncode == 0:
            return python, run.stdout.strip()
    raise ReaderError(f"uid {user.uid} can run none of {candidates} (a Python 3.11 or newer)")


def _virtualenv(python: str) -> Path:
    """The reader's virtualenv: what this environment holds of the project's `pages` extra,
    at the versions installed here (not the project itself: its pytest plugins are not the
    reader's)."""
    options = ["--no-deps", "--ignore-requires-python"]  # exactly these, as they are here
    try:
        return venvs.cached(python, sorted(_distributions()), options)
    except venvs.VenvError as error:
        raise ReaderError(f"cannot build the reader's virtualenv: {error}") from None


PROJECT = "pg-docs-runner"


def _distributions() -> set[str]:
    """`name==version` of what the pages' lines use from this environment: the project's
    `pages` extra and all it pulls in, and whatever was installed here that the project
    does not require (another driver, for the version matrix). Versions as installed here:
    a matrix combination swaps some."""
    installed = {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions()}

    def closure(extras: set[str]) -> set[str]:
        found: set[str] = set()
        todo = [(canonicalize_name(PROJECT), extras)]
        while todo:
            name, wanted_extras = todo.pop()
            if name in found or name not in installed:
                continue
            found.add(name)
            for line in installed[name].requires or []:
                requirement = Requirement(line)
                marker = requirement.marker
                if marker and not any(marker.evaluate({"extra": e}) for e in wanted_extras | {""}):
                    continue
                todo.append((canonicalize_name(requirement.name), set(requirement.extras)))
        return found

    everything = installed[canonicalize_name(PROJECT)].metadata.get_all("Provides-Extra") or []
    project = closure(set(everything))
    extra = set(installed) - project - {"pip", "setuptools", "wheel"}
    names = (closure({"pages"}) | extra) - {canonicalize_name(PROJECT)}
    return {f"{name}=={installed[name].version}" for name in names}
