"""Running one page: its scratch project, its database, and an evaluator per block kind.

A page is a scenario: its blocks run top to bottom in a fresh project directory with
DATABASE_URL set to a fresh database, and what the page shows is compared with what happened.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import io
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sybil import Document, Example, Region

from tutorial_harness import alembic_cli, blocks, schema, shell
from tutorial_harness.normalise import RevisionIds, compared, normalise, tidy

UPDATE_HINT = "Rewrite shown outputs from a real run with: nox -s update"
CHECKS: dict[str, Callable[[PageRun], None]] = {}


def check(name: str):
    """Register a database check that pages run with <!-- check: name -->."""

    def register(function: Callable[[PageRun], None]) -> Callable[[PageRun], None]:
        CHECKS[name] = function
        return function

    return register


@dataclass
class PageRun:
    page: Path
    project: Path
    database_url: str
    examples: Path
    shell: shell.ShellState
    in_process: bool = True
    update: bool = False
    ids: RevisionIds = field(default_factory=RevisionIds)
    last_stdout: str | None = None
    failed_at: int | None = None
    rewrites: list[tuple[int, int, str]] = field(default_factory=list)

    def run(self, line: str) -> str:
        """One console line: alembic in-process when it is a plain alembic call.

        When alembic raises what the CLI would print as a traceback (a failed connection, an
        error inside a migration), the command is run again as the real CLI: its failed
        transaction was rolled back, so it fails the same way, and prints the real traceback.
        """
        line = self.ids.to_real(line)  # `cat versions/<id shown on the page>_x.py`
        argv = shlex.split(line) if not set(line) & set("|&;<>$`\\*?") else []
        if argv[:1] != ["alembic"]:
            return shell.run_line(line, self.shell)[1]
        if self.in_process:
            try:
                return alembic_cli.run_in_process(argv[1:], self.shell.cwd, self.shell.env)[1]
            except alembic_cli.UnfaithfulInProcess:
                pass
        return alembic_cli.run_subprocess(argv[1:], self.shell.cwd, self.shell.env)[1]

    def apply_rewrites(self) -> None:
        """Write collected output changes back into the page (update mode)."""
        if not self.rewrites:
            return
        text = self.page.read_text()
        for start, end, new in sorted(self.rewrites, reverse=True):
            text = text[:start] + new + text[end:]
        self.page.write_text(text)


def parse(document: Document) -> list[Region]:
    """The Sybil parser: one region per block, each with the evaluator of its kind."""
    pairs, _ = blocks.lex(document)
    return [Region(region.start, region.end, block, _evaluator(block)) for region, block in pairs]


def _evaluator(block: object) -> Callable[[Example], str | None]:
    evaluate = EVALUATORS[type(block)]

    def evaluator(example: Example) -> str | None:
        run: PageRun = example.namespace["page_run"]
        if run.failed_at is not None:
            return f"not run: the block at line {run.failed_at} failed first"
        try:
            failure = evaluate(example, run)
        except BaseException:
            run.failed_at = example.line
            raise
        if failure:
            run.failed_at = example.line
        return failure

    return evaluator


def _console(example: Example, run: PageRun) -> str | None:
    block: blocks.Console = example.parsed
    failures, outputs = [], []
    for command in block.commands:
        actual = _as_shown(run, run.run(command.line), command.expected)
        outputs.append(actual)
        if actual != tidy(command.expected):
            failures.append(
                _diff(run.page, command.page_line, command.line, command.expected, actual)
            )
    if failures and run.update:
        _rewrite(example, run, _console_source(block, outputs))
        return None
    return "\n\n".join(failures) or None


def _as_shown(run: PageRun, output: str, expected: str) -> str:
    """A real output, normalised to compare with the `expected` text of the page."""
    return compared(tidy(normalise(output, expected, str(run.project), run.ids)), expected)


def _file(example: Example, run: PageRun) -> str | None:
    block: blocks.File = example.parsed
    source = run.examples / block.snippet
    if not source.is_file():
        return f"{run.page}:{example.line}: examples/{block.snippet} does not exist"
    target = run.shell.cwd / run.ids.to_real(block.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(run.ids.to_real(source.read_text()))
    return None


def _python(example: Example, run: PageRun) -> str | None:
    block: blocks.Python = example.parsed
    # Leading newlines make tracebacks point at the page's own line numbers.
    code = compile("\n" * block.fence.line + block.fence.source, str(run.page), "exec")
    out = io.StringIO()
    with (
        shell.environment(run.shell.env),
        contextlib.chdir(run.shell.cwd),
        contextlib.redirect_stdout(out),
    ):
        exec(code, example.namespace)
    run.last_stdout = out.getvalue()
    return None


def _output(example: Example, run: PageRun) -> str | None:
    block: blocks.Output = example.parsed
    if run.last_stdout is None:
        return f'{run.page}:{example.line}: an "Output" block must follow a python block'
    actual = _as_shown(run, run.last_stdout, block.fence.source)
    run.last_stdout = None
    if actual == tidy(block.fence.source):
        return None
    if run.update:
        _rewrite(example, run, actual + "\n")
        return None
    return _diff(run.page, example.line, "the python block above", block.fence.source, actual)


def _directive(example: Example, run: PageRun) -> str | None:
    directive: blocks.Directive = example.parsed
    if directive.name == "project":
        source = run.examples / directive.argument
        if not source.is_dir():
            return f"{run.page}:{example.line}: examples/{directive.argument}/ does not exist"
        shutil.copytree(source, run.project, dirs_exist_ok=True)
        return None
    if directive.argument not in CHECKS:
        return (
            f"{run.page}:{example.line}: no check named {directive.argument!r} "
            f"(known: {', '.join(sorted(CHECKS))})"
        )
    CHECKS[directive.argument](run)
    return None


def _provenance(example: Example, run: PageRun) -> str | None:
    block: blocks.Provenance = example.parsed
    actual = schema.versions(run.database_url)
    if block.recorded == actual:
        return None
    line = provenance_line(actual)
    region = example.region
    if run.update:
        new = line if block.recorded else f"\n{line}\n"  # a new paragraph under the title
        run.rewrites.append((region.start, region.end, new))
        return None
    if block.recorded is None:
        return f"{run.page}: no provenance line; add one with: nox -s update\n{line}"
    return (
        f"{run.page}:{example.line}: verified with {_listed(block.recorded)}, but this run "
        f"used {_listed(actual)}. {UPDATE_HINT}"
    )


def provenance_line(versions: dict[str, str]) -> str:
    return (
        f"Verified on {datetime.date.today()} with Alembic {versions['alembic']}, "
        f"SQLAlchemy {versions['sqlalchemy']}, psycopg2 {versions['psycopg2']} "
        f"and PostgreSQL {versions['postgresql']}."
    )


def _listed(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def _unclassified(example: Example, run: PageRun) -> str | None:
    return f"{run.page}:{example.line}: {example.parsed.reason}"


EVALUATORS = {
    blocks.Console: _console,
    blocks.File: _file,
    blocks.Python: _python,
    blocks.Output: _output,
    blocks.Directive: _directive,
    blocks.Unclassified: _unclassified,
    blocks.Provenance: _provenance,
}


def _diff(page: Path, line: int, what: str, expected: str, actual: str) -> str:
    diff = difflib.unified_diff(
        tidy(expected).splitlines(),
        actual.splitlines(),
        f"{page}:{line} (shown on the page)",
        f"real output of `{what}`",
        lineterm="",
    )
    return (
        f"{page}:{line}: `{what}` printed something else than the page shows\n"
        + "\n".join(diff)
        + f"\n{UPDATE_HINT}"
    )


def _console_source(block: blocks.Console, outputs: list[str]) -> str:
    parts = []
    for command, output in zip(block.commands, outputs, strict=True):
        parts.append(blocks.PROMPT + command.line)
        if output:
            parts.append(output)
    return "\n".join(parts) + "\n"


def _rewrite(example: Example, run: PageRun, source: str) -> None:
    """Replace the fence's content (kept indented as the fence is, e.g. inside a tab)."""
    text = example.document.text
    region = example.region
    opening_end = text.index("\n", region.start) + 1
    closing_start = text.rindex("\n", region.start, region.end) + 1
    opening = text[region.start : opening_end]
    indent = opening[: len(opening) - len(opening.lstrip())]
    body = "".join(indent + line + "\n" if line else "\n" for line in source.splitlines())
    run.rewrites.append((opening_end, closing_start, body))
