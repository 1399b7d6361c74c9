"""`python -m throwaway_pg` (`nox -s db`): a throwaway PostgreSQL to follow the pages with,
in your own terminal.

It prints the lines to paste there (DATABASE_URL for an empty `tutorial` database, PATH
for the server's own psql, and NAME_DATABASE_URL for each more database a page needs:
`python -m throwaway_pg reporting`), keeps the server until Ctrl-C, then stops it and
removes its files. Nothing is installed on the system.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys

from throwaway_pg import postgres
from throwaway_pg.server import with_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m throwaway_pg", description=__doc__)
    parser.add_argument(
        "databases",
        nargs="*",
        type=database_name,
        metavar="NAME",
        help="one more empty database (its URL in NAME_DATABASE_URL), for pages with two",
    )
    more = parser.parse_args(argv).databases
    try:
        cluster = postgres.start_cluster()
    except postgres.PostgresError as error:
        print(f"db: {error}", file=sys.stderr)
        return 1
    try:
        postgres.create_database(cluster.url(), "tutorial")
        url = with_database(cluster.url(), "tutorial")
        version = postgres.server_version(url)
        print(f"db: a throwaway PostgreSQL {version}; paste these lines into your terminal:")
        print(f"export DATABASE_URL='{url}'")
        print(f'export PATH="{cluster.bin}:$PATH"')
        for name in more:
            postgres.create_database(cluster.url(), name)
            print(f"export {name.upper()}_DATABASE_URL='{with_database(cluster.url(), name)}'")
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


def database_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name == "tutorial":
        raise argparse.ArgumentTypeError(f"{name!r}: expected a lowercase name like reporting")
    return name


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
