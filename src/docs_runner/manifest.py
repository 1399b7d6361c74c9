"""The committed verification manifest, and the coverage table generated from it.

The manifest (docs/verification.json unless the `docs_manifest` ini setting names another
file; an empty setting keeps none) holds, per page and per notebook, what its run accounted
for: the date its outputs were recorded, each opt-out with its reason, each database
check, each elided output, and how many shown lines were compared exactly, after a named
normalisation, elided, written as a file a later step used, run, or opted out. A run fails
when a page and its entry disagree, so adding an opt-out or dropping a check shows in
review; `--update-docs` rewrites the entry and the table beside it (verification.txt, which
a page may include). Workers of one run may write at once: each rewrite holds a
lock on the manifest itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from docs_runner.record import PageRecord

DEFAULT = "docs/verification.json"  # the `docs_manifest` ini setting; the table beside it


def entry(record: PageRecord) -> dict:
    return {
        "recorded": record.recorded,
        "opt-outs": record.opt_outs,
        "checks": record.checks,
        "elisions": record.elisions,
        "lines": dict(sorted(record.lines.items())),
    }


def load(path: Path) -> dict[str, dict]:
    text = path.read_text() if path.exists() else ""
    return json.loads(text) if text.strip() else {}


def unreadable(path: Path) -> str | None:
    """Why the manifest at `path` cannot be read, if it cannot (hand-edited): said once as
    the run starts, not as a traceback in every page."""
    if path.is_dir():
        return f"{path} is a folder, not a file"
    try:
        found = load(path)
    except (OSError, ValueError) as error:  # a JSONDecodeError is a ValueError
        return f"{path.name} is no JSON ({error})"
    if not isinstance(found, dict) or not all(isinstance(e, dict) for e in found.values()):
        return f"{path.name}: expected a JSON object holding an object per page"
    return None


def differences(path: Path, key: str, new: dict, update_command: str | None = None) -> list[str]:
    """How the committed entry for `key` differs from this run's, each with what to do: a
    lost check or a new opt-out is lost coverage, put back rather than recorded (counted:
    a page may run the same check twice, or give two opt-outs one reason)."""
    old = load(path).get(key)
    if old is None:
        return [f"no entry for {key} in {path.name}"]
    problems, lost_coverage = [], False
    for name, value in new.items():
        if old.get(name) == value:
            continue
        problem = f"{name}: {path.name} says {old.get(name)!r}, this run found {value!r}"
        lost = {"checks": Counter(old.get(name) or ()) - Counter(value)}.get(name)
        gained = {"opt-outs": Counter(value) - Counter(old.get(name) or ())}.get(name)
        if lost:
            problem += f" (lost: {sorted(lost.elements())}; put the check back on the page)"
        elif gained:
            problem += (
                f" (new: {sorted(gained.elements())}; coverage given up, for a reviewer to accept)"
            )
        lost_coverage |= bool(lost or gained)
        problems.append(problem)
    if update_command and not lost_coverage:  # else recording the rest records the loss
        problems = [f"{p} (review, then record it with: {update_command})" for p in problems]
    return problems


def write(path: Path, key: str, new: dict) -> None:
    with _locked(path):
        manifest = load(path)
        manifest[key] = new
        manifest = dict(sorted(manifest.items()))
        path.write_text(json.dumps(manifest, indent=2) + "\n")


def table_path(path: Path) -> Path:
    return path.with_suffix(".txt")


def table(manifest: dict[str, dict], columns: dict[str, str]) -> str:
    """The coverage table, in Markdown: shown lines per page and class (`columns`: line
    class -> column title, docs_runner.blocks.columns())."""
    header = ["Page", *columns.values()]
    rows = [header, ["---"] + ["---:"] * len(columns)]
    totals = dict.fromkeys(columns, 0)
    for key, page in manifest.items():
        counts = _columns(page["lines"], columns)
        totals = {c: totals[c] + counts[c] for c in columns}
        rows.append([f"`{key}`", *(str(counts[c]) for c in columns)])
    rows.append(["**all**", *(f"**{totals[c]}**" for c in columns)])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


def write_table(path: Path, columns: dict[str, str]) -> None:
    """The table beside the manifest, from it (after a run that rewrote entries)."""
    table_path(path).write_text(table(load(path), columns))


def _columns(lines: dict[str, int], columns: dict[str, str]) -> dict[str, int]:
    counts = dict.fromkeys(columns, 0)
    for name, count in lines.items():
        column = "normalised" if name.startswith("normalised") else name
        if column in counts:
            counts[column] += count
    return counts


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
