"""Facts in prose are backed (docs_runner.claims): by the block beside them, a page they
link to, or evidence; a falsified one of each kind is found at its line."""

import fnmatch
from pathlib import Path

import pytest

from alembic_docs.pytest_plugin import CLAIMS
from docs_runner import claims
from tests.scratch_pages import run

PATTERNS = {**claims.GENERIC, **CLAIMS}
PAGE = """# A page

```console
$ alembic upgrade head  # fails (exit status 255)
psycopg2.errors.DuplicateTable: relation "ix" already exists
```

The upgrade exits 255 on `DuplicateTable`, after 2 s under an `ACCESS EXCLUSIVE` lock.

```python title="migrations/env.py"
--8<-- "env.py"
```
"""
ENV_PY = "op.execute(\"SET lock_timeout = '2s'\")  # AccessExclusiveLock\n"


def unbound(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> list[str]:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "examples").mkdir(exist_ok=True)
    (tmp_path / "examples/env.py").write_text(ENV_PY)
    for name, content in (files or {}).items():
        (tmp_path / name).write_text(content)
    (tmp_path / "docs/page.md").write_text(text)
    return claims.unbound(tmp_path / "docs/page.md", tmp_path / "examples", tmp_path, PATTERNS)


def test_facts_shown_beside_their_paragraph_are_backed(tmp_path: Path) -> None:
    assert unbound(tmp_path, PAGE) == []


@pytest.mark.parametrize(
    ("true", "false", "kind"),
    [
        ("exits 255", "exits 1", "an exit status"),
        ("`DuplicateTable`", "`UndefinedTable`", "a server error"),
        ("after 2 s", "after 20 s", "a duration"),
        ("`ACCESS EXCLUSIVE`", "`ROW EXCLUSIVE`", "a lock mode"),
    ],
)
def test_a_falsified_fact_is_found_at_its_line(
    tmp_path: Path, true: str, false: str, kind: str
) -> None:
    [problem] = unbound(tmp_path, PAGE.replace(true, false))
    assert problem.startswith("8: '") and f"' states {kind} that no block" in problem


def test_evidence_backs_a_paragraph_and_must_exist(tmp_path: Path) -> None:
    falsified = PAGE.replace("exits 255", "exits 1")
    test = "tests/test_x.py::test_it"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_x.py").write_text("def test_it():\n    assert status == 1\n")
    backed = falsified.replace(" lock.", f" lock.<!-- evidence: {test} -->")
    assert unbound(tmp_path, backed) == []
    assert "'exits 2' states an exit status" in unbound(tmp_path, backed.replace("s 1", "s 2"))[0]
    missing = backed.replace("test_it -->", "test_gone -->")
    assert unbound(tmp_path, missing)[0] == f"8: evidence {test[:-2]}gone names no test"


@pytest.mark.parametrize(
    ("evidence", "problem"),
    [
        ("{outside}", "is outside the repository*"),
        ("../outside.txt", "is outside the repository*"),
        ("examples/link.txt", "is outside the repository*"),
        ("examples/fake.py::test_it", "names no test"),
        ("examples/fake.py::test_said", "names no test"),
        ("examples/fake.py::helper", "names no test"),
        ("examples/fake.py::Tests::test_other", "names no test"),
    ],
    ids=["absolute", "dotdot", "a-link-out", "in-a-string", "in-a-body", "no-test", "no-method"],
)
def test_evidence_is_a_file_of_the_repository_or_a_test_it_defines(
    tmp_path: Path, evidence: str, problem: str
) -> None:
    """A file outside the repository backed a paragraph (no review sees it), and the text
    `def test_it(` anywhere in a file, a string, made a test of it."""
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("Each waits 2 s.\n")
    (root / "examples").mkdir()
    (root / "examples/link.txt").symlink_to(tmp_path / "outside.txt")
    (root / "examples/fake.py").write_text(
        'NOTE = "def test_it(): waits 2 s"\n\n\ndef helper():\n'
        '    def test_said():\n        "waits 2 s"\n\n\n'
        'class Tests:\n    def test_method(self):\n        "waits 2 s"\n'
    )
    evidence = evidence.format(outside=tmp_path / "outside.txt")
    text = f"# A page\n\nEach waits 2 s.<!-- evidence: {evidence} -->\n"
    found = unbound(root, text)
    assert fnmatch.fnmatch(found[0], f"3: evidence {evidence} {problem}"), found
    assert any(line.startswith("3: '2 s' states a duration") for line in found)
    method = text.replace(evidence, "examples/fake.py::Tests::test_method")
    assert unbound(root, method) == []


def test_a_file_as_evidence_must_say_it(tmp_path: Path) -> None:
    text = "# A page\n\nEach waits 2 s. <!-- evidence: examples/env.py -->\n"
    assert unbound(tmp_path, text) == []
    assert "'20 s' states a duration" in unbound(tmp_path, text.replace("2 s", "20 s"))[0]


