import os
import sys
from functools import cache
from importlib.util import find_spec
from logging.config import fileConfig

from sqlalchemy import engine_from_config
from sqlalchemy import pool
from sqlalchemy import text
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
from myapp.models import Base  # noqa: E402 (where the template puts it)

target_metadata = Base.metadata


@cache  # asked once a schema per command
def partitions(schema: str | None) -> set[str]:
    """The tables of `schema` (None: the default one) that are partitions, as the
    catalog lists them now: those made after this file was written too."""
    query = text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relispartition AND c.relkind IN ('r', 'p')"
        " AND n.nspname = coalesce(:schema, current_schema())"
    )
    return set(context.get_bind().scalars(query, {"schema": schema}))


def include_name(name, type_, parent_names) -> bool:
    """Compare a partitioned table, not its partitions: models declare the parent."""
    if type_ != "table":
        return True
    return name not in partitions(parent_names["schema_name"])


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

    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
        )

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
