"""The rename, step by step: at every revision of the rollout, each version of the app that
runs against it reads what every version wrote, at this step and all earlier ones. Run it
with DATABASE_URL set to a throwaway database: it downgrades it to base."""

import os
from collections.abc import Iterator
from importlib.util import find_spec
from types import ModuleType

import app_v1
import app_v2
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

# Which code runs against which revision: the rollout plan, tested.
ROLLOUT: list[tuple[str, list[ModuleType]]] = [
    ("1975ea83b712", [app_v1]),  # before the change
    ("3c9e5a7b1d20", [app_v1]),  # expand: old rows have no family_name yet
    ("5d1f7b9c3e42", [app_v1, app_v2]),  # backfilled: the new code rolls out
    ("8f4a2c6e0b13", [app_v2]),  # contract: once no old code runs
]


@pytest.fixture
def config() -> Iterator[Config]:
    config = Config("alembic.ini")
    command.downgrade(config, "base")
    yield config
    command.downgrade(config, "base")  # even after a failure: the next run starts clean


@pytest.fixture
def engine() -> Iterator[Engine]:
    # The driver installed (psycopg2 as pinned), as env.py names it.
    driver = next((d for d in ("psycopg2", "psycopg", "pg8000") if find_spec(d)), "psycopg2")
    url = make_url(os.environ["DATABASE_URL"]).set(drivername=f"postgresql+{driver}")
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_every_step_of_the_rollout(config: Config, engine: Engine) -> None:
    surnames: dict[int, str] = {}  # every user written so far: the surname it must read
    for revision, apps in ROLLOUT:
        command.upgrade(config, revision)
        for app in apps:
            # An insert, and an update, by this version at this revision.
            written_by = f"{app.__name__} at {revision}"
            with engine.begin() as connection:
                added = app.add_user(connection, "Ada", f"Lovelace ({written_by})")
                renamed = app.add_user(connection, "Grace", "Hopper")
                app.set_surname(connection, renamed, f"Hopper ({written_by})")
            surnames[added] = f"Lovelace ({written_by})"
            surnames[renamed] = f"Hopper ({written_by})"
        for app in apps:
            with engine.connect() as connection:
                for user_id, surname in surnames.items():
                    read = app.get_surname(connection, user_id)
                    assert read == surname, f"{app.__name__} at {revision} reads user {user_id}"
