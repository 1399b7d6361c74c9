"""Upgrade in a transaction of our own, look inside it, then roll back: what a test suite
does to start each test from a migrated, empty database."""

import asyncio
import os

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


def upgrade(connection: Connection) -> None:
    config = Config("alembic.ini")
    config.attributes["connection"] = connection  # env.py runs the migrations on it
    command.upgrade(config, "head")


async def main() -> None:
    url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.begin()
        await connection.run_sync(upgrade)
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        print(f"in the transaction: at {version}")
        await connection.rollback()
    await engine.dispose()


asyncio.run(main())
