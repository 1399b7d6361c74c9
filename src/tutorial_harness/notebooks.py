"""Executing notebooks and comparing their outputs with the committed ones.

Outputs are committed (the site renders them as they are) and a test proves them current:
each notebook runs on a fresh database and its outputs must equal the committed ones after
masking the scratch project's random name. `--update-examples` writes the new outputs.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from tutorial_harness import provenance
from tutorial_harness.normalise import tidy
from tutorial_harness.shell import environment

# The random part of the scratch project's name. A `!command` runs on a terminal 80 columns
# wide, so alembic wraps long paths, at hyphens: the random part is never split.
RANDOM_PART = re.compile(r"(?<=notebook-)[a-z0-9_]{8}\b")  # scratch.PROJECT_PREFIX + mkdtemp
MASK = "XXXXXXXX"
TIMEOUT = 120
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def execute(path: Path, env: dict[str, str]) -> NotebookNode:
    """Run every cell in a new kernel (cwd: the notebook's folder); stop at the first error."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with environment(env):  # the kernel inherits it: DATABASE_URL, PATH with alembic
        try:
            client.execute()
        except CellExecutionError as error:  # the cell's source and traceback, uncoloured
            plain = ANSI_ESCAPE.sub("", str(error))
            raise CellExecutionError(plain, error.ename, error.evalue) from None
    return notebook


def normalised(output: NotebookNode) -> NotebookNode:
    """The output with the scratch project's random name masked, the same for every run."""
    output = nbformat.from_dict(output)
    if "text" in output:
        output.text = RANDOM_PART.sub(MASK, output.text)
    if "text/plain" in output.get("data", {}):
        output.data["text/plain"] = RANDOM_PART.sub(MASK, output.data["text/plain"])
    return output


def streams(cell: NotebookNode) -> dict[str, str]:
    """A code cell's outputs by stream. stdout and stderr of a `!command` are read by two
    threads, so their interleaving varies between runs; each stream's text does not."""
    texts: dict[str, str] = {}
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            key, text = output.name, output.text
        elif output.output_type == "error":
            key, text = "error", f"{output.ename}: {output.evalue}"
        else:
            key, text = "result", output.get("data", {}).get("text/plain", "")
        texts[key] = texts.get(key, "") + text
    return {key: tidy(text) for key, text in texts.items()}


def masked_streams(cell: NotebookNode) -> dict[str, str]:
    return streams({"outputs": [normalised(output) for output in cell.get("outputs", [])]})


def differences(path: Path, committed: NotebookNode, executed: NotebookNode) -> list[str]:
    """Readable diffs, one per cell whose outputs changed."""
    failures = []
    pairs = zip(committed.cells, executed.cells, strict=True)
    for number, (old, new) in enumerate(pairs, start=1):
        if old.cell_type != "code":
            continue
        shown, real = streams(old), masked_streams(new)
        if shown == real:
            continue
        first_line = old.source.splitlines()[0] if old.source else ""
        diff = difflib.unified_diff(
            _flatten(shown), _flatten(real), "committed output", "real output", lineterm=""
        )
        failures.append(f"{path} cell {number} `{first_line}`:\n" + "\n".join(diff))
    return failures


def markdown(notebook: NotebookNode) -> str:
    """The notebook's prose: where its provenance line and any version claim stand."""
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


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
    """Adjacent chunks of one stream as one output, as Jupyter saves them."""
    merged: list[NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous
            and output.output_type == previous.output_type == "stream"
            and (output.name == previous.name)
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def _flatten(texts: dict[str, str]) -> list[str]:
    return [f"[{key}] {line}" for key, text in sorted(texts.items()) for line in text.splitlines()]
