"""Executing notebooks and comparing their outputs with the committed ones.

Outputs are committed (the site renders them as they are) and a test proves them current:
each notebook runs on a fresh database and its outputs must be displayed as the committed
ones, after masking the scratch project's random name: the same outputs in the same order,
each with the same stream (stdout or stderr) and text. `--update-docs` writes the new
outputs.

That order is the same in every run, so it is compared as it is: 80 runs of each notebook,
half of them four at a time on two busy CPUs, gave one output sequence per cell, equal to
the committed one. It comes from IPython and ipykernel:
- a `!command` runs under pexpect on a pseudo-terminal (IPython.utils._process_posix): its
  stdout and stderr are one stream, read by one thread and shown as stdout in the order the
  command wrote them, as in a terminal. Only where that output is cut into chunks depends
  on timing, hence the joining of adjacent chunks of one stream (`_coalesced`). (IPython
  reads the two pipes in two threads on Windows, where the harness does not run.)
- the kernel's sys.stdout and sys.stderr are two OutStreams (ipykernel.iostream), each with
  its own buffer, sent by its `flush()`, 0.2 s after its first write, or at the end of the
  cell, stdout first. So what is shown is not always in the order written, and a cell
  writing to both without flushing can vary: stderr then stdout, written together, shows
  stdout first; written 0.19 s apart, stderr first. Logging's StreamHandler flushes every
  record, and env.py's fileConfig binds alembic's handler to the kernel's sys.stderr: the
  data-migration notebook's in-process upgrade always shows its log lines, then the error
  it prints. A cell that writes to both streams itself should flush (`flush=True`) before
  switching from one to the other.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import difflib
import json
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import jupytext
import nbformat
from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbformat.validator import get_validator

from docs_runner import grammar, provenance
from docs_runner.record import PageRecord
from docs_runner.shell import OUTPUT_LIMIT, environment
from throwaway_pg import stopping
from throwaway_pg.visible import visible, visible_name

# The random part of the scratch project's name. A `!command` runs on a terminal 80 columns
# wide, so alembic wraps long paths, at hyphens: the random part is never split.
RANDOM_PART = re.compile(r"(?<=notebook-)[a-z0-9_]{8}\b")  # scratch.PROJECT_PREFIX + mkdtemp
MASK = "XXXXXXXX"
TIMEOUT = 120
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class NotebookError(ValueError):
    """A file named .ipynb that is no notebook: one line, naming the file and the fault."""

    def __init__(self, message: str) -> None:
        super().__init__(visible_name(message))  # the file's name may hold anything


NOTEBOOK_LIMIT = 32 << 20  # bytes: a notebook is text; a link to /dev/zero is endless


def read(path: Path) -> NotebookNode:
    """The notebook at `path` (nbformat 4, as Jupyter writes them); a file that is no JSON,
    or no such notebook, is one line naming where."""
    text = _contents(path)
    try:
        content = json.loads(text.decode())  # UTF-8 alone, as Jupyter writes them
    except UnicodeDecodeError as error:
        raise NotebookError(f"{path}: not a notebook: byte {error.start} is not UTF-8") from None
    except (ValueError, RecursionError) as error:  # no JSON, or beyond what Python reads
        raise NotebookError(f"{path}: not a notebook, no JSON: {_where(error)}") from None
    if not isinstance(content, dict) or content.get("nbformat") != 4:
        raise NotebookError(f"{path}: not a notebook of nbformat 4")
    minor = content.get("nbformat_minor")
    schema = get_validator(4, minor if isinstance(minor, int) else None)
    if schema is None:
        raise NotebookError(f"{path}: not a notebook: no nbformat 4.{minor!r}")
    if fault := next(iter(schema.iter_errors(content)), None):
        raise NotebookError(f"{path}: not a notebook: {visible(fault.message)}")
    try:  # a lone surrogate (`"\\ud800"`) reads, and no run could write it back
        json.dumps(content, ensure_ascii=False).encode()
    except UnicodeEncodeError as error:
        raise NotebookError(f"{path}: not a notebook: {error.reason}") from None
    try:  # as nbformat reads it: lines joined
        return nbformat.reads(text.decode(), as_version=4)
    except RecursionError:  # nested deeper than nbformat's Python recursion goes
        raise NotebookError(f"{path}: not a notebook: nested too deep") from None


def _contents(path: Path) -> bytes:
    """The file's bytes, if it is a regular file of at most NOTEBOOK_LIMIT (never waiting on
    a FIFO)."""
    try:
        return grammar.regular_file(path, NOTEBOOK_LIMIT)
    except ValueError as error:
        raise NotebookError(f"{path}: not a notebook: {error}") from None


def _where(error: ValueError | RecursionError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"line {error.lineno}, column {error.colno}: {error.msg}"
    return visible(str(error).splitlines()[0] if str(error) else type(error).__name__)


def execute(
    path: Path, env: dict[str, str], kernel: AsyncKernelManager | None = None
) -> NotebookNode:
    """Run every cell in a new kernel (cwd: the notebook's folder, temporary files in /tmp);
    stop at the first error. The kernel is this Python's, unless `kernel` says which one to
    start."""
    notebook = read(path)
    client = _Bounded(
        notebook,
        km=kernel,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel inherits it: DATABASE_URL, PATH with alembic. Its temporary folder is
    # /tmp, as the outputs show it: another TMPDIR (macOS's) is longer, and alembic wraps
    # its paths at 80 columns.
    try:
        with environment({**env, "TMPDIR": "/tmp"}), _stops_stop(client):
            try:
                client.execute()
                if too_much := client.too_much:  # it ended before the kill came
                    raise too_much
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                if too_much := client.too_much:  # killed: DeadKernelError, or what was on its way
                    raise too_much from None
                # the cell's source and traceback, uncoloured, without nbclient's own frames
                plain = visible(ANSI_ESCAPE.sub("", str(error)))
                if isinstance(error, CellExecutionError):
                    raise CellExecutionError(plain, error.ename, error.evalue) from None
                raise type(error)(plain) from None
            finally:
                atexit.unregister(client._cleanup_kernel)  # done, or nothing left to do
    finally:  # nbclient stops only the kernels it made; killed later, one skips atexit
        if kernel is not None and kernel.has_kernel:
            _shut_down(kernel)
    return notebook


def _shut_down(kernel: AsyncKernelManager) -> None:
    """After the stop signals are ours again (nbclient's last act set them to the default,
    which killed the run while a kernel took its time to exit); stopped by one, at once.
    A kernel already gone (killed, or its channels closed by a stop's clean-up) raises
    what is no part of the notebook's story, and would hide a stop's KeyboardInterrupt."""
    try:
        run_sync(kernel.shutdown_kernel)()
    except KeyboardInterrupt:
        _kill(kernel)
        raise
    except Exception:  # noqa: BLE001 - zmq's, jupyter_client's: the kernel is gone or going
        _kill(kernel)


def _kill(kernel: AsyncKernelManager) -> None:
    with contextlib.suppress(Exception):
        run_sync(kernel.shutdown_kernel)(now=True)


class TooMuchOutput(RuntimeError):
    """A notebook's cells printed more than OUTPUT_LIMIT; its kernel was stopped."""


class _Bounded(NotebookClient):
    """A client that keeps no more of a notebook's messages than a page's output
    (OUTPUT_LIMIT): a cell printing without end filled root's memory, and the report; so did
    display updates and comm messages, which are no outputs. Past it, the kernel is killed
    (an interrupt, a cell may ignore), and what comes after is dropped. Stop signals are
    `_stops_stop`'s from before the kernel starts."""

    shown = 0
    on_kernel_start: Callable[[], None] | None = None

    def process_message(self, msg, cell, cell_index):  # noqa: ANN001, ANN201 - nbclient's
        size = len(str(msg["content"])) + sum(len(b) for b in msg.get("buffers") or [])
        before, self.shown = self.shown, self.shown + size  # a comm's buffers are kept too
        if before <= OUTPUT_LIMIT < self.shown:  # the first message past it
            asyncio.ensure_future(self.km.signal_kernel(signal.SIGKILL))
        if self.shown <= OUTPUT_LIMIT or msg["msg_type"] == "status":  # what ends a cell
            return super().process_message(msg, cell, cell_index)
        return None

    async def async_start_new_kernel(self, **kwargs: object) -> None:
        if self.on_kernel_start:  # nbclient has just set its stop handlers: ours replace them
            self.on_kernel_start()
        await super().async_start_new_kernel(**kwargs)

    @property
    def too_much(self) -> TooMuchOutput | None:
        if self.shown > OUTPUT_LIMIT:
            return TooMuchOutput(
                f"the notebook's cells printed more than {OUTPUT_LIMIT >> 20} MiB; stopped"
            )
        return None


@contextlib.contextmanager
def _stops_stop(client: _Bounded) -> Iterator[None]:
    """A stop signal (a CI cancel's SIGTERM, Ctrl-C, a closed terminal's SIGHUP) ends the
    run, as everywhere else (throwaway_pg.stopping): nbclient's own handlers only failed the
    notebook, and put back no handler but the default, so that a later SIGTERM killed the
    run before its clean-up. From the kernel's start, a stop shuts the kernel down and
    becomes a KeyboardInterrupt."""
    saved = {stop: signal.getsignal(stop) for stop in stopping.STOPS}
    stopped: list[int] = []

    def stop(signum: int) -> None:
        if not stopped:
            stopped.append(signum)
            asyncio.ensure_future(client._async_cleanup_kernel())  # as nbclient's does,
            atexit.unregister(client._cleanup_kernel)  # and then not again at exit

    def ours() -> None:
        loop = asyncio.get_running_loop()
        for signum in saved:
            loop.add_signal_handler(signum, stop, signum)

    def theirs(**_: object) -> None:  # nbclient removes its two itself, after this
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    client.on_kernel_start, client.on_notebook_complete = ours, theirs
    try:
        yield
    finally:
        for signum, handler in saved.items():
            if handler is not None:  # None: one set outside Python, not ours to put back
                signal.signal(signum, handler)
        if stopped:
            raise KeyboardInterrupt(f"signal {stopped[0]}") from None


def normalised(output: NotebookNode) -> NotebookNode:
    """The output with the scratch project's random name masked, the same for every run."""
    output = nbformat.from_dict(output)
    if "text" in output:
        output.text = RANDOM_PART.sub(MASK, output.text)
    if "text/plain" in output.get("data", {}):
        output.data["text/plain"] = RANDOM_PART.sub(MASK, output.data["text/plain"])
    return output


class Shown(NamedTuple):
    """One output as a reader sees it: its output_type, its stream's name (stdout or stderr;
    empty for other outputs) and its text (an error's `ename: evalue`, a result's
    text/plain)."""

    kind: str
    name: str
    text: str

    @property
    def label(self) -> str:
        return self.name if self.kind == "stream" else self.kind


def displayed(cell: NotebookNode) -> list[Shown]:
    """A code cell's outputs as displayed: in order, the scratch project's random name masked,
    adjacent chunks of one stream joined. Where a chunk of a `!command`'s output ends depends
    on timing; Jupyter joins the chunks on screen and in the saved notebook."""
    shown: list[Shown] = []
    for output in _coalesced([normalised(output) for output in cell.get("outputs", [])]):
        if output.output_type == "stream":
            shown.append(Shown("stream", output.name, output.text))
        elif output.output_type == "error":
            shown.append(Shown("error", "", f"{output.ename}: {output.evalue}"))
        else:
            text = output.get("data", {}).get("text/plain", "")
            shown.append(Shown(output.output_type, "", text))
    return shown


def differences(
    path: Path,
    committed: NotebookNode,
    executed: NotebookNode,
    labels: tuple[str, str] = ("committed output", "real output"),
) -> list[str]:
    """Readable diffs, one per code cell whose outputs are not displayed as committed: the
    same outputs, in the same order, each with the same stream and text."""
    failures: list[str] = []
    pairs = zip(committed.cells, executed.cells, strict=True)
    for number, (old, new) in enumerate(pairs, start=1):
        if old.cell_type != "code":
            continue
        shown, real = displayed(old), displayed(new)
        if shown == real:
            continue
        first_line = old.source.splitlines()[0] if old.source else ""
        before, after = _lines(shown), _lines(real)
        if before == after:  # the difference is invisible line by line: \r, a boundary
            before, after = _lines(shown, exact=True), _lines(real, exact=True)
        diff = difflib.unified_diff(before, after, *labels, lineterm="")
        failures.append(f"{path} cell {number} `{first_line}`:\n" + "\n".join(diff))
    return failures


def record(executed: NotebookNode) -> PageRecord:
    """How each shown line was verified: code lines run; output lines compared exactly, or
    after masking the scratch project's random name (`scratch-name`)."""
    record = PageRecord()
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        record.shown(cell.source, ["run"] * len(cell.source.splitlines()))
        for output in _coalesced(cell.outputs):
            raw, masked = _text(output), _text(normalised(output))
            classes = [
                "exact" if a == b else "normalised: scratch-name"
                for a, b in zip(raw.splitlines(), masked.splitlines(), strict=True)
            ]
            record.shown(masked, classes)
    return record


def _text(output: NotebookNode) -> str:
    if output.output_type == "stream":
        return output.text
    return output.get("data", {}).get("text/plain", "")


# A cell that writes a file of the project: `%%writefile migrations/env.py`, then the file.
WRITEFILE = re.compile(r"%%writefile (?P<path>\S+)\n")


class Copy(NamedTuple):
    """A cell writing a file into the project, and the file under examples/ it copies (its
    `example` metadata): a downloaded notebook carries the files it writes."""

    cell: NotebookNode
    path: str
    example: str

    def file(self, examples: Path) -> Path | None:
        """The example file, if it is one in `examples` (the metadata is the notebook's: an
        absolute path, `..` or a link out had root read any file into the report, and into
        the reader's kernel)."""
        path = examples / self.example
        return path if grammar.inside(path, examples) and path.is_file() else None

    def source(self, examples: Path) -> str:
        """The cell as it must be: the example file, as `%%writefile` writes it back."""
        text = self.file(examples).read_text().removesuffix("\n")  # %%writefile adds it
        return f"%%writefile {self.path}\n{text}"


def copies(notebook: NotebookNode) -> list[Copy]:
    """The cells that write a file, in order."""
    found = []
    for cell in notebook.cells:
        match = WRITEFILE.match(cell.source) if cell.cell_type == "code" else None
        if match or "example" in cell.metadata:
            path = match["path"] if match else ""
            found.append(Copy(cell, path, cell.metadata.get("example", "")))
    return found


def stale_copies(name: str, notebook: NotebookNode, examples: Path) -> list[str]:
    """How the files a notebook writes differ from examples/, the one source of truth."""
    failures = []
    for copy in copies(notebook):
        where = f"{name}: the cell writing {visible(copy.path) or '(nothing)'}"
        if not copy.path or not copy.example:
            failures.append(f"{where} needs both `%%writefile PATH` and `example` metadata")
        elif not copy.file(examples):
            example = visible(copy.example)
            failures.append(f"{where} copies {example}, which is no file of examples/")
        elif copy.cell.source != copy.source(examples):
            labels = (f"examples/{copy.example}", f"{name}: its copy")
            expected = copy.source(examples).splitlines()[1:]
            actual = copy.cell.source.splitlines()[1:]
            diff = difflib.unified_diff(expected, actual, *labels, lineterm="")
            failures.append(f"{where}:\n" + "\n".join(diff))
    return failures


def copy_examples(notebook: NotebookNode, examples: Path) -> bool:
    """Rewrite each copy from its example file; whether anything changed."""
    changed = False
    for copy in copies(notebook):
        if copy.path and copy.example and copy.file(examples):
            source = copy.source(examples)
            changed |= copy.cell.source != source
            copy.cell.source = source
    return changed


def markdown(notebook: NotebookNode) -> str:
    """The notebook's prose: where its provenance line and any version claim stand."""
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def page_directives(name: Path, notebook: NotebookNode) -> list[str]:
    """A page's directive in a Markdown cell (`<!-- norun: ... -->`, `<!-- check: ... -->`),
    which no notebook reads: a cell it seemed to skip ran, and a check it named never did."""
    return [
        f"{name} cell {number}: {visible(m[0])} is a page's directive; a notebook reads none"
        " (each of its cells runs)"
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "markdown"
        for m in grammar.DIRECTIVE.finditer(cell.source)
    ]


def write_outputs(path: Path, executed: NotebookNode, versions: dict[str, str]) -> None:
    """Commit a run's outputs (normalised) into the notebook and its pair, and a new
    provenance line when the versions changed (the date says when they did)."""
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesced([normalised(output) for output in cell.outputs])
    if provenance.recorded(markdown(executed)) != versions:
        cells = [c for c in executed.cells if not provenance.LINE.search(c.source)]
        cells.insert(1, nbformat.v4.new_markdown_cell(provenance.line(versions)))
        executed.cells = cells
    nbformat.write(executed, path)
    jupytext.write(executed, path.with_suffix(".py"), fmt="py:percent")


def _coalesced(outputs: list[NotebookNode]) -> list[NotebookNode]:
    """Adjacent chunks of one stream as one output, as Jupyter shows and saves them."""
    merged: list[NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous
            and output.output_type == previous.output_type == "stream"
            and output.name == previous.name
        ):
            merged[-1] = nbformat.from_dict({**previous, "text": previous.text + output.text})
        else:
            merged.append(output)
    return merged


def _lines(outputs: list[Shown], exact: bool = False) -> list[str]:
    """The outputs as diff lines, each line tagged with its stream (or output type)."""
    if exact:
        return [f"[{output.label}] {output.text!r}" for output in outputs]
    lines: list[str] = []
    for output in outputs:
        tagged = [f"[{output.label}] {line}" for line in output.text.splitlines()]
        lines += tagged or [f"[{output.label}]"]
    return lines
