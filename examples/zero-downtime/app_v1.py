"""The application before the rename: its surnames live in users.last_name."""

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select, update

users = Table(
    "users",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("first_name", String(1000)),
    Column("last_name", String(1000)),
)


def add_user(connection: Connection, first_name: str, surname: str) -> int:
    query = insert(users).values(first_name=first_name, last_name=surname)
    return connection.execute(query.returning(users.c.id)).scalar_one()


def set_surname(connection: Connection, user_id: int, surname: str) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(last_name=surname))


def get_surname(connection: Connection, user_id: int) -> str | None:
    query = select(users.c.last_name).where(users.c.id == user_id)
    return connection.execute(query).scalar_one()
