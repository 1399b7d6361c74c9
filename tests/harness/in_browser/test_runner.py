"""The worker's Python, run here: which lines the browser runs, and the socket that carries
pg8000's bytes to PGlite (a stand-in records what would reach it)."""

import pytest

from in_browser.runner import PGliteSocket, alembic_argv, connects


@pytest.mark.parametrize(
    ("line", "runs"),
    [
        ("alembic upgrade head", ({}, ["alembic", "upgrade", "head"])),
        ("alembic upgrade +2  # fails (exit status 255)", ({}, ["alembic", "upgrade", "+2"])),
        ("env -u DATABASE_URL alembic current", ({"DATABASE_URL": None}, ["alembic", "current"])),
        (
            "DATABASE_URL=not-a-url alembic current",
            ({"DATABASE_URL": "not-a-url"}, ["alembic", "current"]),
        ),
        (
            'alembic revision -m "create users table"',
            ({}, ["alembic", "revision", "-m", "create users table"]),
        ),
        ("alembic list_templates | grep ' - ' | sort", None),  # a pipe: bash's
        ("psql \"$DATABASE_URL\" -c '\\d users'", None),  # psql is never imitated
        ("find alembic.ini migrations -type f", None),
        ("python -c 'import alembic'", None),
    ],
)
def test_only_alembic_runs_in_the_browser(line: str, runs: object) -> None:
    assert alembic_argv(line) == runs


def message(kind: bytes, body: bytes) -> bytes:
    return kind + (len(body) + 4).to_bytes(4, "big") + body


READY_IDLE, READY_IN_TRANSACTION = message(b"Z", b"I"), message(b"Z", b"T")


class PGlite:
    """What PGlite's raw-protocol call was handed, and a ReadyForQuery as its answer."""

    def __init__(self, answer: bytes = READY_IDLE) -> None:
        self.handed: list[bytes] = []
        self.answer = answer

    def __call__(self, data: bytes) -> bytes:
        self.handed.append(data)
        return self.answer


def test_encryption_is_declined_without_asking_pglite() -> None:
    pglite = PGlite()
    sock = PGliteSocket(pglite)
    sock.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))  # SSLRequest
    assert sock.recv(1) == b"N"
    assert pglite.handed == []  # PGlite exits on an SSLRequest


def test_terminate_keeps_pglite_s_one_session() -> None:
    pglite = PGlite()
    sock = PGliteSocket(pglite)
    sock.write(message(b"X", b""))
    sock.flush()
    assert pglite.handed == []


def test_a_connection_closed_in_a_transaction_rolls_it_back() -> None:
    pglite = PGlite(READY_IN_TRANSACTION)
    sock = PGliteSocket(pglite)
    sock.write(message(b"Q", b"BEGIN\0"))
    assert sock.read(6) == READY_IN_TRANSACTION
    pglite.answer = READY_IDLE
    sock.close()
    assert pglite.handed[-1] == message(b"Q", b"ROLLBACK\0")


def test_an_idle_connection_closes_without_a_word() -> None:
    pglite = PGlite()
    sock = PGliteSocket(pglite)
    sock.write(message(b"Q", b"SELECT 1\0"))
    sock.flush()
    sock.close()
    assert pglite.handed == [message(b"Q", b"SELECT 1\0")]


@pytest.mark.parametrize(
    ("lines", "waits"),
    [
        (["alembic init --template generic migrations"], False),
        (['alembic revision -m "create users table"', "alembic history"], False),
        (["alembic history --indicate-current"], True),
        (["alembic revision --autogenerate -m x"], True),
        (["alembic upgrade head"], True),
        (["alembic current"], True),
        (["psql \"$DATABASE_URL\" -c 'SELECT 1'"], False),  # the terminal's
    ],
)
def test_a_block_waits_for_postgresql_only_if_it_may_connect(lines: list[str], waits: bool) -> None:
    step = {"kind": "console", "commands": [{"line": line} for line in lines]}
    assert connects(step) is waits


def test_python_blocks_wait_and_files_do_not() -> None:
    assert connects({"kind": "python"})
    assert not connects({"kind": "file"})
