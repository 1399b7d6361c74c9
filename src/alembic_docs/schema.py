"""What the database really holds, for checks: tables, columns, the alembic version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from throwaway_pg import driver
from throwaway_pg.server import sqlalchemy_url


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    primary_key: bool


def _engine(url: str):
    return create_engine(sqlalchemy_url(url), poolclass=NullPool, connect_args=driver.TIMEOUTS)


def tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def columns(url: str, table: str) -> list[Column]:
    engine = _engine(url)
    try:
        inspector = inspect(engine)
        primary_key = set(inspector.get_pk_constraint(table)["constrained_columns"])
        return [
            Column(c["name"], str(c["type"]), c["nullable"], c["name"] in primary_key)
            for c in inspector.get_columns(table)
        ]
    finally:
        engine.dispose()


def alembic_versions(url: str) -> list[str]:
    return [version for (version,) in rows(url, "SELECT version_num FROM alembic_version")]


def rows(url: str, query: str) -> list[tuple]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()
