"""pytest side of the docs runner: the pages under `docs_dir` collected as tests (one item
per block, run in page order), the update option, and the end-of-run summary.

Fixture: `page_run` (per page), on a database from throwaway_pg's `postgres_server`.
Pages must run on one worker: use `--dist loadfile` with xdist.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.integration.pytest import SybilItem

from docs_runner import blocks, hookspecs, manifest, matrix, page, shell
from docs_runner.blocks.directives import DAY, SECOND, seconds_of
from docs_runner.blocks.whole_page import PageEnd
from docs_runner.executors import EXECUTORS
from docs_runner.normalise import project_directory
from docs_runner.reader import Reader, ReaderError, passfile_copy, this_reader
from docs_runner.run import PageRun
from throwaway_pg import identities
from throwaway_pg.postgres import PostgresError, goes_with_run, temporary_directory
from throwaway_pg.pytest_plugin import server_for
from throwaway_pg.server import PASSFILE_VARIABLE, LeftOnServer, Server
from throwaway_pg.visible import visible_name

DEFAULT_DOCS, DEFAULT_EXAMPLES, DEFAULT_EXECUTOR = "docs", "examples", "terminal"
DEFAULT_TIMEOUT = 300.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("docs_runner")
    group.addoption(
        "--update-docs",
        action="store_true",
        help="rewrite shown outputs, failure markers, provenance lines, notebook outputs and "
        "the verification manifest from this run instead of failing on a difference "
        "(review the diff)",
    )
    parser.addini(
        "docs_dir",
        help=f"the folder of Markdown pages to run, relative to the root (default: {DEFAULT_DOCS})",
        default=DEFAULT_DOCS,
    )
    parser.addini(
        "docs_examples",
        help="the folder `--8<--` includes and `<!-- project: -->` copies come from, "
        f"relative to the root (default: {DEFAULT_EXAMPLES})",
        default=DEFAULT_EXAMPLES,
    )
    parser.addini(
        "docs_update_command",
        help="the command a failure tells the author to run to rewrite shown outputs "
        "(default: pytest --update-docs)",
        default="pytest --update-docs",
    )
    group.addoption(
        "--docs-results",
        metavar="PATH",
        help="write what this run found per page (holds, differs at which lines, fails) "
        "and its versions to PATH, as JSON (what `nox -s matrix` gathers)",
    )
    parser.addini(
        "docs_manifest",
        help="the verification manifest pages and notebooks must agree with (relative to "
        f"the root; empty: none); default {manifest.DEFAULT}",
        default=manifest.DEFAULT,
    )
    parser.addini(
        "docs_versions_record",
        help="the record `--docs-results` runs are gathered in (relative to the root; "
        "empty: none): on versions it holds, a block it records as showing other output "
        "is an expected failure",
        default="",
    )
    group.addoption(
        "--docs-executor",
        choices=sorted(EXECUTORS),
        help="where pages' blocks run: `terminal`, as a reader's terminal runs them (bash "
        "and python on a pseudo-terminal); `in-process`, a profile's tool and python "
        f"blocks in this process (faster, the same output). Default: the `docs_executor` "
        f"ini setting, else {DEFAULT_EXECUTOR}",
    )
    parser.addini(
        "docs_executor",
        help=f"where pages' blocks run (see --docs-executor); default {DEFAULT_EXECUTOR}",
        default=DEFAULT_EXECUTOR,
    )
    parser.addini(
        "docs_command_timeout",
        help="seconds a page's console line or python block may run before it is killed "
        f"and fails (default {DEFAULT_TIMEOUT:g}); <!-- timeout: SECONDS --> before a "
        "block sets its own",
        default=str(DEFAULT_TIMEOUT),
    )
    parser.addini(
        "docs_generated",
        type="linelist",
        help="`FILE PAGE` lines: the files (under the examples folder) a generator writes "
        "that PAGE may include outside a fence, as Markdown; no other include may stand "
        "outside a fence",
        default=[],
    )
    parser.addini(
        "docs_terminal_env",
        type="linelist",
        help="NAME=value lines: what the site tells readers to set in their terminal before "
        "following its pages (say so on a page), set in every page's terminal",
        default=[],
    )
    group.addoption(
        "--naive",
        action="store_true",
        help="the baseline `nox -s bench` compares with: a fresh server per page, on the "
        "terminal executor",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@dataclass(frozen=True)
class PageSettings:
    """The ini settings every page's run reads, checked once, as the run starts: a wrong
    one is one line naming it, not an error in every page."""

    command_timeout: float
    terminal_env: dict[str, str]
    generated: dict[str, str]  # FILE: PAGE

    @classmethod
    def of(cls, config: pytest.Config) -> PageSettings:
        timeout = config.getini("docs_command_timeout")
        seconds = seconds_of(timeout)
        if not SECOND <= seconds <= DAY:  # as <!-- timeout: --> takes (nan is refused too)
            raise pytest.UsageError(
                f"docs_command_timeout = {timeout}: expected seconds from 1 to a day "
                f"({DAY:g}), e.g. {DEFAULT_TIMEOUT:g}"
            )
        env = dict(
            _fields(config, "docs_terminal_env", ENV_LINE, "`NAME=value` lines (a shell's NAME)")
        )
        if taken := sorted(name for name in env if _the_runners(name)):
            raise pytest.UsageError(
                f"docs_terminal_env: {', '.join(taken)}: the runner sets that for each page "
                "(its scratch database, its reader's tools, folders and terminal)"
            )
        if unseen := sorted(set(env) & shell.UNSEEN):
            raise pytest.UsageError(
                f"docs_terminal_env: {', '.join(unseen)}: would run code before each line "
                "(bash, sh or psql reads the file it names), which no page shows"
            )
        generated = _fields(config, "docs_generated", GENERATED_LINE, "`FILE PAGE` lines")
        if (path := manifest_path(config)) and (problem := manifest.unreadable(path)):
            raise pytest.UsageError(f"docs_manifest = {config.getini('docs_manifest')}: {problem}")
        return cls(seconds, env, dict(generated))


def _the_runners(name: str) -> bool:
    """Whether the runner sets `name` for a page: a setting must not point the pages at
    another database (DATABASE_URL, PG*, a <!-- database: --> one) or other tools and
    folders."""
    return name.endswith("DATABASE_URL") or shell.the_runners(name)


ENV_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)")  # what `export NAME=value` takes
GENERATED_LINE = re.compile(r"(\S+)\s+(\S+)")
PAGE_SETTINGS = pytest.StashKey[PageSettings]()


def _fields(
    config: pytest.Config, setting: str, line: re.Pattern[str], expected: str
) -> Iterator[tuple[str, str]]:
    for text in config.getini(setting):
        if not (match := line.fullmatch(text)):
            raise pytest.UsageError(f"{setting}: `{text}`: expected {expected}")
        yield match[1], match[2]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[PAGE_SETTINGS] = PageSettings.of(config)
    executor_name(config)  # a wrong one is said once, not as an error in every page
    for kinds in config.hook.pytest_docs_block_kinds():
        for kind in kinds or []:
            config.add_cleanup(blocks.register(kind))
    config.pluginmanager.register(DocsSummary(), "docs-summary")
    if not hasattr(config, "workerinput"):  # once, on xdist's controller: after all workers
        config.pluginmanager.register(RepositoryLeftovers(config.rootpath), "docs-leftovers")
        if config.getoption("update_docs") and (path := manifest_path(config)):
            config.add_cleanup(
                lambda: path.is_file() and manifest.write_table(path, blocks.columns())
            )
        if results := config.getoption("docs_results"):
            config.pluginmanager.register(matrix.Results(_writable(results)), "docs-results")


def _writable(results: str) -> Path:
    """Where `--docs-results` writes at the run's end: said now if it cannot be (a folder,
    a missing one, a file no one may write), not after every page has run."""
    path = Path(results)
    where = path if path.exists() else path.parent
    if path.is_dir() or not where.exists() or not os.access(where, os.W_OK):
        raise pytest.UsageError(f"--docs-results {results}: cannot write there")
    return path


def executor_name(config: pytest.Config) -> str:
    if config.getoption("naive"):
        return "terminal"
    name = config.getoption("docs_executor") or config.getini("docs_executor")
    if name not in EXECUTORS:
        raise pytest.UsageError(f"docs_executor = {name}: expected one of {sorted(EXECUTORS)}")
    return name


@pytest.fixture(scope="session")
def docs_reader(pytestconfig: pytest.Config, postgres_server: Server) -> Iterator[Reader | None]:
    """Who runs the pages' lines on the terminal executor (`nobody` when we are root)."""
    if executor_name(pytestconfig) != "terminal":
        yield None  # in-process: this process's user and environment
        return
    try:
        reader = this_reader()
    except (ReaderError, PostgresError) as error:
        pytest.fail(f"no reader for the pages: {error}", pytrace=False)
    if problem := reader.cannot_connect(postgres_server):
        pytest.fail(
            f"the pages, run as {reader.user.name}, cannot connect to "
            f"{postgres_server.description}: {problem}; give a server and role another user"
            " of this machine may reach (a password, a socket open to them)",
            pytrace=False,
        )
    yield reader
    if reader.user is not None:  # what the pages left in /tmp and the like, as root
        identities.remove_left(reader.user)


