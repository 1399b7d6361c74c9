"""`nox -s bench`, each measure once, small: it keeps working between bench runs. The
figures themselves are read from the bench's table, never asserted (they depend on the
machine)."""

import json

from tests.tools import load
from throwaway_pg.server import Server

bench = load("bench")


def test_the_server_measures_run() -> None:
    assert bench.cold_start() > 0
    assert bench.warm_start(runs=1) > 0
    assert bench.server_memory() > 1  # MB: a running postmaster and its children


def test_isolation_and_chain_measures_run(postgres_server: Server) -> None:
    from_template, by_migrating = bench.isolation(postgres_server, runs=1)
    assert from_template > 0 and by_migrating > 0
    assert bench.chain(postgres_server, length=3) > 0


def test_in_process_alembic_prints_the_same_bytes_as_the_cli(postgres_server: Server) -> None:
    *_, same = bench.commands(postgres_server, runs=1)
    assert same


def test_the_committed_table_is_what_the_bench_wrote() -> None:
    """how-it-works includes the table outside a fence: it must be the generator's output
    for the committed figures, with where and with what they were measured."""
    results = json.loads((bench.OUT / "results.json").read_text())
    assert (bench.OUT / "results.txt").read_text() == bench.table(results)
    assert (bench.OUT / "revisions.svg").read_text() == bench.chart(results)
    assert {"date", "machine", "python", "postgresql"} <= set(results["measured"])


def test_the_committed_browser_table_is_what_the_bench_wrote() -> None:
    results = json.loads((bench.OUT / "browser.json").read_text())
    assert (bench.OUT / "browser.txt").read_text() == bench.browser_table(results)
    assert {"date", "machine", "chromium"} <= set(results["measured"])


def test_the_committed_figures_were_measured_with_the_pinned_versions(
    postgres_server: Server,
) -> None:
    """A pin moved without a new bench run fails: the figures are those versions'."""
    from alembic_docs.pytest_plugin import libraries
    from throwaway_pg.postgres import server_version

    measured = json.loads((bench.OUT / "results.json").read_text())["measured"]
    installed = {name.lower(): version for name, version in libraries().items()}
    installed["postgresql"] = server_version(postgres_server.admin_url)
    assert {name: measured.get(name) for name in installed} == installed


def test_the_watch_measure_runs(postgres_server: Server) -> None:
    assert bench.page_watched(postgres_server, runs=1) > 0


def test_a_junit_report_gives_each_file_its_time(tmp_path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite><testcase file="tests/a.py" time="1.5"/>'
        '<testcase file="tests/a.py" time="2"/><testcase file="docs/p.md" time="0.5"/>'
        "</testsuite></testsuites>"
    )
    assert bench.seconds_per_file(report) == {"tests/a.py": 3.5, "docs/p.md": 0.5}
