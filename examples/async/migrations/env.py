import asyncio
import os
import sys
from logging.config import fileConfig

from sqlalchemy import pool
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import async_engine_from_config

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def database_url() -> str:
    """DATABASE_URL, ready for SQLAlchemy with the asyncpg driver."""
    raw = os.environ.get("DATABASE_URL", "")
    if not raw and context.is_offline_mode():
        # --sql prints the SQL and never connects: naming the dialect is enough.
        return "postgresql+asyncpg://"
    if not raw:
        sys.exit("DATABASE_URL is not set, e.g. "
                 "export DATABASE_URL=postgresql://user:password@localhost:5432/mydb")
    try:
        url = make_url(raw)
    except ArgumentError:
        sys.exit("DATABASE_URL is not a database URL, expected "
                 "postgresql://user:password@host:5432/dbname")
    # Heroku says postgres://, which SQLAlchemy rejects; and a bare
    # postgresql:// means a synchronous driver. Name asyncpg.
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


# The .ini file is read with interpolation: a "%" (as in a percent-encoded
# password) must be doubled, or configparser fails on it.
config.set_main_option("sqlalchemy.url", database_url().replace("%", "%%"))

# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
target_metadata = None

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )

    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)

    with context.begin_transaction():
        context.run_migrations()


# The deploying guide's lock: two deploys at once take turns, for the whole command.
MIGRATION_LOCK = 7_230_153


async def wait_for_the_migration_lock(lock) -> None:
    """Try, and retry each second (the deploying guide says why not wait inside)."""
    try_lock = text("SELECT pg_try_advisory_lock(:key)")
    while not (await lock.execute(try_lock, {"key": MIGRATION_LOCK})).scalar():
        await asyncio.sleep(1)


async def run_async_migrations() -> None:
    """In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )

    async with connectable.connect() as lock, connectable.connect() as connection:
        await lock.execution_options(isolation_level="AUTOCOMMIT")
        await wait_for_the_migration_lock(lock)
        await connection.run_sync(do_run_migrations)

    await connectable.dispose()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode."""

    # A caller that passes its own connection (migrate.py, a test suite) gets the
    # migrations on it, in its transaction; else the async engine runs them.
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
