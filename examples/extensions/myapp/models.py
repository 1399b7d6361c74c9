from sqlalchemy import MetaData, String
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Constraint names from a convention: autogenerate writes them into migrations, and a
# later migration can drop a constraint by a name it can predict.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    age: Mapped[int | None]
    first_name: Mapped[str | None] = mapped_column(String(1000))
    last_name: Mapped[str | None] = mapped_column(String(1000))
    # citext compares case-insensitively: Ada@Example.com and ada@example.com are one address.
    email: Mapped[str | None] = mapped_column(CITEXT, unique=True)
