from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    age: Mapped[int | None]
    first_name: Mapped[str | None] = mapped_column(String(1000))
    last_name: Mapped[str | None] = mapped_column(String(1000))


class Country(Base):
    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
