"""Concurrent `alembic upgrade head`, forced to overlap: with the session lock of
examples/deploying/env.py every process exits 0 and each revision runs exactly once, even
over a CREATE INDEX CONCURRENTLY in an autocommit block; with the transaction-scoped lock
(examples/deploying/naive/env.py) the autocommit block's commit lets the next process in,
and the race breaks.

No timing luck, two gates (advisory locks the test holds): the first migrator stops at the
first gate, inside the chain, until PostgreSQL shows every other process waiting for the
migration lock; then at the second, right after the autocommit block's commit, until either
a second process reaches that gate too (it runs the same revision: the race) or every other
process has been refused the lock since that commit (the lock held).
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
from alembic.script import ScriptDirectory

from alembic_docs import schema
from tests import chains
from tests.processes import result, until
from tests.shared_server import LOCKS_HERE, SESSIONS_HERE
from throwaway_pg.server import libpq_url

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
MIGRATION_LOCK = 7_230_153  # as in the env.py files
GATE = 41_000_001  # in the first revision of the chain
AFTER_COMMIT = 41_000_002  # in the autocommit block, after its commit

# users (the tutorial) -> a gate -> an index built CONCURRENTLY -> one more revision.
CHAIN = {
    "b1_gate.py": (
        "b1",
        "1975ea83b712",
        'op.execute("SELECT pg_advisory_xact_lock_shared({gate})")'
        '\n    op.execute("CREATE TABLE runs (revision text)")'
        "\n    op.execute(\"INSERT INTO runs VALUES ('b1')\")",
    ),
    "b2_index.py": (
        "b2",
        "b1",
        "with op.get_context().autocommit_block():\n"
        '        op.execute("SELECT pg_advisory_lock_shared({after_commit})")\n'
        '        op.execute("SELECT pg_advisory_unlock_shared({after_commit})")\n'
        '        op.create_index("ix_users_last_name", "users", ["last_name"],'
        " postgresql_concurrently=True)",
    ),
    "b3_more.py": ("b3", "b2", "op.execute(\"INSERT INTO runs VALUES ('b3')\")"),
}
REVISION = """from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = depends_on = None


def upgrade():
    {body}
"""


def project_with(tmp_path: Path, env_py: Path) -> Path:
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    shutil.copy(env_py, tmp_path / "migrations/env.py")
    for name, (revision, down, body) in CHAIN.items():
        body = body.format(gate=GATE, after_commit=AFTER_COMMIT)
        text = REVISION.format(revision=revision, down=down, body=body)
        (tmp_path / "migrations/versions" / name).write_text(text)
    return tmp_path


def scalar(admin, query: str, **values: int) -> int:
    with admin.cursor() as cursor:
        cursor.execute(query, {"key": MIGRATION_LOCK, **values})
        return cursor.fetchone()[0]


def at(admin, gate: int) -> int:
    """Processes waiting at a gate."""
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND classid = 0 AND objid = %(g)s"
    return scalar(admin, query + LOCKS_HERE, g=gate)


BLOCKED = (  # waiting inside PostgreSQL for the lock (the transaction-scoped lock)
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND classid = 0 AND objid = %(key)s" + LOCKS_HERE
)
REFUSED = (  # refused by pg_try_advisory_lock since `since` (the session lock's retries)
    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%pg_try_advisory_lock%%'"
    + SESSIONS_HERE
    + " AND pid <> pg_backend_pid() AND query_start > to_timestamp(%(since)s)"
    " AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND classid = 0 AND objid = %(key)s)"
)


def lock_waiters(admin, since: float = 0) -> int:
    """Processes waiting for the migration lock: blocked on it, or refused it (since)."""
    return scalar(admin, BLOCKED) + scalar(admin, REFUSED, since=since)


def server_time(admin) -> float:
    with admin.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM clock_timestamp())")
        return float(cursor.fetchone()[0])


def upgrade(
    project: Path, url: str, *options: str, to: str = "head", **urls: str
) -> subprocess.Popen:
    alembic = Path(sys.executable).parent / "alembic"
    return subprocess.Popen(
        [alembic, *options, "upgrade", to],
        cwd=project,
        env={"DATABASE_URL": url, **urls},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def upgrades_at_once(project: Path, url: str, processes: int) -> list[tuple[int, str]]:
    admin = psycopg2.connect(libpq_url(url))
    admin.autocommit = True
    for gate in (GATE, AFTER_COMMIT):
        admin.cursor().execute("SELECT pg_advisory_lock(%s)", (gate,))
    started = []
    try:
        for n in range(processes):
            started.append(upgrade(project, url))
            until(lambda n=n: lock_waiters(admin) == n, f"{n} upgrades waiting for the first")
        admin.cursor().execute("SELECT pg_advisory_unlock(%s)", (GATE,))
        until(lambda: at(admin, AFTER_COMMIT) >= 1, "the first upgrade past its commit")
        committed = server_time(admin)
        others = processes - 1
        until(
            lambda: at(admin, AFTER_COMMIT) >= 2 or lock_waiters(admin, committed) == others,
            "a second process in the chain, or all others refused the lock",
        )
    finally:
        admin.close()  # releases both gates
    return [result(process) for process in started]


def revisions_run(results: list[tuple[int, str]]) -> Counter[str]:
    """How many times each revision ran, over every process's output."""
    return Counter(
        line.split("Running upgrade ")[1]
        for _, output in results
        for line in output.splitlines()
        if "Running upgrade " in line
    )


