"""squawk lints every example migration's own upgrade SQL, as the linting guide does in CI.

Every file under examples/ that defines `revision` and `down_revision` is found on its own,
so a new guide's migrations are linted without editing this file. Each one is linted alone:
`alembic upgrade <down_revision>:<revision> --sql` in the tutorial's project, holding the file
and its ancestors, so a finding belongs to that file. A finding a page keeps on purpose is
acknowledged, with its reason, either in the migration itself (a `-- squawk-ignore RULE --
REASON` comment in its SQL, which the reader sees) or, where Alembic writes the SQL and no
comment can go, in examples/squawk-acknowledged.toml. Any other finding fails, and so does an
acknowledgement of a finding that no longer occurs: squawk itself reports neither.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from alembic import command
from alembic.config import Config

from tests.site_tree import markdown_table

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
ACKNOWLEDGED = EXAMPLES / "squawk-acknowledged.toml"
SQUAWK = Path(sys.executable).parent / "squawk"
# Offline mode connects to nothing, but the tutorial's env.py wants a URL for the dialect.
OFFLINE_URL = "postgresql://offline@localhost/unused"
SECTION = re.compile(r"^-- Running upgrade .* -> (?P<revision>\w+)$")
# Modules example migrations import from their project, where the guides put them (as
# tests/chains.py does): every project gets them.
HELPERS = {
    "replaceable/replaceable.py": "migrations/replaceable.py",
    # reference-data/naive/ imports the application's models, as the page shows it failing.
    "reference-data/myapp/models.py": "myapp/models.py",
}
# The packages those go in: forgotten before and after each lint, so that a migration imports
# its own project's copy, never one another project left in sys.modules.
PACKAGES = {"migrations"} | {Path(destination).parts[0] for destination in HELPERS.values()}
# squawk's own syntax; the reason after a second "--" is this project's rule.
INLINE = re.compile(
    r"--\s*squawk-ignore(?:-file)?\s+(?P<rules>[\w\s,-]+?)\s*(?:--\s*(?P<reason>.*?))?\s*$"
)


@dataclass(frozen=True)
class Migration:
    path: Path
    key: str  # how squawk-acknowledged.toml names it: its path under examples/
    revision: str
    parents: tuple[str, ...]  # down_revision and depends_on


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int  # 0-based, as squawk's JSON reporter counts
    message: str


def revision_ids(path: Path) -> dict[str, object] | None:
    """The module-level revision identifiers, or None for a file that is not a migration."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and [type(t) for t in node.targets] == [ast.Name]:
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name in ("revision", "down_revision", "depends_on"):
            found[name] = ast.literal_eval(value)
    return found if {"revision", "down_revision"} <= found.keys() else None


def as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def migration(path: Path, key: str) -> Migration | None:
    ids = revision_ids(path)
    if ids is None:
        return None
    parents = as_tuple(ids["down_revision"]) + as_tuple(ids.get("depends_on"))
    return Migration(path, key, str(ids["revision"]), parents)


def discover(root: Path = EXAMPLES) -> list[Migration]:
    found = (migration(path, path.relative_to(root).as_posix()) for path in root.rglob("*.py"))
    return sorted((m for m in found if m), key=lambda m: m.key)


def parent_file(child: Migration, revision: str, pool: Iterable[Migration]) -> Migration:
    """The file of `revision` that `child` builds on. A naive/ variant and its fix share an
    id: prefer the child's own directory, then the one above it, then any other, by path."""
    candidates = [m for m in pool if m.revision == revision]
    if not candidates:
        raise LookupError(f"{child.key}: revision {revision} is in no file under examples/")
    here = child.path.parent
    return min(
        candidates, key=lambda m: (m.path.parent != here, m.path.parent != here.parent, m.key)
    )


