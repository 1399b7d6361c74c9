"""Where a notebook runs in the tests: as the reader, as a page's lines do (as root, the
pages' user in their namespaces: docs_runner.kernels)."""

import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client import AsyncKernelManager

from docs_runner import kernels
from docs_runner.reader import Reader
from throwaway_pg.postgres import temporary_directory
from throwaway_pg.server import Server


@dataclass
class ReaderPlace:
    """`folder`, of ours, which the reader may read (the notebook, what runs its kernel),
    and `env`, the reader's own variables (their PATH, a home of theirs, their copy of the
    password file)."""

    reader: Reader | None
    folder: Path
    env: dict[str, str]

    @property
    def python(self) -> str:
        """The reader's Python: their virtualenv's (this one's, when they are this user)."""
        return str(self.reader.scripts / "python") if self.reader else sys.executable

    def kernel(self, python: str) -> AsyncKernelManager:
        """A kernel of `python` run as the reader."""
        folder = Path(tempfile.mkdtemp(dir=self.folder))
        folder.chmod(0o755)
        return kernels.as_reader(self.reader, python, folder)


@pytest.fixture
def reader_place(
    docs_reader: Reader | None, postgres_server: Server, run_tmp: Path
) -> Iterator[ReaderPlace]:
    """In the run's own folder, which the reader may pass (TMPDIR may be one they may not)."""
    with temporary_directory(prefix="notebook-", dir=run_tmp) as tmp:
        os.chmod(tmp, 0o755)
        folder, home = Path(tmp) / "notebook", Path(tmp) / "home"
        folder.mkdir(mode=0o755)
        home.mkdir(mode=0o700)
        env = {}
        if docs_reader is not None:
            env = docs_reader.environment(home, postgres_server.passfile)
            docs_reader.own(home)
        yield ReaderPlace(docs_reader, folder, env)
