"""`nox -s lab` (python tools/lab.py): Jupyter Lab on notebooks/, its kernels given a
working DATABASE_URL.

The database is on the server THROWAWAY_PG_URL names, as for the tests, else on a
throwaway PostgreSQL that stops, and is removed, when Jupyter exits. A DATABASE_URL the
reader exported while following the tutorial is not read: it names their own database,
where the lab has no business creating scratch ones (nor may their role be allowed to).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from docs_runner.shell import reader_env
from throwaway_pg.postgres import PostgresError, server_version
from throwaway_pg.server import libpq_url, open_server


def run(command: list[str]) -> int:
    """Run `command` with DATABASE_URL set to a fresh database; always clean up."""
    try:
        server = open_server()
    except PostgresError as error:  # one line saying what to install or set
        print(f"lab: {error}", file=sys.stderr)
        return 1
    try:
        with server.database() as url:
            _report(server.description, url)
            env = reader_env(url)
            process = subprocess.Popen(command, env=env)
            signal.signal(signal.SIGTERM, lambda *_: process.terminate())  # then clean up
            status = _wait(process)
            return 128 - status if status < 0 else status  # killed by signal N: 128 + N
    finally:
        server.close()
        print("lab: database dropped" + (", server removed" if server.cluster else ""))


def _report(description: str, url: str) -> None:
    print(f"lab: {description} (PostgreSQL {server_version(libpq_url(url))})")
    print("lab: the notebooks' kernels get DATABASE_URL; each notebook run makes its own database")


def _wait(process: subprocess.Popen) -> int:
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # Jupyter handles Ctrl-C itself (it asks to confirm); wait for it


def main(args: list[str]) -> int:
    root = ["--allow-root"] if os.getuid() == 0 else []  # CI containers and VMs run as root
    return run([sys.executable, "-m", "jupyter", "lab", "notebooks", *root, *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