def broken(results: list[tuple[int, str]], url: str) -> list[str]:
    """What went wrong: a failed process, a revision run twice, an invalid index."""
    problems = [
        f"exit {status}: {output.strip().splitlines()[-1]}"
        for status, output in results
        if status != 0
    ]
    runs = schema.rows(url, "SELECT revision, count(*) FROM runs GROUP BY 1 ORDER BY 1")
    if runs != [("b1", 1), ("b3", 1)]:
        problems.append(f"revisions ran {runs}")
    invalid = schema.rows(
        url, "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
    )
    if invalid:
        problems.append(f"invalid indexes {invalid}")
    if schema.alembic_versions(url) != ["b3"]:
        problems.append(f"at {schema.alembic_versions(url)}")
    return problems


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("round_", range(3))
def test_with_the_session_lock_each_revision_runs_once(
    tmp_path: Path, database_url: str, count: int, round_: int
) -> None:
    project = project_with(tmp_path, EXAMPLES / "deploying/env.py")
    results = upgrades_at_once(project, database_url, count)
    assert broken(results, database_url) == []
    ran = sorted(output.count("Running upgrade") for _, output in results)
    assert ran == [0] * (count - 1) + [4]  # one process ran the chain, the others nothing


@pytest.mark.parametrize("count", [2, 3])
def test_with_the_transaction_lock_the_race_breaks(
    tmp_path: Path, database_url: str, count: int
) -> None:
    """The control: the lock that ends with a transaction lets the next process in at the
    autocommit block's commit."""
    project = project_with(tmp_path, EXAMPLES / "deploying/naive/env.py")
    results = upgrades_at_once(project, database_url, count)
    assert broken(results, database_url) != []


def test_a_killed_migrator_releases_the_session_lock(tmp_path: Path, database_url: str) -> None:
    """SIGKILL mid-chain: the server ends the session, and with it the lock; the next
    deploy migrates from where the killed one stopped."""
    project = project_with(tmp_path, EXAMPLES / "deploying/env.py")
    admin = psycopg2.connect(libpq_url(database_url))
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_advisory_lock(%s)", (GATE,))
    killed = upgrade(project, database_url)
    until(lambda: at(admin, GATE) == 1, "the first upgrade at the gate")
    killed.kill()
    assert result(killed)[0] == -9
    admin.cursor().execute("SELECT pg_advisory_unlock(%s)", (GATE,))
    admin.close()
    status, output = result(upgrade(project, database_url))
    assert status == 0, output
    assert broken([(status, output)], database_url) == []


