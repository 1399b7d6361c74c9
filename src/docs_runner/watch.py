"""`nox -s watch`: re-verify a page as soon as it, or a file of examples/ it shows, is saved.

One process keeps the server and every import warm, so a page is checked in about the time
its own commands take, through the same pytest run the suite uses (one code path). What a
check found goes to the terminal (the diff) and to `docs/.verification-status.json`, which
`mkdocs serve` (docs/.hooks/verification_status.py) shows at the top of a failing page.
A change to the harness itself (src/, tests/) restarts the watcher, which reloads it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from inotify_simple import INotify, flags

from docs_runner.blocks.whole_page import SNIPPET_LINE
from throwaway_pg.server import Server, open_server

STATUS = "docs/.verification-status.json"
PROJECT = re.compile(r"<!--\s*project:\s*(?P<name>[\w./-]+)\s*-->")
CHANGES = flags.CLOSE_WRITE | flags.MOVED_TO | flags.CREATE | flags.DELETE
_SYBIL = "did not evaluate as expected:"
SETTLE = 0.05  # seconds: an editor's save is several events (write, rename, chmod)


def affected(changed: Path, root: Path) -> list[Path]:
    """The pages a change to `changed` can alter: a page itself, or the pages that show an
    examples/ file (`--8<--`) or start from its project (`<!-- project: -->`)."""
    docs, examples = root / "docs", root / "examples"
    if changed.suffix == ".md" and changed.is_relative_to(docs):
        return [changed] if changed.exists() else []
    if not changed.is_relative_to(examples):
        return []
    relative = changed.relative_to(examples)
    pages = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text()
        shown = {m["path"] for m in SNIPPET_LINE.finditer(text)}
        projects = {m["name"] for m in PROJECT.finditer(text)}
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
        f"--tutorial-database-url={server.admin_url}",
        f"--rootdir={root}",
    ]
    reports = _Failures()
    code = pytest.main(args, plugins=[reports])
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


def write_status(root: Path, failing: dict[str, str]) -> None:
    """What `mkdocs serve` shows: failing pages (relative to docs/), and whose they are."""
    path = root / STATUS
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": os.getpid(), "failing": failing}, indent=1))
    temporary.replace(path)  # serve never reads half a file


class Changes:
    """Batches of saved files under docs/, examples/, src/ and tests/, watched from the
    moment this is made (before the watcher says it is watching)."""

    def __init__(self, root: Path) -> None:
        self.inotify = INotify()
        self.watched: dict[int, Path] = {}
        for top in ("docs", "examples", "src", "tests"):
            if (root / top).is_dir():
                self._watch(root / top)

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


def loop(root: Path, server: Server, batches: Iterable[set[Path]]) -> None:
    failing: dict[str, str] = {}
    write_status(root, failing)
    for batch in batches:
        if any(p.is_relative_to(root / "src") or p.is_relative_to(root / "tests") for p in batch):
            print("watch: the harness changed: restarting", flush=True)
            return
        pages = sorted({page for path in batch for page in affected(path, root)})
        for page in pages:
            started = time.perf_counter()
            problem = verify(page, server, root)
            took = time.perf_counter() - started
            name = str(page.relative_to(root / "docs"))
            if problem:
                failing[name] = problem
            else:
                failing.pop(name, None)
            write_status(root, failing)  # before the line that says the check is done
            verdict = f"FAILS: {problem}" if problem else "passes"
            print(f"watch: {page.relative_to(root)} {verdict} ({took:.2f} s)", flush=True)


def main() -> int:
    root = Path.cwd()
    server = open_server()
    try:
        changes = Changes(root)
        print(f"watch: {server.description}; watching docs/ and examples/ (Ctrl-C stops)")
        loop(root, server, changes)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot skip cleanup
        server.close()
        (root / STATUS).unlink(missing_ok=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.execv(sys.executable, [sys.executable, "-m", "docs_runner.watch"])  # restart


if __name__ == "__main__":
    sys.exit(main())
