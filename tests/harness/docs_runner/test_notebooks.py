"""A file named .ipynb that is no notebook is one line naming it and its fault."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError

from docs_runner import notebooks
from tests import site_tree

CELL = '{"cell_type": "weird", "id": "a", "source": "", "metadata": {}}'
NOT_NOTEBOOKS = {
    "no JSON": ('{"cells": [}', "not a notebook, no JSON: line 1, column 12: Expecting value"),
    "no UTF-8": (b'{"a":\n\xff}', "not a notebook: byte 6 is not UTF-8"),
    "UTF-16": ('{"nbformat": 4}'.encode("utf-16"), "not a notebook: byte 0 is not UTF-8"),
    "a BOM": ('\ufeff{"nbformat": 4}', "not a notebook, no JSON: line 1, column 1: Unexpected"),
    "nested too deep": ("[" * 100_000 + "]" * 100_000, "not a notebook, no JSON: maximum"),
    "a number too long": ("1" * 5000, "not a notebook, no JSON: Exceeds the limit"),
    "a minor of none": ('{"nbformat": 4, "nbformat_minor": -1}', "not a notebook: no nbformat 4."),
    "a lone surrogate": (
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "raw",'
        ' "id": "a", "source": "\\ud800", "metadata": {}}]}',
        "not a notebook: surrogates not allowed",
    ),
    "a list": ("[1]", "not a notebook of nbformat 4"),
    "nbformat 3": ('{"nbformat": 3, "worksheets": []}', "not a notebook of nbformat 4"),
    "cells no list": (
        '{"nbformat": 4, "nbformat_minor": 5, "cells": 3, "metadata": {}}',
        "not a notebook: data.cells must be array",
    ),
    "a cell of no known type": (
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' + CELL + "]}",
        "not a notebook: data.cells[0] must be valid exactly by one definition",
    ),
}


@pytest.mark.parametrize("content, message", NOT_NOTEBOOKS.values(), ids=NOT_NOTEBOOKS)
def test_a_file_that_is_no_notebook_is_one_line(
    content: str | bytes, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(notebooks.NotebookError) as raised:
        notebooks.read(path)
    assert str(raised.value).startswith(f"{path}: {message}")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("kind", ["a FIFO", "a folder", "a link to /dev/zero", "too big"])
def test_a_notebook_that_is_no_small_regular_file_is_one_line(kind: str, tmp_path: Path) -> None:
    """A FIFO held the collection for ever, and a link to /dev/zero (git keeps links) took
    the machine's memory."""
    path = tmp_path / "odd.ipynb"
    if kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a folder":
        path.mkdir()
    elif kind == "a link to /dev/zero":
        path.symlink_to("/dev/zero")
    else:
        path.write_bytes(b" " * (notebooks.NOTEBOOK_LIMIT + 1))
    with pytest.raises(notebooks.NotebookError) as raised:
        notebooks.read(path)
    said = "over 32 MiB" if kind == "too big" else "not a regular file"
    assert str(raised.value) == f"{path}: not a notebook: {said}"


def test_a_notebook_nested_deeper_than_nbformat_reads_is_one_line(tmp_path: Path) -> None:
    """JSON reads 700 levels in C; nbformat then recursed in Python, and raised."""
    path = tmp_path / "deep.ipynb"
    deep = json.dumps({"nbformat": 4, "nbformat_minor": 4, "cells": [], "metadata": {"x": 0}})
    path.write_text(deep.replace("0}", "[" * 700 + "]" * 700 + "}"))
    with pytest.raises(notebooks.NotebookError) as raised:
        notebooks.read(path)
    assert str(raised.value) == f"{path}: not a notebook: nested too deep"


