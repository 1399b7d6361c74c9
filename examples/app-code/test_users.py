"""The application's tests, on a database that Alembic brought up to date first. Run them
with DATABASE_URL set to a database made for the test run."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text


@pytest.fixture(scope="session")
def alembic_config() -> Config:
    """Once per test run, as the application's start does; pytest's logging stays as is."""
    config = Config("alembic.ini", attributes={"configure_logger": False})
    command.upgrade(config, "head")
    return config


@pytest.fixture
def connection(alembic_config: Config) -> Iterator[Connection]:
    """A connection whose transaction ends unfinished: what a test writes is rolled back."""
    # env.py has set the URL it migrated, from DATABASE_URL, with the driver it uses.
    engine = create_engine(alembic_config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def test_a_user_is_stored(connection: Connection) -> None:
    connection.execute(text("INSERT INTO users (first_name, last_name) VALUES ('Ada', 'Lovelace')"))
    names = connection.execute(text("SELECT first_name, last_name FROM users")).all()
    assert names == [("Ada", "Lovelace")]
