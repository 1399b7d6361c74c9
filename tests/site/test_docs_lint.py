"""The Python blocks on the pages are ruff-clean and formatted (pytest-examples).

pytest-examples only lints here: Sybil runs the blocks (in page order, sharing state).
File blocks (`--8<--` includes) are linted as the files they include, by ruff itself.
"""

from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

DOCS = Path(__file__).resolve().parents[2] / "docs"
PYTHON_BLOCKS = [
    example
    for example in find_examples(str(DOCS))
    if example.prefix.split()[0] in ("py", "python") and "--8<--" not in example.source
]


def test_the_pages_have_python_blocks() -> None:
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize("example", PYTHON_BLOCKS, ids=str)
def test_python_block_is_linted(example: CodeExample, eval_example: EvalExample) -> None:
    # A page's blocks share one namespace, but are linted one by one: a name defined in an
    # earlier block is undefined here (F821). Running the page catches real NameErrors.
    eval_example.set_config(line_length=100, target_version="py311", ruff_ignore=["F821"])
    if eval_example.update_examples:
        eval_example.format(example)
    else:
        eval_example.lint(example)
