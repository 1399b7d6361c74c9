"""`nox -s bench` (python tools/bench.py): the harness's speed, measured in one run on
this machine.

Prints one table and writes docs/bench/results.json, results.txt (the table, in Markdown,
that the docs page includes) and revisions.svg (time per revision against chain length).
Each figure is the median of several runs. Targets are figures to read, never asserted.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy.engine import make_url

from alembic_docs import alembic_cli
from throwaway_pg import postgres
from throwaway_pg.server import URL_VARIABLE, Server, open_server

ROOT = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, "-m", "properdocs", "build", "-f", "mkdocs.yml"]
OUT = ROOT / "docs" / "bench"
EXAMPLES = ROOT / "examples"
CHAINS = (10, 100, 300)


def median(measure: Callable[[], float], runs: int) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- the server -------------------------------------------------------------------------


def cold_start() -> float:
    cluster = postgres.start_cluster()
    cluster.stop()
    return cluster.started_in


def warm_start(runs: int) -> float:
    cluster = postgres.start_cluster()
    try:
        return statistics.median(cluster.restart() for _ in range(runs))
    finally:
        cluster.stop()


def server_memory() -> float:
    """MB of memory a throwaway server holds after migrating a database: the proportional
    set size (PSS) of the postmaster and its children, shared pages split between them."""
    cluster = postgres.start_cluster()
    try:
        postgres.create_database(cluster.url(), "bench")
        with tempfile.TemporaryDirectory() as tmp:
            alembic(project(Path(tmp)), cluster.url("bench"), "upgrade", "head")
        postmaster = cluster.process.pid
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        return sum(_pss_kb(int(pid)) for pid in [postmaster, *children]) / 1024
    finally:
        cluster.stop()


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # ended meanwhile: the backend of a client that just disconnected
        return 0
    (line,) = (line for line in rollup.splitlines() if line.startswith("Pss:"))
    return int(line.split()[1])


# -- per-test isolation -------------------------------------------------------------------


def project(path: Path, extra: list[str] = ()) -> Path:
    shutil.copytree(EXAMPLES / "tutorial", path, dirs_exist_ok=True)
    for name in extra:
        shutil.copy(EXAMPLES / name, path / "migrations/versions")
    return path


def alembic(path: Path, url: str, *argv: str) -> str:
    status, output = alembic_cli.run_in_process(argv, path, {"DATABASE_URL": url})
    assert status == 0, output
    return output


def isolation(server: Server, runs: int) -> tuple[float, float]:
    """A fresh migrated database: CREATE DATABASE ... TEMPLATE vs running the migrations."""
    extra = [
        "postgres/7a1b2c3d4e5f_create_subscriptions.py",
        "postgres/6b5a4c3d2e1f_create_teams.py",
        "postgres/9c8d7e6f5a4b_index_users_last_name.py",
    ]
    with tempfile.TemporaryDirectory() as tmp, server.database() as template:
        path = project(Path(tmp), extra)
        alembic(path, template, "upgrade", "head")
        template_name = make_url(template).database

        def from_template() -> float:
            started = time.perf_counter()
            url = server.create_database(template=template_name)
            elapsed = time.perf_counter() - started
            server.drop_database(url)
            return elapsed

        def by_migrating() -> float:
            started = time.perf_counter()
            url = server.create_database()
            alembic(path, url, "upgrade", "head")
            elapsed = time.perf_counter() - started
            server.drop_database(url)
            return elapsed

        return median(from_template, runs), median(by_migrating, runs)


# -- alembic in-process vs subprocess ------------------------------------------------------


def commands(server: Server, runs: int) -> tuple[float, float, bool]:
    with tempfile.TemporaryDirectory() as tmp, server.database() as url:
        path = project(Path(tmp))
        alembic(path, url, "upgrade", "head")
        env = {"DATABASE_URL": url, "PATH": os.environ["PATH"]}
        outputs = {}

        def run(runner) -> float:
            started = time.perf_counter()
            outputs[runner] = runner(["current"], path, env)
            return time.perf_counter() - started

        run(alembic_cli.run_in_process)  # the first call imports what env.py needs
        in_process = median(lambda: run(alembic_cli.run_in_process), runs)
        as_subprocess = median(lambda: run(alembic_cli.run_cli), runs)
        same = outputs[alembic_cli.run_in_process] == outputs[alembic_cli.run_cli]
        return in_process, as_subprocess, same


# -- the whole suite ----------------------------------------------------------------------


def suite(naive: bool) -> float:
    """All pages and notebooks: the project's runner, or the naive baseline (a fresh
    cluster per page, one `alembic` subprocess per command, one process)."""
    notebooks = (
        "tests/site/notebooks/test_notebooks.py::test_notebook_runs_and_its_outputs_are_current"
    )
    return timed(lambda: _pytest(["docs", notebooks, *(["--naive"] if naive else ["-n", "2"])]))


def matrix_combination() -> float:
    """One `nox -s matrix` combination once its virtualenv exists: what tools/matrix.py
    runs (every page, the notebook test file, results per page), here on the pins."""
    with tempfile.TemporaryDirectory() as tmp:
        results = f"--docs-results={Path(tmp) / 'results.json'}"
        return timed(
            lambda: _pytest(["docs", "tests/site/notebooks/test_notebooks.py", "-n", "2", results])
        )


PAGE = "docs/tutorial/upgrade-and-downgrade.md"  # a typical page: 11 blocks, 4 checks


def page_cold() -> float:
    """One page as an author runs it alone: a new pytest process, its own server."""
    return timed(lambda: _pytest([PAGE]))


def page_watched(server: Server, runs: int) -> float:
    """One page re-verified by `nox -s watch`: warm imports, a running server."""
    from docs_runner.watch import verify

    def once() -> float:
        with contextlib.redirect_stdout(io.StringIO()):  # pytest's report, not ours
            return timed(lambda: verify(ROOT / PAGE, server, ROOT))

    once()  # the first imports everything a page needs
    return median(once, runs)


def whole_suite() -> dict[str, float | str]:
    """The README's test command without its lint: every test, two workers. Less the one
    that compares the committed table with these figures, which are not written yet. Its
    wall time, the CPU time of its processes, and its critical path: pages and test files
    each run on one worker (`--dist loadfile`), so the slowest file bounds the wall time."""
    table_test = (
        "tests/harness/tools/test_bench.py::test_the_committed_table_is_what_the_bench_wrote"
    )
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "suite.xml"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        options = ["-n", "2", "--deselect", table_test, f"--junitxml={junit}"]
        wall = timed(lambda: _pytest([*options, "-o", "junit_family=xunit1"]))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = seconds_per_file(junit)
    slowest = max(files, key=files.__getitem__)
    return {
        "whole_suite_s": wall,
        "whole_suite_cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "slowest_file": slowest,
        "slowest_file_s": files[slowest],
    }


def seconds_per_file(junit: Path) -> dict[str, float]:
    """Each test file's (each page's) time in a JUnit report: its tests' times added up."""
    files: dict[str, float] = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        name = case.get("file") or case.get("classname", "")
        files[name] = files.get(name, 0.0) + float(case.get("time", 0))
    return files