def ancestry(target: Migration, pool: list[Migration]) -> list[Migration]:
    """`target` and one file for each revision it builds on, down to the root."""
    chosen: dict[str, Migration] = {}
    todo = [target]
    while todo:
        current = todo.pop()
        if current.revision in chosen:
            continue
        chosen[current.revision] = current
        todo += [parent_file(current, parent, pool) for parent in current.parents]
    return list(chosen.values())


def upgrade_sql(target: Migration, pool: list[Migration], project: Path, monkeypatch) -> str:
    """`alembic upgrade <first parent>:<target> --sql` in the tutorial's project (from nothing
    for a root revision), with the target and its ancestors as the only revisions. A
    migration for several databases (`upgrade(engine_name)`, multidb/) runs under its
    guide's alembic.ini and env.py, which write each database's SQL to a file of its own."""
    shutil.copytree(EXAMPLES / "tutorial", project)
    guide = EXAMPLES / target.key.split("/")[0]
    if "def upgrade(engine_name" in target.path.read_text():
        shutil.copy(guide / "alembic.ini", project)
        shutil.copy(guide / "env.py", project / "migrations")
    versions = project / "migrations/versions"
    for old in versions.glob("*.py"):
        old.unlink()
    for member in ancestry(target, pool):
        shutil.copy(member.path, versions)
    for source, destination in HELPERS.items():
        (project / destination).parent.mkdir(exist_ok=True)
        shutil.copy(EXAMPLES / source, project / destination)
    down = target.parents[0] if target.parents else None
    output = io.StringIO()
    config = Config(str(project / "alembic.ini"), output_buffer=output)
    monkeypatch.setenv("DATABASE_URL", OFFLINE_URL)
    monkeypatch.setattr(sys, "path", list(sys.path))  # alembic.ini prepends the project
    with contextlib.chdir(project):
        forget(PACKAGES)
        importlib.invalidate_caches()
        try:
            revisions = f"{down}:{target.revision}" if down else target.revision
            command.upgrade(config, revisions, sql=True)
        finally:
            forget(PACKAGES)
    return output.getvalue() + "".join(path.read_text() for path in project.glob("*.sql"))


def forget(packages: set[str]) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] in packages]:
        del sys.modules[name]


