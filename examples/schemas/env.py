import os
import sys
import time
from importlib.util import find_spec
from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
if config.config_file_name is not None:
    fileConfig(config.config_file_name)


def database_url() -> str:
    """DATABASE_URL, ready for SQLAlchemy with the driver installed."""
    raw = os.environ.get("DATABASE_URL", "")
    if not raw and context.is_offline_mode():
        # --sql prints the SQL and never connects: naming the dialect is enough.
        return "postgresql+psycopg2://"
    if not raw:
        sys.exit("DATABASE_URL is not set, e.g. "
                 "export DATABASE_URL=postgresql://user:password@localhost:5432/mydb")
    try:
        url = make_url(raw)
    except ArgumentError:
        sys.exit("DATABASE_URL is not a database URL, expected "
                 "postgresql://user:password@host:5432/dbname")
    # Heroku says postgres://, which SQLAlchemy rejects; and SQLAlchemy 2.1
    # maps a bare postgresql:// to psycopg 3. Name the driver installed.
    if url.drivername in ("postgres", "postgresql"):
        driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
        url = url.set(drivername=f"postgresql+{driver}")
    return url.render_as_string(hide_password=False)


# The .ini file is read with interpolation: a "%" (as in a percent-encoded
# password) must be doubled, or configparser fails on it.
config.set_main_option("sqlalchemy.url", database_url().replace("%", "%%"))

# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
target_metadata = None



def tenant_schema() -> str:
    """The schema this run migrates, one per tenant: `alembic -x tenant=acme ...`."""
    name = context.get_x_argument(as_dictionary=True).get("tenant")
    if not name:
        sys.exit("name the tenant, e.g. alembic -x tenant=acme upgrade head")
    return name


def quoted(schema: str) -> str:
    return postgresql.dialect().identifier_preparer.quote_schema(schema)


# The deploying guide's lock, one per tenant: two deploys of the same tenant take
# turns, and other tenants migrate meanwhile.
MIGRATION_LOCK = 7_230_153


def wait_for_the_tenant_lock(lock, schema: str) -> None:
    """Try, and retry each second (the deploying guide says why not wait inside)."""
    try_lock = text("SELECT pg_try_advisory_lock(:key, hashtext(:schema))")
    while not lock.execute(try_lock, {"key": MIGRATION_LOCK, "schema": schema}).scalar():
        time.sleep(1)


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
    schema = tenant_schema()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        version_table_schema=schema,
    )

    with context.begin_transaction():
        context.execute(f"SET LOCAL search_path TO {quoted(schema)}")
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )

    schema = tenant_schema()
    lock = connectable.connect().execution_options(isolation_level="AUTOCOMMIT")
    with lock, connectable.connect() as connection:
        wait_for_the_tenant_lock(lock, schema)
        exists = "SELECT 1 FROM pg_namespace WHERE nspname = %(schema)s"
        if connection.exec_driver_sql(exists, {"schema": schema}).first() is None:
            sys.exit(f"no schema {schema!r} for this tenant: create it first")
        # Unqualified names in the migrations now mean the tenant's schema. The SET
        # began a transaction: left open, Alembic would run inside it and never commit.
        connection.exec_driver_sql(f"SET search_path TO {quoted(schema)}")
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