@pytest.fixture(scope="module")
def page_run(
    request: pytest.FixtureRequest,
    postgres_server: Server,
    run_tmp: Path,
    docs_reader: Reader | None,
) -> Iterator[PageRun]:
    """The scratch project and database one page's blocks share."""
    config = request.config
    naive = config.getoption("naive")
    with (
        server_for(config) if naive else contextlib.nullcontext(postgres_server) as server,
        server.database() as url,
        contextlib.ExitStack() as more_databases,  # <!-- database: VARIABLE -->'s
        _as_found(server, Path(request.path).relative_to(config.rootpath)),
        project_directory() as project,
        goes_with_run(run_tmp.parent, project.parent),
        temporary_directory(prefix="page-", dir=run_tmp) as tmp,
    ):
        settings = config.stash[PAGE_SETTINGS]
        env = {**shell.reader_env(url), **settings.terminal_env, "TMPDIR": tmp}
        state = shell.ShellState(Path(project), env, settings.command_timeout)
        if docs_reader is not None:
            state.env |= docs_reader.environment(Path(tmp), server.passfile)
            state.popen, state.prefixes = docs_reader.popen, docs_reader.prefixes
            state.python = str(docs_reader.scripts / "python")
            for path in (project, tmp):
                docs_reader.own(Path(path))
        elif server.passfile is not None:  # in-process: the page's own copy too
            copy = passfile_copy(server.passfile.path, Path(tmp) / "pgpass")
            state.env[PASSFILE_VARIABLE] = str(copy)
        executor = EXECUTORS[executor_name(config)](
            state,
            url,
            new_database=lambda: more_databases.enter_context(server.database()),
            hook=config.hook,
        )
        path = Path(request.path)
        run = PageRun(
            root=config.rootpath,
            page=path.relative_to(config.rootpath),
            text=path.read_text(errors="replace"),  # a page not UTF-8 fails at its line
            examples=config.rootpath / config.getini("docs_examples"),
            executor=executor,
            manifest=manifest_path(config),
            update=config.getoption("update_docs"),
            update_command=config.getini("docs_update_command"),
            generated=settings.generated,
        )
        if record := config.getini("docs_versions_record"):
            try:
                path = config.rootpath / record
                run.known_differences = matrix.known_differences(path, str(run.page), run.versions)
                run.recorded_versions = matrix.recorded_versions(path)
            except (ValueError, LookupError, TypeError, AttributeError) as error:
                problem = f"{type(error).__name__}: {error}"
                pytest.fail(f"docs_versions_record = {record}: no record ({problem})", False)
        try:
            yield run
        finally:
            run.files.close()
            executor.close()
        run.apply_rewrites()


