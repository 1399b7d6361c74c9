"""What the reference data guide (reference-data.md) says beyond what the page runs: the
old migration's rows, inserted through today's model, lose the key it no longer has,
silently; only a NOT NULL column turns that into an error."""

import importlib.util
import warnings
from pathlib import Path

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from throwaway_pg.server import sqlalchemy_url

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ROWS = [{"code": "CZ", "name": "Czech Republic"}, {"code": "DE", "name": "Germany"}]


def renamed_models():
    """examples/reference-data/myapp/models_renamed.py, as a module of its own."""
    path = EXAMPLES / "reference-data/myapp/models_renamed.py"
    spec = importlib.util.spec_from_file_location("reference_data_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_key_that_names_no_column_is_left_out(database_url: str) -> None:
    """With `name` nullable, op.bulk_insert over today's Country table inserts the rows
    with no name: no error, no warning."""
    country = renamed_models().Country.__table__
    engine = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE countries (code varchar(2) PRIMARY KEY, name text)")
            )
            op = Operations(MigrationContext.configure(connection))
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                op.bulk_insert(country, ROWS)
            found = connection.execute(text("SELECT code, name FROM countries ORDER BY code"))
            assert found.all() == [("CZ", None), ("DE", None)]
    finally:
        engine.dispose()
