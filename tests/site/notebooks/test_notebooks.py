"""Every notebook runs on its own fresh database, shows its real outputs, and stays paired
with its reviewable text file (jupytext)."""

import datetime
import os
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from docs_runner import checks, claims, manifest, notebooks, provenance
from docs_runner.pytest_plugin import manifest_path
from docs_runner.rendered import code_blocks
from docs_runner.shell import reader_env
from tests.site.notebooks.conftest import ReaderPlace
from tests.site_tree import PIP_INSTALL, nav_pages
from tests.site_tree import notebooks as notebooks_in_the_tree
from throwaway_pg.visible import visible

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = notebooks_in_the_tree()
EXAMPLES = ROOT / "examples"


def test_every_notebook_is_in_the_nav_and_tested_here() -> None:
    in_nav = {page for page in nav_pages() if page.endswith(".ipynb")}
    assert NOTEBOOKS and {f"notebooks/{path.name}" for path in NOTEBOOKS} == in_nav


def first_code_cell(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return next(cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_every_notebook_starts_with_the_same_setup_cell() -> None:
    """Downloaded, a notebook sets itself up; the cell that does it is written once (the
    test of downloaded notebooks runs it alone, for its errors)."""
    first, *others = [first_code_cell(path) for path in NOTEBOOKS]
    assert "import _scratch as scratch" in first  # notebooks/_scratch.py, beside them
    assert all(other == first for other in others)


@pytest.mark.parametrize("helper", [True, False], ids=["beside-it", "downloaded"])
def test_the_first_cell_uses_the_helper_beside_the_notebook(
    helper: bool, database_url: str, reader_place: ReaderPlace
) -> None:
    """From the repository, the helper (notebooks/_scratch.py) makes a new database on the
    server DATABASE_URL names and enters a new project; without it, the cell uses the
    database as it is. Either way the rest of the notebook runs the same: this tells them
    apart. As root, it runs as the reader (nobody), as a page's lines do."""
    setup = nbformat.v4.new_code_cell(first_code_cell(NOTEBOOKS[0]))
    reader = reader_place.reader
    uid = 65534 if reader and reader.user else os.geteuid()  # nobody, in their namespace
    check = nbformat.v4.new_code_cell(
        f"assert os.geteuid() == {uid}, 'the cells run as the reader'\n"
        f"assert (scratch is not None) is {helper}\n"
        f"assert (os.environ['DATABASE_URL'] != {str(database_url)!r}) is {helper}\n"
        "assert os.path.basename(os.getcwd()).startswith('alembic-notebook-')"
    )
    path = reader_place.folder / "notebook.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[setup, check]), path)
    if helper:
        shutil.copy(ROOT / "notebooks/_scratch.py", reader_place.folder)
    execute_as_reader(path, reader_place, database_url)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_files_a_notebook_writes_are_the_examples(
    path: Path, request: pytest.FixtureRequest
) -> None:
    """A downloaded notebook carries the files it writes (`%%writefile` cells); examples/
    stays their one source of truth: each copy is the file its `example` metadata names.
    Edit the file in examples/, then `nox -s update` rewrites the copies."""
    notebook = nbformat.read(path, as_version=4)
    assert notebooks.copies(notebook), f"{path.name} writes no file from examples/"
    if request.config.getoption("update_docs") and notebooks.copy_examples(notebook, EXAMPLES):
        nbformat.write(notebook, path)  # before the run below, which records their outputs
        jupytext.write(notebook, path.with_suffix(".py"), fmt="py:percent")
    failures = notebooks.stale_copies(path.name, notebook, EXAMPLES)
    assert not failures, "\n\n".join(failures) + "\nRewrite them with: nox -s update"


def test_a_copy_that_differs_from_its_example_is_reported() -> None:
    notebook = nbformat.read(ROOT / "notebooks/tutorial.ipynb", as_version=4)
    copy = notebooks.copies(notebook)[0]
    line = '    """DATABASE_URL, ready for SQLAlchemy with the driver installed."""'
    edited = line.replace("the driver installed", "psycopg2")
    copy.cell.source = copy.cell.source.replace(line, edited)
    [failure] = notebooks.stale_copies("tutorial.ipynb", notebook, EXAMPLES)
    assert failure.startswith("tutorial.ipynb: the cell writing migrations/env.py:\n")
    assert f"\n-{line}\n+{edited}\n" in failure
    assert notebooks.copy_examples(notebook, EXAMPLES)
    assert notebooks.stale_copies("tutorial.ipynb", notebook, EXAMPLES) == []


def test_a_cell_writing_a_file_must_name_its_example() -> None:
    cell = nbformat.v4.new_code_cell("%%writefile migrations/env.py\nimport os")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert notebooks.stale_copies("n.ipynb", notebook, EXAMPLES) == [
        "n.ipynb: the cell writing migrations/env.py needs both `%%writefile PATH` and "
        "`example` metadata"
    ]
    cell.metadata["example"] = "tutorial/migrations/nowhere.py"
    [failure] = notebooks.stale_copies("n.ipynb", notebook, EXAMPLES)
    assert failure.endswith("copies tutorial/migrations/nowhere.py, which is no file of examples/")


@pytest.mark.parametrize("example", ["/etc/hostname", "../pyproject.toml"])
def test_a_cell_s_example_is_a_file_of_the_examples_folder(example: str) -> None:
    """The metadata is the notebook's: an absolute path or `..` had root read any file into
    the failure, the notebook (update) and the reader's kernel (a downloaded notebook's
    check)."""
    cell = nbformat.v4.new_code_cell("%%writefile x.txt\nhello")
    cell.metadata["example"] = example
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert notebooks.stale_copies("n.ipynb", notebook, EXAMPLES) == [
        f"n.ipynb: the cell writing x.txt copies {example}, which is no file of examples/"
    ]
    assert not notebooks.copy_examples(notebook, EXAMPLES)
    assert cell.source == "%%writefile x.txt\nhello"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_paired_with_its_text_file(path: Path) -> None:
    """Edit either file, then `jupytext --sync notebooks/*.ipynb` (or `nox -s update`)."""
    text = jupytext.read(path.with_suffix(".py"))
    notebook = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in text.cells] == [
        (c.cell_type, c.source) for c in notebook.cells
    ], f"{path.name} and {path.with_suffix('.py').name} are out of sync"


def execute_as_reader(path: Path, place: ReaderPlace, database_url: str) -> NotebookNode:
    """The notebook run as the reader: from their virtualenv, with a copy of this project's
    packages for its helper (_scratch), on `database_url`."""
    env = {**reader_env(database_url), **place.env}
    if place.reader and place.reader.user:  # their virtualenv lacks this project
        env["PYTHONPATH"] = str(checks.project_code())
    return notebooks.execute(path, env, place.kernel(place.python))


def run_twice(path: Path, place: ReaderPlace, database_url: str) -> tuple[NotebookNode, ...]:
    """The notebook run twice from the top in one kernel, as (first run, second run): a
    reader re-runs a notebook without restarting its kernel. Each has the notebook's
    metadata, so the first can be written back (update)."""
    twice = nbformat.read(path, as_version=4)
    once = len(twice.cells)
    again = [nbformat.from_dict({**cell, "id": f"again-{n}"}) for n, cell in enumerate(twice.cells)]
    twice.cells = twice.cells + again
    copy = place.folder / path.name
    nbformat.write(twice, copy)
    shutil.copy(path.parent / "_scratch.py", place.folder)  # beside it, as in the repository
    executed = execute_as_reader(copy, place, database_url)
    halves = (executed.cells[:once], executed.cells[once:])
    return tuple(nbformat.from_dict({**executed, "cells": cells}) for cells in halves)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_and_its_outputs_are_current(
    path: Path,
    database_url: str,
    request: pytest.FixtureRequest,
    record_property,
    reader_place: ReaderPlace,
) -> None:
    """A failing cell fails here with its source and error (nbclient's CellExecutionError).
    Like a page, a notebook agrees with its manifest entry, and its prose holds no block
    that nothing runs. Run again from the top in the same kernel, it starts clean and
    prints the same (no update rewrites that)."""
    name = str(path.relative_to(ROOT))
    record_property("coverage_of", name)  # first: a cell that raises fails this notebook
    executed, again = run_twice(path, reader_place, database_url)
    committed = nbformat.read(path, as_version=4)
    rerun = notebooks.differences(Path(name), executed, again, ("first run", "second run"))
    differing = notebooks.differences(Path(name), committed, executed)
    used = provenance.versions(database_url, request.config.hook)
    prose = notebooks.markdown(committed)
    other = provenance.other_versions(provenance.recorded(prose), used)
    failures = differing + provenance.problems(prose, True, used)
    if other and differing:  # first: it says what the differences below are
        means = "a cell that differs shows what readers with these versions see"
        failures.insert(0, f"{name}: {other}: {means}")
    # The install line, a block to copy, is what test_downloaded_notebooks installs.
    # What no update rewrites: its words.
    unwritable = notebooks.page_directives(Path(name), committed)
    if [block for block in code_blocks(ROOT, prose) if not PIP_INSTALL.fullmatch(block)]:
        unwritable.append(f"{path.name}: a Markdown cell shows a code block that nothing runs")
    failures += unwritable
    update = request.config.getoption("update_docs")
    record = notebooks.record(executed)
    record.recorded = provenance.date(prose)
    if update and provenance.recorded(prose) != used:  # write_outputs writes a new line
        record.recorded = str(datetime.date.today())
    entry = manifest.entry(record)
    record_property("coverage", entry["lines"])
    record_property("versions", used)
    committed_manifest = manifest_path(request.config)
    if update:
        manifest.write(committed_manifest, name, entry)
    elif not other:  # the entry describes the recorded versions' run
        failures += manifest.differences(committed_manifest, name, entry)
    assert not rerun, "\n\n".join(rerun)
    if update and (failures or other):  # other versions: a new provenance line
        notebooks.write_outputs(path, executed, used)
        return
    if other:  # the outputs are what readers with other versions see: not to be rewritten
        fared = f"cells that differ: {len(differing)}" if differing else "every cell matches"
        record_property("other_versions", f"{other}: {fared}")
    cells = [f"cell {d.split(' cell ')[1].split()[0]}" for d in differing]
    otherwise = len(failures) - len(differing) - bool(other and differing)
    outcome = "fails" if otherwise else "differs" if cells else "holds"
    record_property("notebook_outcome", {"outcome": outcome, "lines": cells})
    if failures:  # the message alone: this test's source holds the hint for the recorded versions
        hint = "" if other or failures == unwritable else "\nRewrite them with: nox -s update"
        pytest.fail(visible("\n\n".join(failures) + hint), pytrace=False)


def test_a_failing_cell_fails_with_its_source_and_error(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("assert x == 2, 'the users table is missing'"),
    ]
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(CellExecutionError) as error:
        notebooks.execute(path, dict(os.environ))
    message = str(error.value)
    assert "assert x == 2, 'the users table is missing'" in message
    assert "AssertionError: the users table is missing" in message


def test_a_failing_cell_s_error_reaches_the_report_escaped(tmp_path: Path) -> None:
    """Only colours were taken out of a cell's error: other escape sequences reached the
    developer's terminal (OSC 52 set its clipboard)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("raise RuntimeError('\\x1b]52;c;aGk=\\x07')")]
    path = tmp_path / "escapes.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(CellExecutionError) as error:
        notebooks.execute(path, dict(os.environ))
    assert "\x1b" not in str(error.value) and "RuntimeError: \\x1b]52;c;aGk=\\x07" in str(
        error.value
    )


# -- outputs compared as displayed -----------------------------------------------------------


def stdout(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def stderr(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stderr", text=text)


def notebook_with(
    *outputs: NotebookNode, source: str = "command.upgrade(config, 'head')"
) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source, outputs=list(outputs))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])


LOG = "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n"
ERROR = 'column "full_name" of relation "users" contains null values\n'
REAL = notebook_with(stderr(LOG), stdout(ERROR))


def test_outputs_displayed_as_committed_are_current() -> None:
    assert notebooks.differences(Path("n.ipynb"), REAL, REAL) == []


def test_stderr_and_stdout_in_the_wrong_order_are_reported() -> None:
    swapped = notebook_with(stdout(ERROR), stderr(LOG))
    assert notebooks.differences(Path("n.ipynb"), swapped, REAL) == [
        "n.ipynb cell 2 `command.upgrade(config, 'head')`:\n"
        "--- committed output\n"
        "+++ real output\n"
        "@@ -1,2 +1,2 @@\n"
        "+[stderr] INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n"
        ' [stdout] column "full_name" of relation "users" contains null values\n'
        "-[stderr] INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."
    ]


def test_a_committed_notebook_with_its_streams_swapped_is_reported() -> None:
    path = ROOT / "notebooks/data-migration.ipynb"
    committed = nbformat.read(path, as_version=4)
    edited = nbformat.read(path, as_version=4)
    [(number, cell)] = [
        (number, cell)
        for number, cell in enumerate(edited.cells, start=1)
        if [output.get("name") for output in cell.get("outputs", [])] == ["stderr", "stdout"]
    ]
    cell.outputs.reverse()
    [failure] = notebooks.differences(Path("data-migration.ipynb"), edited, committed)
    assert failure.startswith(f"data-migration.ipynb cell {number} `from sqlalchemy.exc import")


def test_a_deleted_output_is_reported() -> None:
    [failure] = notebooks.differences(Path("n.ipynb"), notebook_with(stdout(ERROR)), REAL)
    assert "\n+[stderr] INFO" in failure


def test_an_output_moved_within_its_stream_is_reported() -> None:
    """Each stream's text is the same, but the reader would see `done` last."""
    real = notebook_with(stdout("before\n"), stderr(LOG), stdout("done\n"))
    moved = notebook_with(stdout("before\ndone\n"), stderr(LOG))
    [failure] = notebooks.differences(Path("n.ipynb"), moved, real)
    assert failure.endswith(
        " [stdout] before\n"
        "+[stderr] INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n"
        " [stdout] done\n"
        "-[stderr] INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."
    )


def test_text_moved_to_the_other_stream_is_reported() -> None:
    moved = notebook_with(stderr(LOG + ERROR))
    [failure] = notebooks.differences(Path("n.ipynb"), moved, REAL)
    assert "\n-[stderr] column" in failure
    assert "\n+[stdout] column" in failure


def test_a_difference_invisible_line_by_line_is_shown_exactly() -> None:
    """A `!command` writes on a terminal: its lines end with \\r\\n."""
    committed = notebook_with(stdout("1975ea83b712\n"), source="!alembic current")
    real = notebook_with(stdout("1975ea83b712\r\n"), source="!alembic current")
    [failure] = notebooks.differences(Path("n.ipynb"), committed, real)
    assert "\n-[stdout] '1975ea83b712\\n'\n+[stdout] '1975ea83b712\\r\\n'" in failure


def test_chunks_of_one_stream_and_the_random_name_do_not_count() -> None:
    """Where a `!command`'s output is cut into messages depends on timing; Jupyter joins
    adjacent chunks of one stream, on screen and in the saved notebook."""
    committed = notebook_with(stdout("Generating /tmp/alembic-notebook-XXXXXXXX/README\nok\n"))
    chunked = notebook_with(
        stdout("Generating /tmp/alembic-notebook-k2j4_9xa/READ"), stdout("ME\nok\n")
    )
    assert notebooks.differences(Path("n.ipynb"), committed, chunked) == []
    assert notebooks.displayed(chunked.cells[1]) == [
        notebooks.Shown(
            "stream", "stdout", "Generating /tmp/alembic-notebook-XXXXXXXX/README\nok\n"
        )
    ]


def test_written_outputs_are_the_displayed_ones_in_order(tmp_path: Path) -> None:
    executed = notebook_with(stdout("a\n"), stdout("b\n"), stderr(LOG), stdout(ERROR))
    path = tmp_path / "n.ipynb"
    versions = {"Alembic": "1", "SQLAlchemy": "2", "psycopg2": "3", "PostgreSQL": "4"}
    notebooks.write_outputs(path, executed, versions)
    written = nbformat.read(path, as_version=4)
    outputs = [(o.output_type, o.name, o.text) for o in written.cells[-1].outputs]
    assert outputs == [
        ("stream", "stdout", "a\nb\n"),
        ("stream", "stderr", LOG),
        ("stream", "stdout", ERROR),
    ]


def test_update_keeps_the_provenance_date_when_the_versions_are_the_same(tmp_path: Path) -> None:
    """The date says when the versions last changed, not when outputs were last rewritten."""
    versions = {"Alembic": "1", "SQLAlchemy": "2", "psycopg2": "3", "PostgreSQL": "4"}
    executed = notebook_with(stdout("a\n"))
    old = provenance.line(versions).replace(str(datetime.date.today()), "2020-01-02")
    executed.cells.insert(1, nbformat.v4.new_markdown_cell(old))
    path = tmp_path / "n.ipynb"
    notebooks.write_outputs(path, executed, versions)
    prose = notebooks.markdown(nbformat.read(path, as_version=4))
    assert [m[0] for m in provenance.LINE.finditer(prose)] == [old]
    notebooks.write_outputs(path, executed, {**versions, "Alembic": "9"})
    assert "Alembic 9," in notebooks.markdown(nbformat.read(path, as_version=4))


KEPT_METADATA = {"example", "lines_to_next_cell"}  # ours (a copied file), and jupytext's


def shape_problems(notebook: NotebookNode) -> list[str]:
    """What a notebook may hold that no run checks: raw cells (the site renders them as
    they are), metadata that hides a cell or its output, and outputs other than text."""
    problems = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type not in ("markdown", "code"):
            problems.append(f"cell {number} is a {cell.cell_type} cell")
        if hidden := sorted(set(cell.metadata) - KEPT_METADATA):
            problems.append(f"cell {number} has metadata {hidden}")
        for output in cell.get("outputs", []):
            if other := sorted(set(output.get("data", {})) - {"text/plain"}):
                problems.append(f"cell {number} has an output of {other}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_notebook_holds_only_what_runs_and_shows(path: Path) -> None:
    assert shape_problems(nbformat.read(path, as_version=4)) == []


def test_a_raw_cell_hidden_output_or_html_is_found() -> None:
    notebook = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("1 + 1", metadata={"jupyter": {"outputs_hidden": True}})
    shown.outputs = [nbformat.v4.new_output("display_data", {"text/html": "<b>2</b>"})]
    notebook.cells = [nbformat.v4.new_raw_cell("3ce9a6a8f4b1 (head)"), shown]
    assert shape_problems(notebook) == [
        "cell 1 is a raw cell",
        "cell 2 has metadata ['jupyter']",
        "cell 2 has an output of ['text/html']",
    ]


def as_page(notebook: NotebookNode) -> str:
    """A notebook as the claims lint reads a page: its Markdown cells as prose, each code
    cell and its text outputs as blocks."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        parts.append(f"```python\n{cell.source}\n```")
        shown = "".join(output.get("text", "") for output in cell.get("outputs", []))
        shown += "".join(o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", []))
        if shown:
            parts.append(f"```text\n{shown.rstrip()}\n```")
    return "\n\n".join(parts) + "\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_notebook_s_prose_claims_what_it_shows(path: Path) -> None:
    """Its sentences are held as a page's are (docs_runner.claims), by what its cells show."""
    from alembic_docs.pytest_plugin import CLAIMS

    text = as_page(nbformat.read(path, as_version=4))
    patterns = {**claims.GENERIC, **CLAIMS}
    assert claims.unbound(path.with_suffix(".md"), EXAMPLES, ROOT, patterns, text) == []