def squawk(sql: str) -> list[Finding]:
    # An empty config: no .squawk.toml found above the working directory changes the rules.
    result = subprocess.run(
        [SQUAWK, "--reporter", "json", "--config", "/dev/null"],
        input=sql,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    return [Finding(v["rule_name"], v["line"], v["message"]) for v in json.loads(result.stdout)]


def own_lines(sql: str, revision: str) -> set[int]:
    """The script's lines that belong to `revision`: all but other revisions' sections (a
    merge's range also runs the other branch)."""
    owner, lines = revision, set()
    for number, line in enumerate(sql.splitlines()):
        if match := SECTION.match(line):
            owner = match["revision"]
        if owner == revision:
            lines.add(number)
    return lines


@dataclass
class Lint:
    findings: list[Finding]  # what squawk reports, inline acknowledgements applied
    inline: dict[str, str]  # rule -> reason, from squawk-ignore comments in the SQL
    ignored: set[str]  # rules that those comments really silenced


def lint(target: Migration, pool: list[Migration], project: Path, monkeypatch) -> Lint:
    sql = upgrade_sql(target, pool, project, monkeypatch)
    mine = own_lines(sql, target.revision)
    reported = [f for f in squawk(sql) if f.line in mine]
    # The same script with the comments defused (same lines): what they silence.
    unignored = [f for f in squawk(sql.replace("squawk-ignore", "squawk-ignor_")) if f.line in mine]
    inline = {}
    for number, line in enumerate(sql.splitlines()):
        if number in mine and (match := INLINE.search(line)):
            for rule in re.split(r"[\s,]+", match["rules"].strip()):
                inline[rule] = match["reason"] or ""
    still = {(f.rule, f.line) for f in reported}
    silenced = {f.rule for f in unignored if (f.rule, f.line) not in still}
    return Lint(reported, inline, silenced)


def acknowledged() -> dict[str, dict[str, str]]:
    return tomllib.loads(ACKNOWLEDGED.read_text())


def problems(result: Lint, acknowledged: dict[str, str]) -> list[str]:
    """Everything wrong with one migration's lint, as sentences; empty when it passes."""
    found = {f.rule for f in result.findings}
    errors = [
        f"unacknowledged {f.rule} (SQL line {f.line + 1}): {f.message}"
        for f in result.findings
        if f.rule not in acknowledged
    ]
    errors += [
        f"stale acknowledgement of {rule} in squawk-acknowledged.toml: squawk no longer finds it"
        for rule in sorted(set(acknowledged) - found)
    ]
    errors += [
        f"stale squawk-ignore {rule}: it silences nothing"
        for rule in sorted(set(result.inline) - result.ignored)
    ]
    errors += [
        f"no reason for acknowledging {rule}"
        for rule, reason in {**acknowledged, **result.inline}.items()
        if not reason.strip()
    ]
    return errors


MIGRATIONS = discover()


def example(key: str) -> Migration:
    return next(m for m in MIGRATIONS if m.key == key)


@pytest.mark.parametrize("target", MIGRATIONS, ids=lambda m: m.key)
def test_migration_passes_squawk(target: Migration, tmp_path: Path, monkeypatch) -> None:
    acknowledgements = acknowledged().get(target.key, {})
    if "offline-sql" in acknowledgements:  # it reads the database: no SQL without one
        with pytest.raises(AttributeError, match="MockConnection"):
            upgrade_sql(target, MIGRATIONS, tmp_path / "project", monkeypatch)
        return
    result = lint(target, MIGRATIONS, tmp_path / "project", monkeypatch)
    errors = problems(result, acknowledgements)
    assert not errors, f"{target.key}:\n  " + "\n  ".join(errors)


def test_the_examples_are_found() -> None:
    """Discovery finds the guides' migrations, naive variants included, and nothing else."""
    keys = [m.key for m in MIGRATIONS]
    assert "tutorial/migrations/versions/1975ea83b712_create_users_table.py" in keys
    assert "linting/naive/a1c3e5f7b9d2_active_users_last_name_text.py" in keys
    assert "postgres/naive/9c8d7e6f5a4b_index_users_last_name.py" in keys
    assert not [key for key in keys if key.endswith("env.py")]


def test_every_acknowledged_file_is_an_example_migration() -> None:
    assert sorted(set(acknowledged()) - {m.key for m in MIGRATIONS}) == []


def test_a_naive_variant_builds_on_its_fixed_neighbours() -> None:
    naive = example("postgres/naive/9c8d7e6f5a4b_index_users_last_name.py")
    parent = parent_file(naive, "7a1b2c3d4e5f", MIGRATIONS)
    assert parent.key == "postgres/naive/7a1b2c3d4e5f_create_subscriptions.py"
    fixed = example("postgres/6b5a4c3d2e1f_create_teams.py")
    assert parent_file(fixed, "9c8d7e6f5a4b", MIGRATIONS).key == (
        "postgres/9c8d7e6f5a4b_index_users_last_name.py"
    )


# The gate against itself: what it must catch.

FIXED_INDEX = EXAMPLES / "linting/b2d4f6a8c0e1_index_users_last_name.py"


def variant(tmp_path: Path, source: Path, old: str, new: str) -> Migration:
    text = source.read_text()
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new, 1))
    found = migration(path, f"variant/{source.name}")
    assert found is not None
    return found


def test_a_plain_create_index_is_caught(tmp_path: Path, monkeypatch) -> None:
    end = "            if_not_exists=True,\n        )\n"
    plain = end + '    op.create_index("ix_users_age", "users", ["age"])\n'
    target = variant(tmp_path, FIXED_INDEX, end, plain)
    result = lint(target, MIGRATIONS, tmp_path / "project", monkeypatch)
    assert [f.rule for f in result.findings] == ["require-concurrent-index-creation"]
    assert problems(result, {}) == [
        "unacknowledged require-concurrent-index-creation (SQL line 17): During normal index "
        "creation, table updates are blocked, but reads are still allowed."
    ]