def _pytest(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    env.pop(URL_VARIABLE, None)  # the README's run: on a throwaway server
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def site_build() -> float:
    with tempfile.TemporaryDirectory() as site:
        return timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "properdocs", "build", "-f", "mkdocs.yml", "--quiet"]
                + ["--site-dir", site],
                cwd=ROOT,
                check=True,
            )
        )


# -- "Run in your browser" ---------------------------------------------------------------

BROWSER_PAGE = "tutorial/first-migration/"  # its first block is `alembic init`


def in_browser(runs: int) -> dict[str, float]:
    """ "Run in your browser" in headless Chromium, each run a new browser (nothing cached):
    seconds from the click to the first block's output; a typed `alembic current` once
    warm; bytes fetched (raw, and as gzip would send them); the worker's WebAssembly
    memory."""
    from http.server import ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))  # the tests' Chromium, launched as they launch it
    from tests.site.served import CHROMIUM, CHROMIUM_ARGS, QuietHandler

    fetched: list[str] = []

    class Recording(QuietHandler):
        def send_head(self):
            fetched.append(self.translate_path(self.path))
            return super().send_head()

    firsts, typed, memory = [], [], {}
    with tempfile.TemporaryDirectory() as site, sync_playwright() as playwright:
        subprocess.run([*BUILD, "--quiet", "--site-dir", site], cwd=ROOT, check=True)
        server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Recording(*a, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for _ in range(runs):
            fetched.clear()
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/{BROWSER_PAGE}")
            page.click("button.in-browser-run")
            page.wait_for_function(FINISHED, timeout=600_000)
            firsts.append(page.evaluate(FIRST_OUTPUT) / 1000)
            typed += [timed(lambda p=page: _typed(p, "alembic current")) for _ in range(runs * 3)]
            memory = page.evaluate("inBrowser.ask({type: 'memory'})")
            browser.close()
        server.shutdown()
        files = [Path(path) for path in set(fetched) if Path(path).is_file()]  # the last run's
        raw = sum(f.stat().st_size for f in files)
        compressed = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
    return {
        "first_output_s": statistics.median(firsts),
        "typed_command_s": statistics.median(typed),
        "fetched_mib": raw / 2**20,
        "fetched_gzip_mib": compressed / 2**20,
        "python_memory_mib": (memory["python"] or 0) / 2**20,
        "postgres_memory_mib": (memory["postgres"] or 0) / 2**20,
    }


FINISHED = "document.querySelector('.in-browser-status').textContent.match(/^(Done|Stopped)/)"
FIRST_OUTPUT = (
    "performance.getEntriesByName('in-browser-first-output')[0].startTime"
    " - performance.getEntriesByName('in-browser-run')[0].startTime"
)


def _typed(page, line: str) -> None:
    page.evaluate("document.querySelector('.in-browser-typed').replaceChildren()")
    page.fill(".in-browser-own input", line)
    page.click(".in-browser-own button[type=submit]")
    page.wait_for_selector(".in-browser-typed > *")


def browser_table(r: dict) -> str:
    m = r["measured"]
    rows = [
        (
            "From the click to the first output (nothing cached)",
            f"{r['first_output_s']:.1f} s",
            "target ≤ 10 s",
        ),
        (
            "A typed `alembic current`, once started",
            f"{r['typed_command_s'] * 1000:.0f} ms",
            "target ≤ 300 ms",
        ),
        ("Fetched from the site", f"{r['fetched_mib']:.1f} MiB", ""),
        ("The same, gzip-compressed", f"{r['fetched_gzip_mib']:.1f} MiB", "target ≤ 16 MiB"),
        (
            "The worker's memory: Python (Pyodide)",
            f"{r['python_memory_mib']:.0f} MiB",
            "its WebAssembly memory",
        ),
        (
            "The worker's memory: PostgreSQL (PGlite)",
            f"{r['postgres_memory_mib']:.0f} MiB",
            "its WebAssembly memory",
        ),
    ]
    heading = (
        f"Measured on {m['date']} on {m['machine']}, in headless Chromium {m['chromium']}, on "
        f"`{BROWSER_PAGE}`:"
    )
    return measures(heading, rows)


# -- how time grows with the number of revisions ----------------------------------------


REVISION = """from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down!r}
branch_labels = depends_on = None


def upgrade():
    op.add_column("users", sa.Column("c{n}", sa.Integer))


def downgrade():
    op.drop_column("users", "c{n}")
"""


def chain(server: Server, length: int) -> float:
    """upgrade head + downgrade base over `length` generated revisions, per revision."""
    with tempfile.TemporaryDirectory() as tmp, server.database() as url:
        path = project(Path(tmp))
        down = "1975ea83b712"
        for n in range(length):
            rev = f"{n:012x}"
            (path / f"migrations/versions/{rev}_c{n}.py").write_text(
                REVISION.format(rev=rev, down=down, n=n)
            )
            down = rev
        elapsed = timed(
            lambda: (alembic(path, url, "upgrade", "head"), alembic(path, url, "downgrade", "base"))
        )
        return elapsed / (length + 1)


# -- report ---------------------------------------------------------------------------------


def main(quick: bool) -> dict:
    runs, suite_runs = (3, 1) if quick else (7, 3)
    results: dict[str, float | bool | str] = {}
    progress(f"server starts ({runs} runs)")
    results["cold_start_s"] = median(cold_start, runs)
    results["warm_start_s"] = warm_start(runs)
    results["server_memory_mb"] = median(server_memory, 3)
    server = open_server()
    try:
        progress("per-test isolation")
        results["template_db_s"], results["migrate_db_s"] = isolation(server, runs * 3)
        progress("alembic in-process vs subprocess")
        (results["in_process_s"], results["subprocess_s"], results["same_bytes"]) = commands(
            server, runs * 3
        )
        progress("one page: alone in a new process, and re-verified by nox -s watch")
        results["page_cold_s"] = median(page_cold, suite_runs)
        results["page_watched_s"] = page_watched(server, runs)
        for length in CHAINS:
            progress(f"a chain of {length} revisions")
            results[f"chain_{length}_per_revision_s"] = median(
                lambda length=length: chain(server, length), 3
            )
    finally:
        server.close()
    progress(f"the whole suite, runner and naive baseline ({suite_runs} runs each)")
    results["suite_s"] = median(lambda: suite(naive=False), suite_runs)
    results["suite_naive_s"] = median(lambda: suite(naive=True), suite_runs)
    progress("one version matrix combination (one run)")
    results["matrix_combination_s"] = matrix_combination()
    progress("the whole suite (one run)")
    results |= whole_suite()
    progress("properdocs build")
    results["site_build_s"] = median(site_build, runs)
    results["measured"] = measured_on()
    return results


def measured_on() -> dict[str, str]:
    """Where and with what the figures were measured: they mean little without it."""
    from alembic_docs.pytest_plugin import libraries

    server = open_server()
    try:
        with server.database() as url:
            used = {**libraries(), "PostgreSQL": postgres.server_version(url)}
    finally:
        server.close()
    return {
        **machine(),
        "python": platform.python_version(),
        **{name.lower(): version for name, version in used.items()},
    }


def machine() -> dict[str, str]:
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": str(datetime.date.today()),
        "machine": f"{os.cpu_count()} cores, {memory_kb / 2**20:.0f} GiB",
    }


