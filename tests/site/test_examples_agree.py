"""The examples agree with themselves: what a migration's docstring says of it, and the
safety switch of every script a page runs with psql."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(
    path
    for path in (ROOT / "examples").rglob("*.py")
    if re.search(r"^down_revision\b", path.read_text(), re.MULTILINE)
)


def assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} =")


def header(docstring: str, field: str) -> str:
    match = re.search(rf"^{field}:[ \t]*(.*)$", docstring, re.MULTILINE)
    assert match, f"no {field}: line"
    return match[1].strip()


def test_the_migrations_are_found() -> None:
    assert len(MIGRATIONS) >= 30


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_migration_s_header_says_what_its_code_does(path: Path) -> None:
    """`Revision ID:` and `Revises:` as Alembic's template writes them from `revision` and
    `down_revision` (a merge's parents comma-separated, nothing for the first)."""
    tree = ast.parse(path.read_text())
    docstring = ast.get_docstring(tree) or ""
    down = assigned(tree, "down_revision")
    parents = ", ".join(down) if isinstance(down, tuple | list) else (down or "")
    assert header(docstring, "Revision ID") == assigned(tree, "revision")
    assert header(docstring, "Revises") == parents


def created(path: Path) -> tuple[str, str, list[str]]:
    """A migration's (revision, Create Date, the revisions it revises)."""
    tree = ast.parse(path.read_text())
    down = assigned(tree, "down_revision")
    parents = list(down) if isinstance(down, tuple | list) else [down] if down else []
    return assigned(tree, "revision"), header(ast.get_docstring(tree) or "", "Create Date"), parents


def test_a_migration_was_created_after_those_it_revises() -> None:
    """`Create Date:` as `alembic revision` writes it: never before its parent's (of the
    same id in another folder, the earliest)."""
    found = {path: created(path) for path in MIGRATIONS}
    dates: dict[str, str] = {}
    for revision, date, _ in found.values():
        dates[revision] = min(date, dates.get(revision, date))
    before = [
        f"{path.relative_to(ROOT)}: {date} is before {parent}'s {dates[parent]}"
        for path, (_, date, parents) in found.items()
        for parent in parents
        if parent in dates and date < dates[parent]
    ]
    assert before == []


def test_every_copy_picks_the_driver_as_the_tutorial_s_env_py_does() -> None:
    """The line that names the driver installed (psycopg2, else psycopg 3, else pg8000) is
    tested in the tutorial's env.py; every other file and notebook has the same line."""
    tutorial = ROOT / "examples/tutorial/migrations/env.py"
    [line] = [line.strip() for line in tutorial.read_text().splitlines() if "find_spec(d)" in line]
    files = [*(ROOT / "examples").rglob("*.py"), *(ROOT / "notebooks").glob("*.py")]
    copies = {
        f"{path.relative_to(ROOT)}: {text.strip()}"
        for path in files
        for text in path.read_text().splitlines()
        if "find_spec(d)" in text and text.strip() != line
    }
    assert copies == set()
    assert sum("find_spec(d)" in path.read_text() for path in files) >= 15


PSQL_SCRIPT = re.compile(r"\bpsql\b[^\n]*\s(?:-f|--file)\s")
# The one line that runs a script without the switch, to show what it changes.
WITHOUT_IT = ("docs/guides/offline-sql.md", '$ psql "$DATABASE_URL" --quiet -f upgrade.sql')


def test_every_psql_script_stops_at_its_first_error() -> None:
    """A script run with `psql -f` goes on after an error and exits 0 unless ON_ERROR_STOP
    is set: offline-sql.md shows both."""
    shown = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*")]
    loose = [
        (str(path.relative_to(ROOT)), line.strip())
        for path in shown
        if path.is_file() and path.suffix in (".md", ".sh", ".yml", "")
        for line in path.read_text().splitlines()
        if PSQL_SCRIPT.search(line) and "ON_ERROR_STOP=1" not in line
    ]
    assert loose == [WITHOUT_IT]


SERVER_WIDE = re.compile(r"\bFROM (pg_stat_activity|pg_locks)\b")
KEPT_HERE = re.compile(r"current_database\(\)|_HERE\b|pg_backend_pid\(\)|\bpid = ")


def test_what_reads_the_whole_server_keeps_to_its_own_database() -> None:
    """pg_stat_activity and pg_locks list every database's sessions: a shown script or a
    test that waits on them, on a server others use too (a reader's team, pytest-xdist's
    workers), must look only at its database, or at given processes."""
    unscoped = []
    for path in [*ROOT.glob("examples/**/*.*"), *ROOT.glob("tests/**/*.py")]:
        lines = path.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            near = "\n".join(lines[max(0, n - 3) : n + 5])
            if SERVER_WIDE.search(line) and not KEPT_HERE.search(near):
                unscoped.append(f"{path.relative_to(ROOT)}:{n + 1}: {line.strip()}")
    assert unscoped == []
