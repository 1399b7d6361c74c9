"""The Alembic profile of docs_runner: in-process alembic, revision ids, schema checks."""