def table(r: dict) -> str:
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    per_rev = [r[f"chain_{n}_per_revision_s"] for n in CHAINS]
    rows = [
        ("Throwaway cluster, cold start (initdb + start)", ms(r["cold_start_s"]), ""),
        ("Throwaway cluster, warm start", ms(r["warm_start_s"]), ""),
        ("Throwaway cluster, memory after a migration", f"{r['server_memory_mb']:.0f} MB", "PSS"),
        ("Fresh migrated database from a template", ms(r["template_db_s"]), "≤ 50 ms"),
        ("Fresh database, migrations run again", ms(r["migrate_db_s"]), ""),
        (
            "`alembic current` in-process",
            ms(r["in_process_s"]),
            "same bytes" if r["same_bytes"] else "OUTPUT DIFFERS",
        ),
        (
            "`alembic current` as a subprocess",
            ms(r["subprocess_s"]),
            f"{r['subprocess_s'] / r['in_process_s']:.0f}× slower",
        ),
        ("One page alone, in a new process (`pytest <page>`)", f"{r['page_cold_s']:.1f} s", ""),
        ("One page re-verified by `nox -s watch`", ms(r["page_watched_s"]), "target ≤ 500 ms"),
        ("All pages and notebooks, this runner", f"{r['suite_s']:.1f} s", ""),
        (
            "All pages and notebooks, naive baseline",
            f"{r['suite_naive_s']:.1f} s",
            f"{r['suite_naive_s'] / r['suite_s']:.1f}× slower (target ≥ 5×)",
        ),
        (
            "One `nox -s matrix` combination, its virtualenv ready (one run)",
            f"{r['matrix_combination_s']:.0f} s",
            "each combination in tools/matrix.py",
        ),
        ("The whole suite, two workers (one run)", f"{r['whole_suite_s']:.0f} s", "target ≤ 90 s"),
        ("The whole suite's CPU time (one run)", f"{r['whole_suite_cpu_s']:.0f} s", ""),
        (
            "Its critical path: the slowest test file, on one worker",
            f"{r['slowest_file_s']:.0f} s",
            f"`{r['slowest_file']}`; target ≤ 40 s",
        ),
        ("`properdocs build` (the site)", f"{r['site_build_s']:.1f} s", ""),
    ] + [
        (f"Upgrade + downgrade, {n} revisions, per revision", ms(t), "")
        for n, t in zip(CHAINS, per_rev, strict=True)
    ]
    m = r["measured"]
    heading = (
        f"Measured on {m['date']} on {m['machine']}, with Python {m['python']}, Alembic "
        f"{m['alembic']}, SQLAlchemy {m['sqlalchemy']}, psycopg2 {m['psycopg2']} and "
        f"PostgreSQL {m['postgresql']}:"
    )
    return measures(heading, rows)


