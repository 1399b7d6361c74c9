"""Which written files a later step really opened, seen by the kernel (inotify).

A file block counts as executed only once something opens it after it was written: alembic
importing env.py or a migration, a script run by bash, `cat`, a test file under pytest, in
this process or any child. The harness's own reads (database checks, the next file block's
look at what it replaces) are set aside. Python may import a stale bytecode cache instead of
a source rewritten within the same second, so the cache of a written file is removed: a
reader's editor never saves twice in one second.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from inotify_simple import INotify, flags


class FileWatch:
    def __init__(self) -> None:
        self._inotify = INotify()
        self._watched: dict[int, tuple[Path, int]] = {}  # watch descriptor -> (file, line)
        self.unread: dict[Path, int] = {}  # written, not yet opened -> the block's line
        self.replaced_unread: list[tuple[Path, int]] = []

    def write(self, path: Path, write: Callable[[], None], line: int) -> None:
        """Write a shown file (`write` does) and start watching for the first open of it."""
        self.observe()
        if path in self.unread:
            self.replaced_unread.append((path, self.unread.pop(path)))
        with self.not_reading():
            write()
        descriptor = self._inotify.add_watch(path, flags.OPEN | flags.DONT_FOLLOW)
        self._watched[descriptor] = (path, line)
        self.unread[path] = line

    def observe(self) -> None:
        """Credit every open since the last look."""
        for event in self._inotify.read(timeout=0):
            path, _ = self._watched.get(event.wd, (None, 0))
            if path is not None and event.mask & flags.OPEN:
                self.unread.pop(path, None)

    @contextlib.contextmanager
    def not_reading(self) -> Iterator[None]:
        """The harness's own reads and writes: opens in here exercise nothing."""
        self.observe()
        try:
            yield
        finally:
            self._inotify.read(timeout=0)  # drop the events of our own opens

    def never_read(self) -> list[tuple[Path, int]]:
        self.observe()
        return self.replaced_unread + sorted(self.unread.items(), key=lambda item: item[1])

    def close(self) -> None:
        self._inotify.close()


def forget_stale_caches(project: Path) -> None:
    """Remove the bytecode cache of every source changed after its cache was written.

    Python trusts a cache whose recorded source mtime (whole seconds) and size match: a
    page's command that rewrites a module in the second it was imported, with the same
    length (`perl -pi -e 's/<id>/<id>/'`), would run the old code, which a reader, typing
    seconds apart, never sees. Virtualenvs in the project are not the page's sources.
    """
    # By descriptors, never following a link: the page's user owns the tree, and may swap a
    # folder for a link to one of root's while it is walked.
    for folder, subdirectories, files, directory in os.fwalk(project):
        if "pyvenv.cfg" in files or _depth(folder, project) >= DEPTH:
            subdirectories.clear()  # fwalk recurses: 1,000 levels raised RecursionError
            continue
        if "__pycache__" not in subdirectories:
            continue
        sources = {
            name[:-3]: os.stat(name, dir_fd=directory).st_mtime_ns
            for name in files
            if name.endswith(".py")
        }
        _remove_older(directory, sources)


DEPTH = 64  # folders below this many levels hold no page's sources


def _depth(folder: str, top: Path) -> int:
    return folder.count(os.sep) - str(top).count(os.sep)


def _remove_older(directory: int, sources: dict[str, int]) -> None:
    """Remove the caches in `directory`'s __pycache__ older than their source: only what
    is in it, never through a link (to a folder of root's)."""
    try:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        folder = os.open("__pycache__", flags, dir_fd=directory)
    except OSError:
        return
    try:
        for name in os.listdir(folder):
            source = sources.get(name.split(".", 1)[0])
            if source is None or not name.endswith(".pyc"):
                continue
            if os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime_ns < source:
                os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)
