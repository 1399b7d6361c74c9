"""Jupyter kernels that run a notebook's cells as the reader: as root, the pages' user in
their namespaces, as a page's lines run (reader.py, shell.namespace); else this user.

A cell is a page's line: run as root, it read the harness's password file, and reached the
throwaway server as its superuser. The kernel reads its connection file (its ports and the
key that signs its messages), which is the reader's alone, in a folder of root's."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager

from docs_runner import shell
from docs_runner.reader import Reader

__all__ = ["as_reader"]

NAME = "reader"


class _ReadersKernel(AsyncKernelManager):
    """A kernel manager whose connection file is the reader's (`owner`: uid, gid)."""

    owner: tuple[int, int] | None = None

    def write_connection_file(self, **kwargs: object) -> None:
        super().write_connection_file(**kwargs)
        if self.owner is not None:
            os.chown(self.connection_file, *self.owner)


def as_reader(reader: Reader | None, python: str, folder: Path) -> AsyncKernelManager:
    """A manager of a kernel of `python` (which must have ipykernel) run as `reader` (None:
    this process's user); its kernel spec and connection file in `folder`, a folder of
    ours the reader may enter."""
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    user = reader.user if reader else None
    if user is not None:
        prefix, _ = shell.namespace(reader.popen)  # as a line: PID namespace, limits
        # Not the namespace's first process, which the namespace dies with (deaf to its
        # members' signals, the kernel's interrupt too): a cell may clear its own
        # parent-death signal and leave its process group, and the kernel outlived the run.
        # The shell waits, as shell.ENTER_AND_WAIT's; the kernel, whose parent is then PID
        # 1, would take it for a dead parent's heir and exit: it is told of no parent.
        waits = ["/bin/sh", "-c", 'unset JPY_PARENT_PID; "$@"', "sh"]
        argv = [*prefix, *waits, *argv] if prefix else user.command(argv, pdeathsig="KILL")
    spec = folder / "kernels" / NAME / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps({"argv": argv, "display_name": NAME, "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    manager = _ReadersKernel(kernel_name=NAME, kernel_spec_manager=specs)
    manager.connection_file = str(folder / "connection.json")
    manager.owner = (user.uid, user.gid) if user else None
    return manager