@contextlib.contextmanager
def _as_found(server: Server, page: Path) -> Iterator[None]:
    """The page's end (pass or fail) undoes what it left on the server beyond its own
    databases, its role's settings and databases it made, and fails in one line naming
    them (at its last block's teardown, as what the server refuses does)."""
    try:
        with server.watching():
            yield
    except LeftOnServer as left:
        raise PostgresError(
            f"{page}: the page left {left}: pages must leave the server as they found it"
        ) from None


def manifest_path(config: pytest.Config) -> Path | None:
    setting = config.getini("docs_manifest")
    return config.rootpath / setting if setting else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    docs = parent.config.rootpath / parent.config.getini("docs_dir")
    if file_path.suffix == ".md" and docs in file_path.parents:
        name = str(file_path.relative_to(parent.config.rootpath))
        if (shown := visible_name(name)) != name:  # pytest's own lines would show it raw
            pytest.fail(f"{shown}: a control character in the page's name: rename it", False)
        if "::" in name:  # pytest's separator in a test's id: the page's results went astray
            pytest.fail(f"{name}: `::` in the page's name: rename it", False)
        sybil = Sybil(
            parsers=[page.parse],
            path=str(docs),
            patterns=["*.md", "**/*.md"],
            fixtures=["page_run"],
            name="docs",
            document_types={".md": page.PageDocument},
        )
        return sybil.pytest()(file_path, parent)
    return None


# -- a run never writes into the repository ------------------------------------------------


class RepositoryLeftovers:
    """Fails the run if it left files in the repository that were not there before it and
    that .gitignore does not cover (a killed test's scratch file breaks the site build)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = untracked_files(root)
        self.new: list[str] = []

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.before is None:
            return  # not a git work tree: nothing to compare with
        self.new = sorted((untracked_files(self.root) or set()) - self.before)
        if self.new:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.new:
            return
        terminalreporter.section("files this run left in the repository", red=True)
        for name in self.new:
            terminalreporter.write_line(visible_name(name))
        terminalreporter.write_line(
            "Tests write in temporary directories, never in the repository."
        )


def untracked_files(root: Path) -> set[str] | None:
    """Files under `root` that git neither tracks nor ignores; None outside a work tree."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return set(listing.decode(errors="replace").split("\0")) - {""}


