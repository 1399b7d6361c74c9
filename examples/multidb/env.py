import logging
import os
import sys
import time
from importlib.util import find_spec
from logging.config import fileConfig
import re

from sqlalchemy import create_engine
from sqlalchemy import pool
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alembic import context

USE_TWOPHASE = False

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

# gather section names referring to different
# databases.  These are named "engine1", "engine2"
# in the sample .ini file.
db_names = config.get_main_option("databases", "")

# Where each database's URL comes from: the environment, never alembic.ini.
URL_VARIABLES = {"app": "DATABASE_URL", "reporting": "REPORTING_DATABASE_URL"}


def database_url(name: str) -> str:
    """The database's URL, ready for SQLAlchemy with the driver installed."""
    variable = URL_VARIABLES.get(name)
    if variable is None:
        sys.exit(f"alembic.ini names a database {name!r} that URL_VARIABLES in env.py lacks")
    raw = os.environ.get(variable, "")
    if not raw and context.is_offline_mode():
        return "postgresql+psycopg2://"  # --sql never connects
    if not raw:
        sys.exit(f"{variable} is not set, e.g. "
                 f"export {variable}=postgresql://user:password@localhost:5432/{name}")
    try:
        url = make_url(raw)
    except ArgumentError:
        sys.exit(f"{variable} is not a database URL, expected "
                 "postgresql://user:password@host:5432/dbname")
    if url.drivername in ("postgres", "postgresql"):
        driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
        url = url.set(drivername=f"postgresql+{driver}")
    return url.render_as_string(hide_password=False)


# The deploying guide's lock, taken in the app database for both: one migrator at a time.
MIGRATION_LOCK = 7_230_153


def wait_for_the_migration_lock(lock) -> None:
    """Try, and retry each second (see the deploying guide for why not wait inside)."""
    try_lock = text("SELECT pg_try_advisory_lock(:key)")
    while not lock.execute(try_lock, {"key": MIGRATION_LOCK}).scalar():
        time.sleep(1)


# add your model's MetaData objects here
# for 'autogenerate' support.  These must be set
# up to hold just those tables targeting a
# particular database. table.tometadata() may be
# helpful here in case a "copy" of
# a MetaData is needed.
# from myapp import mymodel
# target_metadata = {
#       'engine1':mymodel.metadata1,
#       'engine2':mymodel.metadata2
# }
target_metadata = {}

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
    # for the --sql use case, run migrations for each URL into
    # individual files.

    engines = {}
    for name in re.split(r",\s*", db_names):
        engines[name] = rec = {}
        rec["url"] = database_url(name)

    for name, rec in engines.items():
        logger.info("Migrating database %s" % name)
        file_ = "%s.sql" % name
        logger.info("Writing output to %s" % file_)
        with open(file_, "w") as buffer:
            context.configure(
                url=rec["url"],
                output_buffer=buffer,
                target_metadata=target_metadata.get(name),
                literal_binds=True,
                dialect_opts={"paramstyle": "named"},
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # for the direct-to-DB use case, start a transaction on all
    # engines, then run all migrations, then commit all transactions.

    engines = {}
    for name in re.split(r",\s*", db_names):
        engines[name] = rec = {}
        rec["engine"] = create_engine(database_url(name), poolclass=pool.NullPool)

    app = engines["app"]["engine"]
    lock = app.connect().execution_options(isolation_level="AUTOCOMMIT")
    wait_for_the_migration_lock(lock)

    for name, rec in engines.items():
        engine = rec["engine"]
        rec["connection"] = conn = engine.connect()

        if USE_TWOPHASE:
            rec["transaction"] = conn.begin_twophase()
        else:
            rec["transaction"] = conn.begin()

    try:
        for name, rec in engines.items():
            logger.info("Migrating database %s" % name)
            context.configure(
                connection=rec["connection"],
                upgrade_token="%s_upgrades" % name,
                downgrade_token="%s_downgrades" % name,
                target_metadata=target_metadata.get(name),
            )
            context.run_migrations(engine_name=name)

        if USE_TWOPHASE:
            for rec in engines.values():
                rec["transaction"].prepare()

        for rec in engines.values():
            rec["transaction"].commit()
    except:
        for rec in engines.values():
            rec["transaction"].rollback()
        raise
    finally:
        for rec in engines.values():
            rec["connection"].close()
        lock.close()  # and with it the lock


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
