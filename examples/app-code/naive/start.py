"""The application's start: the database up to date, then serve."""

import logging

from alembic import command
from alembic.config import Config

log = logging.getLogger("myapp")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    log.info("starting")
    command.upgrade(Config("alembic.ini"), "head")
    log.info("database up to date, serving")


if __name__ == "__main__":
    main()