def test_a_stale_acknowledgement_is_caught(tmp_path: Path, monkeypatch) -> None:
    target = example("linting/b2d4f6a8c0e1_index_users_last_name.py")
    result = lint(target, MIGRATIONS, tmp_path / "project", monkeypatch)
    assert problems(result, {"require-concurrent-index-creation": "it was plain once"}) == [
        "stale acknowledgement of require-concurrent-index-creation in "
        "squawk-acknowledged.toml: squawk no longer finds it"
    ]


def test_a_removed_acknowledgement_is_caught(tmp_path: Path, monkeypatch) -> None:
    target = example("tutorial/migrations/versions/1975ea83b712_create_users_table.py")
    result = lint(target, MIGRATIONS, tmp_path / "project", monkeypatch)
    kept = acknowledged()[target.key]
    assert problems(result, kept) == []
    del kept["prefer-text-field"]
    assert problems(result, kept)[0].startswith("unacknowledged prefer-text-field")


def test_a_stale_or_unexplained_inline_ignore_is_caught(tmp_path: Path, monkeypatch) -> None:
    fixed = EXAMPLES / "linting/a1c3e5f7b9d2_active_users_last_name_text.py"
    # the comment now stands before a statement that changes no type
    stale = variant(
        tmp_path,
        fixed,
        "ALTER TABLE users ALTER COLUMN last_name TYPE text",
        "COMMENT ON COLUMN users.last_name IS 'any length'",
    )
    result = lint(stale, MIGRATIONS, tmp_path / "stale", monkeypatch)
    assert problems(result, {}) == ["stale squawk-ignore changing-column-type: it silences nothing"]
    bare = variant(tmp_path, fixed, " -- varchar to text rewrites nothing", "")
    result = lint(bare, MIGRATIONS, tmp_path / "bare", monkeypatch)
    assert problems(result, {}) == ["no reason for acknowledging changing-column-type"]


def test_squawk_passes_an_empty_script() -> None:
    """Why the linting guide's script sets pipefail: a failed `alembic ... --sql` hands squawk
    nothing, and squawk passes nothing."""
    result = subprocess.run([SQUAWK, "--reporter", "gcc"], input="", capture_output=True)
    assert (result.returncode, result.stdout) == (0, b"")


def test_a_lone_comment_cannot_be_executed(database_url: str) -> None:
    """Why the guide puts a squawk-ignore comment in the same op.execute() as its statement."""
    connection = psycopg2.connect(database_url)
    try:
        with pytest.raises(psycopg2.ProgrammingError, match="can't execute an empty query"):
            connection.cursor().execute("-- squawk-ignore changing-column-type -- a reason")
    finally:
        connection.close()


# The linting guide's claims about PostgreSQL, and its CI workflow.


def filenodes(connection, *names: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(%s)", [list(names)]
        )
        return dict(cursor.fetchall())


def test_which_type_changes_rewrite(database_url: str) -> None:
    """varchar to text keeps the files of the table and of an index on the column, as the
    guide says; integer to bigint rewrites both (the guide's table of findings)."""
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE t (name varchar(1000), n integer)")
            cursor.execute("INSERT INTO t SELECT 'row ' || i, i FROM generate_series(1, 100) i")
            cursor.execute("CREATE INDEX t_name ON t (name); CREATE INDEX t_n ON t (n)")
        before = filenodes(connection, "t", "t_name", "t_n")
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE t ALTER COLUMN name TYPE text")
        after_text = filenodes(connection, "t", "t_name", "t_n")
        assert after_text == before
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE t ALTER COLUMN n TYPE bigint")
        after_bigint = filenodes(connection, "t", "t_name", "t_n")
        assert after_bigint["t"] != after_text["t"]
        assert after_bigint["t_n"] != after_text["t_n"]
    finally:
        connection.close()


