"""The application's start: the database up to date, then serve."""

import logging

from alembic import command
from alembic.config import Config

log = logging.getLogger("myapp")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    log.info("starting")
    # Logging is configured already: env.py must not configure it again.
    config = Config("alembic.ini", attributes={"configure_logger": False})
    command.upgrade(config, "head")
    log.info("database up to date, serving")


if __name__ == "__main__":
    main()