def measures(heading: str, rows: list[tuple[str, str, str]]) -> str:
    """A Markdown table of (measure, median, note) under the line that says where."""
    lines = [heading, "", "| Measure | Median | Note |", "| --- | ---: | --- |"]
    lines += [f"| {what} | {value} | {note} |" for what, value, note in rows]
    return "\n".join(lines) + "\n"


def chart(r: dict) -> str:
    """Time per revision against chain length: flat means linear growth."""
    values = [r[f"chain_{n}_per_revision_s"] * 1000 for n in CHAINS]
    top = max(values) * 1.25
    bars = []
    for i, (n, value) in enumerate(zip(CHAINS, values, strict=True)):
        x, height = 70 + i * 110, 180 * value / top
        bars.append(
            f'<rect x="{x}" y="{200 - height:.1f}" width="60" height="{height:.1f}" '
            f'fill="#4051b5"/><text x="{x + 30}" y="{192 - height:.1f}" '
            f'text-anchor="middle">{value:.1f} ms</text>'
            f'<text x="{x + 30}" y="220" text-anchor="middle">{n} revisions</text>'
        )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="250" '
        'font-family="sans-serif" font-size="12">'
        '<rect width="100%" height="100%" fill="white"/>'  # readable in dark mode too
        '<text x="10" y="15">Upgrade + downgrade, time per revision</text>'
        '<line x1="50" y1="200" x2="410" y2="200" stroke="#888"/>' + "".join(bars) + "</svg>\n"
    )


def browser_main(quick: bool) -> dict:
    """`nox -s bench -- --browser`: the browser's figures alone, into browser.json/.txt."""
    progress("Run in your browser, in headless Chromium")
    results: dict = in_browser(runs=1 if quick else 3)
    from tests.site.served import CHROMIUM  # on the path once in_browser ran

    version = subprocess.run([CHROMIUM or "chromium", "--version"], capture_output=True, text=True)
    results["measured"] = {**machine(), "chromium": version.stdout.split()[1]}
    return results


if __name__ == "__main__" and "--browser" in sys.argv:
    results = browser_main(quick="--quick" in sys.argv)
    (OUT / "browser.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "browser.txt").write_text(browser_table(results))
    print(browser_table(results))
elif __name__ == "__main__":
    results = main(quick="--quick" in sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "results.txt").write_text(table(results))
    (OUT / "revisions.svg").write_text(chart(results))
    print(table(results))