@pytest.mark.parametrize("count", [2, 3])
def test_every_guide_s_migrations_deploy_at_once(
    tmp_path: Path, database_url: str, count: int
) -> None:
    """The guides' migrations chained together (tests/chains.py) under the deploy env.py,
    a gate right after the tutorial's revision: the upgrades overlap, each revision runs
    once, every process exits 0."""
    config = chains.build(tmp_path, chains.COMPOSED)
    for migration in (tmp_path / chains.VERSIONS).glob("*.py"):
        down = chains.DOWN.search(migration.read_text())
        if down and down["down"] == chains.TUTORIAL_HEAD:
            chains.reparent(migration, "gate")
    body = f'op.execute("SELECT pg_advisory_xact_lock_shared({GATE})")'
    gate = REVISION.format(revision="gate", down=chains.TUTORIAL_HEAD, body=body)
    (tmp_path / chains.VERSIONS / "gate.py").write_text(gate)
    admin = psycopg2.connect(libpq_url(database_url))
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_advisory_lock(%s)", (GATE,))
    started = [upgrade(tmp_path, database_url)]
    try:
        until(lambda: at(admin, GATE) == 1, "the first upgrade at the gate")
        for n in range(1, count):
            started.append(upgrade(tmp_path, database_url))
            until(lambda n=n: lock_waiters(admin) == n, f"{n} upgrades waiting for the first")
    finally:
        admin.close()  # opens the gate
    results = [result(process) for process in started]
    assert [status for status, _ in results] == [0] * count, results
    ran = revisions_run(results)
    with chains.inside(tmp_path):
        revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    assert len(ran) == len(revisions) and set(ran.values()) == {1}, ran
    assert schema.alembic_versions(database_url) == [revisions[0].revision]
    invalid = "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
    assert schema.rows(database_url, invalid) == []


def queued_behind_the_lock(
    count: int, project: Path, url: str, **urls: str
) -> list[tuple[int, str]]:
    """`count` upgrades started while the test holds the migration lock, each seen waiting
    for it before the next starts; their results once the lock is released. An env.py that
    takes no lock never gets them waiting: the test gives up."""
    admin = psycopg2.connect(libpq_url(url))
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    started = []
    try:
        for n in range(1, count + 1):
            started.append(upgrade(project, url, **urls))
            until(lambda n=n: lock_waiters(admin) == n, f"{n} upgrades waiting for the lock")
    finally:
        admin.close()  # releases the lock
    return [result(process) for process in started]


@pytest.mark.parametrize("count", [2, 3])
def test_two_databases_deploy_at_once(
    tmp_path: Path, database_url: str, reporting_url: str, count: int
) -> None:
    """multidb.md's env.py takes the migration lock in the app database: upgrades started
    while it is held (here, by the test) all wait for it; then each revision runs once in
    each database and every process exits 0. The template's env.py takes no lock: with
    it, this test gives up waiting for the upgrades to queue."""
    chains.build_multidb(tmp_path)
    results = queued_behind_the_lock(
        count, tmp_path, database_url, REPORTING_DATABASE_URL=reporting_url
    )
    assert [status for status, _ in results] == [0] * count, results
    ran = revisions_run(results)
    assert sorted(ran.values()) == [2, 2], ran  # each revision, once in each database
    for url, table in ((database_url, "users"), (reporting_url, "page_views")):
        assert schema.tables(url) == {"alembic_version", table}
        assert schema.alembic_versions(url) == ["8e9f0a1b2c3d"]


def test_deploys_of_one_tenant_take_turns_and_others_do_not_wait(
    tmp_path: Path, database_url: str
) -> None:
    """schemas.md's env.py takes the migration lock per tenant: with acme's held (here, by
    the test), two upgrades of acme wait for it while globex's upgrades; then each of
    acme's revisions runs once."""
    chains.build(tmp_path, ["tutorial-next"])
    shutil.copy(EXAMPLES / "schemas/env.py", tmp_path / "migrations/env.py")
    admin = psycopg2.connect(libpq_url(database_url))
    admin.autocommit = True
    admin.cursor().execute("CREATE SCHEMA acme; CREATE SCHEMA globex")
    admin.cursor().execute("SELECT pg_advisory_lock(%s, hashtext('acme'))", (MIGRATION_LOCK,))
    try:
        acme = [upgrade(tmp_path, database_url, "-x", "tenant=acme") for _ in range(2)]
        until(lambda: lock_waiters(admin) == 2, "2 upgrades of acme waiting for its lock")
        globex = result(upgrade(tmp_path, database_url, "-x", "tenant=globex"))
        assert globex[0] == 0, globex
        assert all(process.poll() is None for process in acme)  # still waiting
    finally:
        admin.close()  # releases acme's lock
    results = [result(process) for process in acme]
    assert [status for status, _ in results] == [0, 0], results
    ran = revisions_run(results)
    assert sorted(ran.values()) == [1, 1], ran  # the tutorial's revision and the posts one
    for tenant in ("acme", "globex"):
        versions = schema.rows(database_url, f"SELECT version_num FROM {tenant}.alembic_version")
        assert versions == [("d8f2a61c4b07",)]