# -- the end-of-run summary, from the test reports (so it also works under xdist) ----------


class DocsSummary:
    """Per page: blocks passed, database checks, failures, and each opt-out with its reason."""

    def __init__(self) -> None:
        self.pages: dict[str, Counter[str]] = {}
        self.opt_outs: dict[str, list[str]] = {}
        self.coverage: dict[str, dict[str, int]] = {}
        self.other_versions: dict[str, str] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        page_path = report.nodeid.split("::")[0]
        if "coverage" in properties and report.when == "call":
            self.coverage[properties.get("coverage_of", page_path)] = properties["coverage"]
        if "other_versions" in properties and report.when == "call":
            name = properties.get("coverage_of", page_path)
            self.other_versions[name] = properties["other_versions"]
        kind = properties.get("docs_block")
        if not kind or (report.when != "call" and not report.skipped):
            return
        counts = self.pages.setdefault(page_path, Counter())
        if hasattr(report, "wasxfail"):  # other output, as the versions record holds
            counts["as recorded"] += 1
            return
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            self.opt_outs.setdefault(page_path, []).append(reason.removeprefix("Skipped: "))
        counts[report.outcome] += 1
        if report.passed and (summary := properties.get("docs_summary")):
            counts[summary] += 1

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.other_versions:  # never a reason to rewrite a page: see PageRun.hint
            terminalreporter.section("recorded with other versions")
            for name, fared in sorted(self.other_versions.items()):
                terminalreporter.write_line(f"{name}: {fared}")
            terminalreporter.write_line(
                "A difference is what readers with those versions see; the pages stay as recorded."
            )
        if not self.pages and not self.coverage:
            return
        terminalreporter.section("executed documentation")
        write = terminalreporter.write_line
        for page_path, counts in sorted(self.pages.items()):
            recorded = counts["as recorded"]
            write(
                f"{page_path}: {counts['block']} blocks and {counts['check']} database "
                f"checks passed, {counts['failed']} failed, {counts['skipped']} opted out"
                + (f", {recorded} differ as the versions record holds" if recorded else "")
            )
            for reason in self.opt_outs.get(page_path, []):
                write(f"    {reason}")
        total = Counter()
        for counts in self.pages.values():
            total.update(counts)
        write(
            f"docs: {total['block'] + total['check']} blocks and checks executed and "
            f"matching, {total['skipped']} opted out"
        )
        if self.coverage:
            terminalreporter.section("shown lines, by how they were verified")
            pages = {key: {"lines": self.coverage[key]} for key in sorted(self.coverage)}
            for line in manifest.table(pages, blocks.columns()).splitlines():
                write(line)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if isinstance(item, SybilItem):
        block = item.example.parsed
        item.user_properties.append(("docs_block", type(block).__name__))
        item.user_properties.append(("docs_summary", block.summary))
        item.user_properties.append(("docs_in_matrix", block.in_matrix))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """A skipped block is reported at its page's line (`-rs`), not at unittest's."""
    report = yield
    if isinstance(item, SybilItem) and report.skipped and isinstance(report.longrepr, tuple):
        page = os.path.relpath(item.example.path, item.config.rootpath)
        report.longrepr = (page, item.example.line, report.longrepr[2])
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Each block's outcome travels in its report (to the controller); after a page's last
    item, so do its line classes, and how the page fared if it was recorded with other
    versions."""
    if not isinstance(item, SybilItem):
        return (yield)
    run: PageRun = item.example.namespace["page_run"]
    if not isinstance(item.example.parsed, PageEnd):
        try:
            return (yield)
        finally:
            if outcome := run.record.outcomes.get(item.example.line):
                item.user_properties.append(("docs_outcome", outcome.value))
    failed_at = run.record.failed_at  # before the end's own checks
    try:
        return (yield)
    finally:
        item.user_properties.append(("coverage", dict(run.record.lines)))
        item.user_properties.append(("versions", run.versions))
        if not run.update and (other := run.other_versions):
            item.user_properties.append(("other_versions", f"{other}: {_fared(run, failed_at)}"))


def _fared(run: PageRun, failed_at: int | None) -> str:
    said = []
    if run.record.other_output_at:
        lines = ", ".join(str(line) for line in run.record.other_output_at)
        said.append(f"other output at line {lines}")
    if failed_at:
        said.append(f"the block at line {failed_at} fails (the blocks after it did not run)")
    return "; ".join(said) or "every block passes"
