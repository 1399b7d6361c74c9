"""Alembic commands run in-process, printing exactly what the `alembic` CLI prints on a
terminal.

In-process is much faster than a subprocess per command (`nox -s bench` measures by how
much). Byte identity with the CLI on a terminal is proven by running pages both ways
(tests/harness/alembic_docs/test_alembic_cli.py). What it takes:
  - stdout and stderr captured into one buffer, in order (env.py's logging writes to the
    sys.stderr of the moment it runs);
  - `Config(stdout=...)` passed explicitly: its default is bound at import;
  - a buffer with an `encoding` (alembic encodes with `stream.encoding or "ascii"`);
  - the terminal's width: on one, the CLI indents what it reports by two spaces and wraps
    it at that width (alembic reads it once, at import, from its stdin);
  - SystemExit turned into the exit code the CLI would return.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from alembic.config import CommandLine, Config
from alembic.util import messaging

from docs_runner.shell import COLUMNS, ShellState, environment, run_line


class UnfaithfulInProcess(RuntimeError):
    """An exception escaped alembic: the CLI would print a traceback we cannot reproduce."""


class _Capture(io.StringIO):
    encoding = "utf-8"


def as_on_a_terminal() -> None:
    """Alembic in this process writes as on the pages' terminal (docs_runner.shell)."""
    messaging.TERMWIDTH = COLUMNS


def run_in_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """Run `alembic <argv>` in this process; returns (exit code, merged output)."""
    as_on_a_terminal()
    out = _Capture()
    with (
        _fresh_imports(cwd),
        environment(env),
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        try:
            _main(list(argv), out)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc, out)
        except Exception as exc:
            raise UnfaithfulInProcess(
                f"`alembic {' '.join(argv)}` raised {type(exc).__name__}: {exc}"
            ) from exc
    return code, out.getvalue()


def run_cli(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """The real `alembic` script of this environment on a terminal, as a reader runs it."""
    script = Path(sys.executable).parent / "alembic"
    return run_line(shlex.join([str(script), *argv]), ShellState(cwd, dict(env)))


def _main(argv: list[str], out: io.StringIO) -> None:
    """alembic.config.CommandLine.main, with the Config's stdout pointed at `out`."""
    cli = CommandLine(prog="alembic")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    toml, ini = cli._inis_from_config(options)
    config = Config(
        file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options, stdout=out
    )
    cli.run_cmd(config, options)


@contextlib.contextmanager
def _fresh_imports(project: Path) -> Iterator[None]:
    """Forget the project's modules (env.py imports `myapp.models`) after each command, and
    the sys.path entries `prepend_sys_path` added: a new process would re-read them too.
    A module of the same name imported from elsewhere (another test's project) is
    forgotten before the command, so the project imports its own."""
    provided = _top_level_modules(project)
    for name in [name for name in sys.modules if name.split(".")[0] in provided]:
        del sys.modules[name]
    modules, path = set(sys.modules), list(sys.path)
    importlib.invalidate_caches()  # a finder for "." may still list another project
    try:
        yield
    finally:
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            spec = getattr(sys.modules[name], "__spec__", None)
            places = (
                [spec.origin or ""] + list(spec.submodule_search_locations or []) if spec else []
            )
            if any(Path(place).is_relative_to(project) for place in places if place):
                del sys.modules[name]


def _top_level_modules(project: Path) -> set[str]:
    """The names `import` finds in the project directory: its packages and .py files."""
    return {
        p.stem if p.suffix == ".py" else p.name
        for p in project.iterdir()
        if p.is_dir() or p.suffix == ".py"
    }


def _exit_code(exc: SystemExit, out: io.StringIO) -> int:
    """What the interpreter does with an uncaught SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=out)
    return 1