@pytest.mark.parametrize("count", [2, 3])
def test_async_deploys_take_turns(tmp_path: Path, database_url: str, count: int) -> None:
    """async.md's env.py takes the migration lock on an autocommit connection of its own:
    upgrades started while the test holds it all wait, then each revision runs once."""
    chains.build(tmp_path, ["tutorial-next"])
    shutil.copy(EXAMPLES / "async/migrations/env.py", tmp_path / "migrations/env.py")
    results = queued_behind_the_lock(count, tmp_path, database_url)
    assert [status for status, _ in results] == [0] * count, results
    assert sorted(revisions_run(results).values()) == [1, 1]
    assert schema.alembic_versions(database_url) == ["d8f2a61c4b07"]


INDEX_MIGRATION = EXAMPLES / "postgres/9c8d7e6f5a4b_index_users_last_name.py"
DROP_LEFTOVER = re.compile(r"\n *# A deploy killed.*?\n *op\.drop_index\(.*?\)\n", re.DOTALL)
BUILDING = (
    "SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%%'"
    + SESSIONS_HERE
)


def index_project(tmp_path: Path, drops_leftover: bool) -> Path:
    """The tutorial's project, the deploy env.py, and the index migration right after it:
    as shown, or without the drop of a leftover that comes first in its block."""
    project = project_with(tmp_path, EXAMPLES / "deploying/env.py")
    for name in CHAIN:
        (project / "migrations/versions" / name).unlink()
    text = INDEX_MIGRATION.read_text().replace("6b5a4c3d2e1f", "1975ea83b712")
    if not drops_leftover:
        text, found = DROP_LEFTOVER.subn("\n", text)
        assert found == 1
    (project / "migrations/versions" / INDEX_MIGRATION.name).write_text(text)
    return project


def kill_mid_index(project: Path, url: str, build_stops: bool) -> None:
    """A deploy killed while its CREATE INDEX CONCURRENTLY waits for the app's open
    transaction. Its server process goes on alone: it builds the index once the app's
    transaction ends, or, stopped (a cancel, a restart), leaves it INVALID."""
    assert result(upgrade(project, url, to="1975ea83b712"))[0] == 0
    app = psycopg2.connect(libpq_url(url))
    app.cursor().execute("INSERT INTO users (id) VALUES (1000)")  # left open
    admin = psycopg2.connect(libpq_url(url))
    admin.autocommit = True
    try:
        deploy = upgrade(project, url)
        waiting = BUILDING + " AND wait_event_type = 'Lock'"
        until(lambda: scalar(admin, f"SELECT count(*) FROM ({waiting}) w") == 1, "the build")
        deploy.kill()
        assert result(deploy)[0] == -9
        if build_stops:
            scalar(admin, f"SELECT pg_cancel_backend(pid) FROM ({BUILDING}) b")
        app.rollback()
        until(lambda: scalar(admin, f"SELECT count(*) FROM ({BUILDING}) b") == 0, "its end")
    finally:
        app.close()
        admin.close()


@pytest.mark.parametrize("build_stops", [False, True], ids=["built", "invalid"])
def test_a_deploy_killed_mid_index_is_recovered_by_the_next(
    tmp_path: Path, database_url: str, build_stops: bool
) -> None:
    """deploying.md's killed deploy, with either leftover: the migration as shown drops it
    and builds the index again; without that drop, the next deploy fails on it."""
    leftover = (
        "SELECT indexrelid::regclass::text, indisvalid FROM pg_index"
        " WHERE indrelid = 'users'::regclass AND NOT indisprimary"
    )
    project = index_project(tmp_path / "shown", drops_leftover=True)
    kill_mid_index(project, database_url, build_stops)
    assert schema.rows(database_url, leftover) == [("ix_users_last_name", not build_stops)]
    assert schema.alembic_versions(database_url) == ["1975ea83b712"]

    control = index_project(tmp_path / "control", drops_leftover=False)
    status, output = result(upgrade(control, database_url))
    assert status == 1
    assert 'DuplicateTable) relation "ix_users_last_name" already exists' in output

    status, output = result(upgrade(project, database_url))
    assert status == 0, output
    assert schema.rows(database_url, leftover) == [("ix_users_last_name", True)]
    assert schema.alembic_versions(database_url) == ["9c8d7e6f5a4b"]
