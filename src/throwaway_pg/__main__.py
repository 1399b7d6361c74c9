"""`python -m throwaway_pg` (`nox -s db`): a throwaway PostgreSQL to follow the pages with,
in your own terminal.

It prints the two lines to paste there (DATABASE_URL for an empty `tutorial` database,
and PATH for the server's own psql), keeps the server until Ctrl-C, then stops it and
removes its files. Nothing is installed on the system.
"""

from __future__ import annotations

import signal
import sys

from throwaway_pg import postgres
from throwaway_pg.server import with_database


def main() -> int:
    try:
        cluster = postgres.start_cluster()
    except postgres.PostgresError as error:
        print(f"db: {error}", file=sys.stderr)
        return 1
    try:
        postgres.create_database(cluster.url(), "tutorial")
        url = with_database(cluster.url(), "tutorial")
        version = postgres.server_version(url)
        print(f"db: a throwaway PostgreSQL {version}; paste these two lines into your terminal:")
        print(f"export DATABASE_URL='{url}'")
        print(f'export PATH="{cluster.bin}:$PATH"')
        print("db: Ctrl-C stops the server and removes it", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        print("db: server stopped, its files removed", flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