def test_a_linked_section_backs_what_it_shows(tmp_path: Path) -> None:
    other = PAGE.replace("# A page\n", "# Other\n\n## Exits\n", 1) + "\n## Next\n\nNone.\n"
    text = "# A page\n\nIt exits 255 ([Other](other.md#exits)).\n"
    assert unbound(tmp_path, text, {"docs/other.md": other}) == []
    assert unbound(tmp_path, text.replace("#exits", "#next"), {"docs/other.md": other}) != []
    assert unbound(tmp_path, text.replace("other.md", "none.md")) != []


def test_a_link_to_a_whole_page_backs_nothing(tmp_path: Path) -> None:
    """A page shows too much (every mode of a lock table) for a token on it to prove."""
    text = "# A page\n\nIt exits 255 ([Other](other.md)).\n"
    [problem] = unbound(tmp_path, text, {"docs/other.md": PAGE})
    assert "'exits 255' states an exit status" in problem


LOCKS = """# Locks

```console
$ python show_locks.py
ALTER COLUMN TYPE    AccessExclusiveLock
ADD FOREIGN KEY      ShareRowExclusiveLock
```
"""


@pytest.mark.parametrize(
    ("sentence", "backed"),
    [
        ("`ALTER COLUMN ... TYPE` takes `ACCESS EXCLUSIVE`.", True),
        ("`ADD FOREIGN KEY` takes `ACCESS EXCLUSIVE`.", False),  # another row's mode
        ("`ADD FOREIGN KEY` takes `ROW EXCLUSIVE`.", False),  # inside a row's whole token
        ("`ADD FOREIGN KEY` takes `SHARE ROW EXCLUSIVE`.", True),
        ("`ShareRowExclusiveLock` is the `ACCESS EXCLUSIVE` mode.", False),
        ("`ShareRowExclusiveLock` is the `SHARE ROW EXCLUSIVE` mode.", True),
    ],
)
def test_a_sentence_naming_a_row_is_held_to_that_row(
    tmp_path: Path, sentence: str, backed: bool
) -> None:
    """Where what backs a sentence shows several lock modes, the row it names decides."""
    assert (unbound(tmp_path, LOCKS + "\n" + sentence + "\n") == []) is backed


def test_the_page_grammar_in_inline_code_is_no_claim(tmp_path: Path) -> None:
    assert unbound(tmp_path, "# A page\n\nWrite `$ x  # fails (exit status 3)`.\n") == []


def test_a_page_with_a_fact_nothing_backs_fails(project: pytest.Pytester, recorded: str) -> None:
    text = "# Claims\n\n```console\n$ echo hi\nhi\n```\n\nThe echo took 5 s.\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["*docs/page.md:*: '5 s' states a duration that no block*"])


KINDS = """# A page

It created four files:

```console
$ ls
a
b
c
d
```

Three steps: a, b, then c. It rolled back, its log goes to stderr
(since [PostgreSQL 11](https://www.postgresql.org/docs/release/11.0/)), as `examples/env.py`
says.<!-- evidence: tests/test_x.py::test_it -->
"""
TEST_X = 'def test_it():\n    """It rolled back; the log goes to stderr, the rest to stdout."""\n'


@pytest.mark.parametrize(
    ("true", "false", "kind", "line"),
    [
        ("four files", "five files", "a count", 3),
        ("Three steps", "Two steps", "a count", 13),
        ("rolled back", "committed", "an outcome", 13),
        ("stderr", "stdout", "a stream", 13),
        ("PostgreSQL 11]", "PostgreSQL 10]", "a version boundary", 14),
        ("`examples/env.py`", "`examples/old_env.py`", "a quoted path", 14),
    ],
)
def test_each_kind_of_claim_is_held_to_what_backs_it(
    tmp_path: Path, true: str, false: str, kind: str, line: int
) -> None:
    (tmp_path / "tests").mkdir()
    files = {"tests/test_x.py": TEST_X}
    assert unbound(tmp_path, KINDS, files) == []
    [problem] = unbound(tmp_path, KINDS.replace(true, false), files)
    assert problem.startswith(f"{line}: ") and f"' states {kind} that no block" in problem


def test_a_span_of_two_backticks_holds_one() -> None:
    from docs_runner.grammar import in_inline_code

    text = "| `` `x` `` | after"
    assert in_inline_code(text, text.index("x")) and not in_inline_code(text, text.index("after"))


def test_an_exit_status_is_about_the_block_a_paragraph_introduces(tmp_path: Path) -> None:
    failing = "```console\n$ false  # fails (exit status 1)\n```\n"
    text = f"# A page\n\n```console\n$ true\n```\n\nIt exits 0:\n\n{failing}"
    assert "'exits 0' states an exit status" in unbound(tmp_path, text)[0]
    assert unbound(tmp_path, text.replace("exits 0", "exits 1")) == []
