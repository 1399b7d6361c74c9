"""`python -m throwaway_pg`: a throwaway PostgreSQL to work with in your own terminal.

It prints the lines to paste there (DATABASE_URL for an empty database, `app` unless
`--database` names another; PATH for the server's own psql; and NAME_DATABASE_URL for
each more database asked for: `python -m throwaway_pg reporting`), keeps the server until
Ctrl-C, then stops it and removes its files. Nothing is installed on the system. Where it
runs and from which install: $THROWAWAY_PG_DIR, $THROWAWAY_PG_INSTALL.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys

from throwaway_pg import driver, postgres, stopping
from throwaway_pg.server import forget_libpq_variables, with_database

DEFAULT_DATABASE = "app"
NAME_LIMIT = 63  # bytes in a PostgreSQL name (NAMEDATALEN - 1); these names are ASCII


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m throwaway_pg", description=__doc__)
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        type=database_name,
        metavar="NAME",
        help=f"the empty database DATABASE_URL names (default: {DEFAULT_DATABASE})",
    )
    parser.add_argument(
        "databases",
        nargs="*",
        type=database_name,
        metavar="NAME",
        help="one more empty database (its URL in NAME_DATABASE_URL), for an application with two",
    )
    args = parser.parse_args(argv)
    main_database, more = args.database, args.databases
    if main_database in more or len(set(more)) < len(more):
        parser.error("argument NAME: each database is named once (DATABASE_URL's too)")
    # From here on, a closed terminal or a kill ends as Ctrl-C does: start_cluster and the
    # `finally` below remove the cluster, half made or running (not left in /dev/shm).
    stopping.interrupt_once()
    if forgotten := forget_libpq_variables():  # its own connections go where its URL says
        print(f"db: left out {', '.join(forgotten)}: libpq would read them", file=sys.stderr)
    try:
        cluster = postgres.start_cluster()
    except postgres.PostgresError as error:
        print(f"db: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        postgres.create_database(cluster.url(), main_database)
        url = with_database(cluster.url(), main_database)
        version = postgres.server_version(url)
        print(f"db: a throwaway PostgreSQL {version}; paste these lines into your terminal:")
        print(f"export DATABASE_URL='{url}'")
        print(f'export PATH="{cluster.bin}:$PATH"')
        for name in more:
            postgres.create_database(cluster.url(), name)
            print(f"export {name.upper()}_DATABASE_URL='{with_database(cluster.url(), name)}'")
        print("db: Ctrl-C stops the server and removes it", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    except OSError as error:  # a full or closed standard output: the lines cannot be given
        with contextlib.suppress(OSError):
            print(f"db: cannot print the lines to paste: {error.strerror}", file=sys.stderr)
        return 1
    except driver.Error as error:  # a full disk, while the database is made
        said = str(error).strip().splitlines()[0]
        full = "could not extend file" in said or "No space left" in said
        print(f"db: cannot make the database: {said}{f' ({postgres.ROOM})' if full else ''}")
        return 1
    finally:
        kept = cluster.stop()
        with contextlib.suppress(OSError):  # a closed terminal takes no more lines
            print("db: server stopped, its files removed", flush=True)
            if kept:
                why = postgres.why_stopped(kept)
                print(f"db: it had crashed before: {why}; its log is {kept}", flush=True)
    return 0


def database_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise argparse.ArgumentTypeError(f"{name!r}: expected a lowercase name like reporting")
    if len(name) > NAME_LIMIT:  # PostgreSQL would cut it short, silently
        raise argparse.ArgumentTypeError(f"{name!r}: at most {NAME_LIMIT} characters")
    if name in ("postgres", "template0", "template1"):
        raise argparse.ArgumentTypeError(f"{name!r} is the server's own: choose another name")
    return name


if __name__ == "__main__":
    sys.exit(main())
