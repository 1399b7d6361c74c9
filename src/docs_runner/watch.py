"""`nox -s watch`: re-verify a page as soon as it, or an examples file it shows, is saved.

One process keeps the server and every import warm, so a page is checked in about the time
its own commands take, through the same pytest run the suite uses (one code path). What a
check found goes to the terminal (the diff) and to `.verification-status.json` in the pages'
folder, which `mkdocs serve` (docs/.hooks/verification_status.py) shows at the top of a
failing page. A change to the harness itself (src/, tests/) restarts the watcher, which
reloads it. The pages' and examples' folders are the plugin's `docs_dir` and `docs_examples`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from inotify_simple import INotify, flags

from docs_runner import grammar
from docs_runner.pytest_plugin import DEFAULT_DOCS, DEFAULT_EXAMPLES
from throwaway_pg.server import Server, open_server

STATUS = ".verification-status.json"  # in the pages' folder
CHANGES = flags.CLOSE_WRITE | flags.MOVED_TO | flags.CREATE | flags.DELETE
_SYBIL = "did not evaluate as expected:"
SETTLE = 0.05  # seconds: an editor's save is several events (write, rename, chmod)


@dataclass(frozen=True)
class Layout:
    """Where a project's pages and examples are: the plugin's settings, as pyproject.toml's
    [tool.pytest.ini_options] gives them (else their defaults)."""

    root: Path
    docs: Path
    examples: Path

    @classmethod
    def of(cls, root: Path) -> Layout:
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text() if pyproject.is_file() else ""
        ini = tomllib.loads(text).get("tool", {}).get("pytest", {}).get("ini_options", {})
        docs = ini.get("docs_dir", DEFAULT_DOCS)
        return cls(root, root / docs, root / ini.get("docs_examples", DEFAULT_EXAMPLES))


def affected(changed: Path, layout: Layout) -> list[Path]:
    """The pages a change to `changed` can alter: a page itself, or the pages that show an
    examples file (`--8<--`) or start from its project (`<!-- project: -->`)."""
    docs, examples = layout.docs, layout.examples
    if changed.suffix == ".md" and changed.is_relative_to(docs):
        return [changed] if changed.exists() else []
    if not changed.is_relative_to(examples):
        return []
    relative = changed.relative_to(examples)
    pages = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text()
        shown, projects = grammar.included(text), grammar.directives(text, "project")
        if str(relative) in shown or relative.parts[0] in projects:
            pages.append(page)
    return pages


def verify(page: Path, server: Server, root: Path) -> str | None:
    """Run the page as the suite does, on the warm server; None if it passes, else the
    first line of its failure (pytest prints the whole of it)."""
    args = [
        str(page.relative_to(root)),
        *("-q", "--no-header", "-o", "addopts=", "-p", "no:cacheprovider"),
        *("-p", "no:xdist", "-p", "no:unraisableexception"),  # the last costs a full gc
        "--docs-executor=in-process",  # warm imports: the same output, in a fraction
        f"--postgres-url={server.admin_url}",
        f"--rootdir={root}",
    ]
    reports = _Failures()
    code = pytest.main(args, plugins=[reports])
    if code == pytest.ExitCode.INTERRUPTED:  # pytest took the Ctrl-C meant for the watcher
        raise KeyboardInterrupt
    if code == pytest.ExitCode.OK:
        return None
    return reports.first or f"pytest exited with {code!r}"


class _Failures:
    first: str | None = None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and self.first is None:
            lines = str(report.longrepr).strip().splitlines()
            # Sybil puts the harness's own message after this line; else the error is last.
            after = [i + 1 for i, line in enumerate(lines) if line.endswith(_SYBIL)]
            self.first = lines[after[0] if after and after[0] < len(lines) else -1][:300]


def write_status(docs: Path, failing: dict[str, str]) -> None:
    """What `mkdocs serve` shows: failing pages (relative to docs), and whose they are."""
    path = docs / STATUS
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "failing": failing}, indent=1))
    temporary.replace(path)  # serve never reads half a file


class Changes:
    """Batches of saved files under the pages, the examples, src/ and tests/, watched from
    the moment this is made (before the watcher says it is watching)."""

    def __init__(self, layout: Layout) -> None:
        self.inotify = INotify()
        self.watched: dict[int, Path] = {}
        root = layout.root
        for top in (layout.docs, layout.examples, root / "src", root / "tests"):
            if top.is_dir():
                self._watch(top)

    def _watch(self, directory: Path) -> None:
        for path in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
            if "__pycache__" not in path.parts:
                self.watched[self.inotify.add_watch(path, CHANGES)] = path

    def __iter__(self) -> Iterator[set[Path]]:
        while True:
            events = self.inotify.read()
            time.sleep(SETTLE)
            events += self.inotify.read(timeout=0)
            batch = set()
            for event in events:
                path = self.watched[event.wd] / event.name
                if event.mask & flags.ISDIR and event.mask & flags.CREATE:
                    self._watch(path)
                elif not event.name.startswith(".") and not event.name.endswith("~"):
                    batch.add(path)
            if batch:
                yield batch


def loop(layout: Layout, server: Server, batches: Iterable[set[Path]]) -> None:
    root, failing = layout.root, {}
    write_status(layout.docs, failing)
    for batch in batches:
        if any(p.is_relative_to(root / "src") or p.is_relative_to(root / "tests") for p in batch):
            print("watch: the harness changed: restarting", flush=True)
            return
        pages = sorted({page for path in batch for page in affected(path, layout)})
        for page in pages:
            started = time.perf_counter()
            problem = verify(page, server, root)
            took = time.perf_counter() - started
            name = str(page.relative_to(layout.docs))
            if problem:
                failing[name] = problem
            else:
                failing.pop(name, None)
            write_status(layout.docs, failing)  # before the line that says the check is done
            verdict = f"FAILS: {problem}" if problem else "passes"
            print(f"watch: {page.relative_to(root)} {verdict} ({took:.2f} s)", flush=True)


def main() -> int:
    # "Ctrl-C stops" even when started with SIGINT ignored (nohup, a script's background
    # job), which Python would otherwise keep.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    layout = Layout.of(Path.cwd())
    server = open_server()
    try:
        changes = Changes(layout)
        folders = " and ".join(
            f"{p.relative_to(layout.root)}/" for p in (layout.docs, layout.examples)
        )
        print(f"watch: {server.description}; watching {folders} (Ctrl-C stops)")
        loop(layout, server, changes)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot skip cleanup
        server.close()
        (layout.docs / STATUS).unlink(missing_ok=True)
    os.execv(sys.executable, [sys.executable, "-m", "docs_runner.watch"])  # restart


if __name__ == "__main__":
    sys.exit(main())