@pytest.mark.parametrize("name", ["zz\x1b]52;c;aGk=\x07.ipynb", "zz\n| a | row |.ipynb"])
def test_a_notebook_named_with_a_control_character_is_one_line_without_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page so named fails at collection; a notebook's name reached the terminal as it
    was, in a failure, in the test ids, and as a row of its own in the summary's table."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / name).write_text("not json")
    monkeypatch.setattr(site_tree, "ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception) as failed:
        site_tree.notebooks()
    shown = name.replace("\x1b", "\\x1b").replace("\x07", "\\x07").replace("\n", "\\n")
    assert str(failed.value) == f"notebooks/{shown}: a control character in its name: rename it"
    with pytest.raises(notebooks.NotebookError) as raised:
        notebooks.read(tmp_path / "notebooks" / name)
    assert str(raised.value).startswith(f"{tmp_path}/notebooks/{shown}: not a notebook")


def test_a_notebook_reads_as_nbformat_reads_it() -> None:
    for path in site_tree.notebooks():
        assert notebooks.read(path) == nbformat.read(path, as_version=4)


def test_the_tests_that_collect_the_notebooks_fail_on_one_that_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks/broken.ipynb").write_text("{")
    monkeypatch.setattr(site_tree, "ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception) as failed:
        site_tree.notebooks()
    assert str(failed.value) == (
        "notebooks/broken.ipynb: not a notebook, no JSON: "
        "line 1, column 2: Expecting property name enclosed in double quotes"
    )
    assert not failed.value.pytrace


STOPPED_IN_A_CELL = """
import sys
from pathlib import Path

import nbformat

from docs_runner import notebooks
from throwaway_pg import stopping

stopping.interrupt_once()  # as the plugin does
path = Path(sys.argv[1])
cell = "open('started', 'w').close()\\nimport time\\ntime.sleep(300)"
nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
try:
    notebooks.execute(path, {"PATH": "/usr/bin:/bin"})
except KeyboardInterrupt as stop:
    print("interrupted:", stop)
"""


def test_a_stop_signal_during_a_cell_ends_the_run(tmp_path: Path) -> None:
    """nbclient's own handlers took SIGTERM, failed that notebook only, and the run went
    on; after any notebook, they left SIGTERM to its default, which then killed the run
    before its clean-up."""
    output = terminated_once_started(tmp_path, STOPPED_IN_A_CELL)
    assert "interrupted: signal 15" in output.splitlines(), output
    assert "Exception ignored" not in output, output


def terminated_once_started(tmp_path: Path, script: str, *args: str) -> str:
    """What `script` (run with the notebook's path, then `args`) printed, sent SIGTERM once
    a file `started` appeared in its folder."""
    (tmp_path / "script.py").write_text(script)
    process = subprocess.Popen(
        [sys.executable, str(tmp_path / "script.py"), str(tmp_path / "n.ipynb"), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        return process.communicate(timeout=60)[0]
    finally:
        process.kill()


def test_the_stop_signals_are_as_they_were_after_a_notebook(tmp_path: Path) -> None:
    before = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    notebooks.execute(path, {"PATH": "/usr/bin:/bin"})
    assert {stop: signal.getsignal(stop) for stop in before} == before


STARTING = """
import sys
from pathlib import Path

import nbformat

from docs_runner import kernels, notebooks
from throwaway_pg import stopping

stopping.interrupt_once()  # as the plugin does
path, python = Path(sys.argv[1]), sys.argv[2]
nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
try:
    notebooks.execute(path, {"PATH": "/usr/bin:/bin"}, kernels.as_reader(None, python, path.parent))
except KeyboardInterrupt as stop:
    print("interrupted:", stop)
"""


def test_a_stop_signal_while_the_kernel_starts_ends_the_run(tmp_path: Path) -> None:
    """Until the notebook started, nbclient's own handlers had the stop signals: the kernel
    was stopped, and the run went on to the next notebook."""
    slow = tmp_path / "slow-python"
    slow.write_text(f'#!/bin/sh\ntouch started\nsleep 5\nexec {sys.executable} "$@"\n')
    slow.chmod(0o755)
    output = terminated_once_started(tmp_path, STARTING, str(slow))
    assert "interrupted: signal 15" in output.splitlines(), output


IGNORES_THE_INTERRUPT = """
import signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    sys.stdout.write('x' * 65536 + '\\n')
"""
UPDATES_A_DISPLAY = """
from IPython.display import display
shown = display({'text/plain': 'small'}, raw=True, display_id=True)
for i in range(4):
    shown.update({'text/plain': str(i) * (3 << 20)}, raw=True)
"""
SENDS_COMM_BUFFERS = """
from comm import create_comm
channel = create_comm(target_name='x')
for i in range(4):
    channel.send(data={'state': {}, 'buffer_paths': [['b', str(i)]]}, buffers=[b'x' * (3 << 20)])
"""
SENDS_COMM_MESSAGES = """
from comm import create_comm
channel = create_comm(target_name='x', data={})
for i in range(4):
    channel.send({'state': {f'k{i}': 'y' * (3 << 20)}})
"""


@pytest.mark.parametrize(
    "cell",
    [
        "for _ in range(40):\n    print('x' * (1 << 20), flush=True)",
        "print('x' * (9 << 20))",
        IGNORES_THE_INTERRUPT,
        UPDATES_A_DISPLAY,
        SENDS_COMM_MESSAGES,
        SENDS_COMM_BUFFERS,
    ],
    ids=[
        "printing-on",
        "ended-before-the-interrupt",
        "ignoring-an-interrupt",
        "updating-a-display",
        "sending-comm-messages",
        "sending-comm-buffers",
    ],
)
def test_a_cell_that_prints_without_end_is_stopped_at_the_limit(
    cell: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its outputs were all kept, in root's memory (2.8 GB for 300 MB), and in the report;
    past the limit, a cell that ignored the interrupt went on until the cell's timeout (6.8
    GB); a display's updates and comm messages were not counted."""
    monkeypatch.setattr(notebooks, "TIMEOUT", 30)  # a bound on a failing test, not a target
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    with pytest.raises(notebooks.TooMuchOutput, match="printed more than 8 MiB; stopped$"):
        notebooks.execute(path, {"PATH": "/usr/bin:/bin"})


def test_a_page_s_directive_in_a_notebook_is_named() -> None:
    """`<!-- norun: ... -->` over a cell in a notebook seemed to skip it; it ran, as every
    cell does, and a `<!-- check: ... -->` never ran. Each is named, at its cell."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A notebook <!-- evidence: src/docs_runner/shell.py -->"),
        nbformat.v4.new_markdown_cell("Skip the next one <!-- norun: slow\x1b[2J -->"),
        nbformat.v4.new_code_cell("import time; time.sleep(600)"),
        nbformat.v4.new_markdown_cell("<!-- check: users-table -->"),
    ]
    assert notebooks.page_directives(Path("nb.ipynb"), notebook) == [
        "nb.ipynb cell 2: <!-- norun: slow\\x1b[2J --> is a page's directive; a notebook"
        " reads none (each of its cells runs)",
        "nb.ipynb cell 4: <!-- check: users-table --> is a page's directive; a notebook"
        " reads none (each of its cells runs)",
    ]


def test_a_cell_that_times_out_is_named_without_its_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nbclient's message quotes the cell as it is: its escape sequences reached the
    terminal (OSC 52 sets the clipboard), after 160 lines of nbclient's own frames."""
    monkeypatch.setattr(notebooks, "TIMEOUT", 2)
    path = tmp_path / "n.ipynb"
    cell = "# \x1b]52;c;aGk=\x07\nimport time\ntime.sleep(60)"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)]), path)
    with pytest.raises(CellTimeoutError) as raised:
        notebooks.execute(path, {"PATH": "/usr/bin:/bin"})
    assert "# \\x1b]52;c;aGk=\\x07" in str(raised.value)
    assert "\x1b" not in str(raised.value)
    assert raised.value.__suppress_context__


def test_a_kernel_already_gone_at_shut_down_hides_no_stop() -> None:
    """A stop's clean-up closed the channels of a kernel that had just died (a cell's
    os._exit, the limit's kill): shutting it down then raised zmq's error, which replaced
    the stop's KeyboardInterrupt, and the run went on to the next test."""
    import zmq

    class Gone:
        calls = 0

        async def shutdown_kernel(self, now: bool = False) -> None:
            self.calls += 1
            raise zmq.error.ZMQError(zmq.ENOTSUP)

    gone = Gone()
    notebooks._shut_down(gone)  # type: ignore[arg-type]
    assert gone.calls == 2  # asked, then killed
