"""Bytecode caches a page's own commands made stale (docs_runner.exercised)."""

import os
import py_compile
from pathlib import Path

from docs_runner.exercised import forget_stale_caches


def _module(project: Path, text: str) -> tuple[Path, Path]:
    source = project / "migrations" / "versions" / "a_b.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(text)
    return source, Path(py_compile.compile(str(source)))


def test_a_source_rewritten_after_its_cache_loses_the_cache(tmp_path: Path) -> None:
    source, cache = _module(tmp_path, "down_revision = '1975ea83b712'\n")
    second = int(source.stat().st_mtime)
    # The rewrite `perl -pi -e` makes within the same second, with the same length: Python
    # would still trust the cache (same whole-second mtime, same size).
    source.write_text("down_revision = '3a5c7e9b1d2f'\n")
    os.utime(source, ns=(second * 10**9 + 900_000_000,) * 2)
    os.utime(cache, ns=(second * 10**9 + 500_000_000,) * 2)

    forget_stale_caches(tmp_path)

    assert not cache.exists()


def test_a_cache_written_after_its_source_stays(tmp_path: Path) -> None:
    _, cache = _module(tmp_path, "x = 1\n")
    forget_stale_caches(tmp_path)
    assert cache.exists()


def test_a_virtualenv_in_the_project_is_not_swept(tmp_path: Path) -> None:
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    source, cache = _module(venv, "x = 1\n")
    os.utime(cache, ns=(source.stat().st_mtime_ns - 10**9,) * 2)
    forget_stale_caches(tmp_path)
    assert cache.exists()