WORKFLOW = EXAMPLES / "linting/lint-migrations.yml"


def workflow() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(WORKFLOW.read_text())


def test_the_workflow_is_valid() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# GitHub's hosted Linux runners; the workflow schema allows any label (a self-hosted one),
# and a label no runner has leaves the job queued for ever.
GITHUB_HOSTED = {"ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"}


def test_the_workflow_runs_on_a_runner_github_hosts() -> None:
    assert workflow()["jobs"]["squawk"]["runs-on"] in GITHUB_HOSTED


def test_the_workflow_pins_the_squawk_this_site_runs() -> None:
    pinned = re.search(r'"(squawk-cli==[^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned
    steps = workflow()["jobs"]["squawk"]["steps"]
    assert [s["run"] for s in steps if pinned[1] in s.get("run", "")]


def git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=CI", "-c", "user.email=ci@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def test_the_workflow_lints_what_a_pull_request_adds(tmp_path: Path) -> None:
    """The lint step's commands, in `bash -e` as GitHub runs them, in a clone whose base
    branch has the tutorial's project: the naive migration fails, the fixed ones pass."""
    (step,) = [
        s for s in workflow()["jobs"]["squawk"]["steps"] if "lint-migrations" in s.get("run", "")
    ]
    origin = tmp_path / "origin"
    shutil.copytree(EXAMPLES / "tutorial", origin)
    shutil.copy(EXAMPLES / "linting/lint-migrations.sh", origin)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "tutorial")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    versions = clone / "migrations/versions"
    bin_dir = str(Path(sys.executable).parent)
    env = {**step.get("env", {}), "GITHUB_BASE_REF": "main", "PATH": f"{bin_dir}:/usr/bin:/bin"}

    def lint_step() -> subprocess.CompletedProcess:
        shutil.rmtree(tmp_path / "base", ignore_errors=True)
        git(clone, "worktree", "prune")
        return subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=clone, env=env, capture_output=True, text=True
        )

    shutil.copy(EXAMPLES / "linting/naive/a1c3e5f7b9d2_active_users_last_name_text.py", versions)
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "naive")
    result = lint_step()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1975ea83b712 -> a1c3e5f7b9d2" in result.stderr
    assert "require-concurrent-index-creation" in result.stdout

    for name in [
        "a1c3e5f7b9d2_active_users_last_name_text.py",
        "b2d4f6a8c0e1_index_users_last_name.py",
    ]:
        shutil.copy(EXAMPLES / "linting" / name, versions)
    git(clone, "commit", "-q", "-am", "fixed")
    git(clone, "add", ".")
    git(clone, "commit", "-q", "-m", "index")
    result = lint_step()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "a1c3e5f7b9d2 -> b2d4f6a8c0e1" in result.stderr


def words(text: str) -> set[str]:
    """A text's words of four letters or more, by their first five: `rewritten` is
    `rewrite`'s."""
    return {word[:5] for word in re.findall(r"[a-z]{4,}", text.lower())}


def test_the_page_s_rule_table_is_what_squawk_reported() -> None:
    """One row per finding of the page's squawk run, in its order, each row closer in words
    to its own rule's message than to any other's: two rows' texts swapped fail."""
    page = (ROOT / "docs/guides/linting.md").read_text()
    found = dict(re.findall(r"^stdin:\d+:\d+: warning: (\S+) (.*)$", page, re.MULTILINE))
    rows = markdown_table(page, "| Rule |")
    assert [rule.strip("`") for rule in rows] == list(found)
    for rule, cells in rows.items():
        [said] = cells.values()
        overlap = {other: len(words(said) & words(f"{other} {found[other]}")) for other in found}
        best = max(overlap.values())
        assert [other for other in found if overlap[other] == best] == [rule.strip("`")], overlap
