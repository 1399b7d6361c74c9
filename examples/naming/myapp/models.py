from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    age: Mapped[int | None]
    first_name: Mapped[str | None] = mapped_column(String(1000))
    last_name: Mapped[str | None] = mapped_column(String(1000))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
