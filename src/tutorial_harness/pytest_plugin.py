"""pytest side of the harness: a throwaway server per session, a database per test, and
docs/ pages collected as tests (one item per block, run in page order).

Fixtures: `postgres_server` (session), `database_url` (a fresh database per test),
`page_run` (per page). Pages must run on one worker: use `--dist loadfile` with xdist.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sybil import Document, Sybil
from sybil.integration.pytest import SybilItem

from tutorial_harness import blocks, page, shell
from tutorial_harness.postgres import PostgresError
from tutorial_harness.server import Server, open_server


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tutorial_harness")
    group.addoption(
        "--naive",
        action="store_true",
        help="the baseline `nox -s bench` compares with: a fresh server per page, "
        "alembic as subprocesses",
    )
    group.addoption(
        "--alembic-subprocess",
        action="store_true",
        help="run alembic console lines as subprocesses instead of in-process",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A CI cancel sends SIGTERM, which would kill pytest before any teardown: turn it into
    # the KeyboardInterrupt that pytest handles by running finalizers (server stopped).
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)
    config.pluginmanager.register(DocsSummary(config.rootpath), "tutorial-docs-summary")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    server = _open_or_fail()
    try:
        yield server
    finally:
        server.close()


def _open_or_fail() -> Server:
    """The server, or one line saying what to install or set: no traceback, no chained
    exceptions (pytest.fail inside the `except` would print the whole chain)."""
    try:
        return open_server()
    except PostgresError as error:
        problem = str(error)
    pytest.fail(f"no PostgreSQL for the tests: {problem}", pytrace=False)


@pytest.fixture
def database_url(postgres_server: Server) -> Iterator[str]:
    """A fresh, empty database for this test (dropped after it)."""
    with postgres_server.database() as url:
        yield url


@pytest.fixture(scope="module")
def page_run(request: pytest.FixtureRequest, postgres_server: Server) -> Iterator[page.PageRun]:
    """The scratch project and database one page's blocks share."""
    config = request.config
    naive = config.getoption("naive")
    with (
        _own_server() if naive else contextlib.nullcontext(postgres_server) as server,
        server.database() as url,
        tempfile.TemporaryDirectory(prefix="page-") as project,
    ):
        env = shell.reader_env(url)
        run = page.PageRun(
            page=Path(request.path).relative_to(config.rootpath),
            project=Path(project),
            database_url=url,
            examples=config.rootpath / "examples",
            shell=shell.ShellState(Path(project), env),
            in_process=not (config.getoption("alembic_subprocess") or naive),
            update=bool(config.getoption("update_examples", False)),
        )
        yield run
        run.apply_rewrites()


@contextlib.contextmanager
def _own_server() -> Iterator[Server]:
    server = open_server()
    try:
        yield server
    finally:
        server.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    docs = parent.config.rootpath / "docs"
    if file_path.suffix == ".md" and docs in file_path.parents:
        sybil = Sybil(
            parsers=[page.parse],
            path=str(docs),
            patterns=["*.md", "**/*.md"],
            fixtures=["page_run"],
            name="docs",
        )
        return sybil.pytest()(file_path, parent)
    return None


# -- executed vs opted-out counts -----------------------------------------------------------


class DocsSummary:
    """Counts docs blocks per page from reports (works under xdist) and lists opt-outs."""

    def __init__(self, rootpath: Path) -> None:
        self.rootpath = rootpath
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (page, outcome or "check")

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        kind = dict(report.user_properties).get("docs_block")
        if report.when == "call" and kind:
            page_path = report.nodeid.split("::")[0]
            self.outcomes[(page_path, report.outcome)] += 1
            if kind == "check" and report.passed:
                self.outcomes[(page_path, "check")] += 1

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.outcomes:
            return
        terminalreporter.section("executed documentation")
        write = terminalreporter.write_line
        executed = opted_out = 0
        for path in sorted((self.rootpath / "docs").rglob("*.md")):
            page_path = str(path.relative_to(self.rootpath))
            regions, skipped = blocks.lex(Document(path.read_text(), str(path)))
            if regions and not any(key[0] == page_path for key in self.outcomes):
                continue  # not part of this run
            passed, failed = (
                self.outcomes[(page_path, "passed")],
                self.outcomes[(page_path, "failed")],
            )
            checks = self.outcomes[(page_path, "check")]
            executed += passed
            opted_out += len(skipped)
            write(
                f"{page_path}: {passed - checks} blocks and {checks} database checks passed, "
                f"{failed} failed, {len(skipped)} opted out"
            )
            for opt_out in skipped:
                write(f"    line {opt_out.line} not run: {opt_out.reason}")
        write(f"docs: {executed} blocks and checks executed and matching, {opted_out} opted out")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if isinstance(item, SybilItem):
        block = item.example.parsed
        kind = block.name if isinstance(block, blocks.Directive) else type(block).__name__
        item.user_properties.append(("docs_block", kind))
