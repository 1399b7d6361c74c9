"""Every notebook runs on its own fresh database, shows its real outputs, and stays paired
with its reviewable text file (jupytext)."""

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tutorial_harness import notebooks, provenance
from tutorial_harness.shell import reader_env

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [path.name for path in NOTEBOOKS] == ["data-migration.ipynb", "tutorial.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_paired_with_its_text_file(path: Path) -> None:
    """Edit either file, then `jupytext --sync notebooks/*.ipynb` (or `nox -s update`)."""
    text = jupytext.read(path.with_suffix(".py"))
    notebook = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in text.cells] == [
        (c.cell_type, c.source) for c in notebook.cells
    ], f"{path.name} and {path.with_suffix('.py').name} are out of sync"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_and_its_outputs_are_current(
    path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    """A failing cell fails here with its source and error (nbclient's CellExecutionError)."""
    env = reader_env(database_url)
    executed = notebooks.execute(path, env)
    committed = nbformat.read(path, as_version=4)
    failures = notebooks.differences(path.relative_to(ROOT), committed, executed)
    used = provenance.versions(database_url)
    failures += provenance.problems(notebooks.markdown(committed), runs_something=True)
    if provenance.recorded(notebooks.markdown(committed)) != used:
        failures.append(f"{path.name}: outputs recorded with other versions than {used}")
    if failures and request.config.getoption("update_docs"):
        notebooks.write_outputs(path, executed, used)
        return
    assert not failures, "\n\n".join(failures) + "\nRewrite them with: nox -s update"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_notebook_can_be_rerun_from_the_top_in_the_same_kernel(
    path: Path, tmp_path: Path, database_url: str
) -> None:
    """Run every cell twice in one kernel: the second run starts clean and prints the same."""
    twice = nbformat.read(path, as_version=4)
    once = len(twice.cells)
    again = [nbformat.from_dict({**cell, "id": f"again-{n}"}) for n, cell in enumerate(twice.cells)]
    twice.cells = twice.cells + again
    copy = ROOT / "notebooks" / f".rerun-{tmp_path.name}.ipynb"  # beside it: same ../examples
    nbformat.write(twice, copy)
    try:
        env = reader_env(database_url)
        executed = notebooks.execute(copy, env)
    finally:
        copy.unlink()
    first, second = executed.cells[:once], executed.cells[once:]
    for a, b in zip(first, second, strict=True):
        if a.cell_type == "code":
            assert notebooks.masked_streams(a) == notebooks.masked_streams(b), a.source


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
