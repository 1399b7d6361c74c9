"""The page runner on small pages of its own: diffs, rewriting, opt-outs, order, ids."""

import textwrap
from pathlib import Path

import pytest

from tutorial_harness.page import provenance_line
from tutorial_harness.schema import versions
from tutorial_harness.server import Server

pytest_plugins = ["pytester"]

GOOD = """
# A page that passes

<!-- norun: an illustration -->
```text
not executed
```

=== "A tab"

    ```console
    $ echo 0123456789ab
    1975ea83b712
    $ echo "ids stay mapped: 0123456789ab"
    ids stay mapped: 1975ea83b712
    ```

```python title="notes/1975ea83b712_note.txt"
--8<-- "note.txt"
```

```console
$ cat notes/0123456789ab_note.txt
revision 1975ea83b712
```

```python
greeting = "hello"
print(greeting, "from", "python")
```

```text title="Output"
hello from python
```

A long output may be shortened: `...` stands for any lines.

```console
$ printf 'Traceback (most recent call last):\\n  frame 1\\n  frame 2\\nValueError: boom\\n'
Traceback (most recent call last):
...
ValueError: boom
```
"""

MISMATCH = """
# A page whose output drifted

Text.

=== "Tab"

    ```console
    $ echo hello
    goodbye
    ```

```console
$ echo after
after
```
"""

UNCLASSIFIED = """
# A page with a block nobody runs

```bash
echo forgotten
```
"""


def with_provenance(text: str, line: str) -> str:
    title, rest = textwrap.dedent(text).lstrip().split("\n", 1)
    return f"{title}\n\n{line}\n{rest}"


@pytest.fixture(scope="module")
def verified(postgres_server: Server) -> str:
    """The provenance line of this run's versions."""
    return provenance_line(versions(postgres_server.admin_url))


@pytest.fixture
def project(pytester: pytest.Pytester, verified: str) -> pytest.Pytester:
    pytester.makeconftest('pytest_plugins = ["tutorial_harness.pytest_plugin"]')
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    (pytester.path / "examples").mkdir()
    (pytester.path / "examples/note.txt").write_text("revision 0123456789ab\n")
    docs = pytester.path / "docs"
    docs.mkdir()
    for name, text in {"good": GOOD, "mismatch": MISMATCH, "unclassified": UNCLASSIFIED}.items():
        (docs / f"{name}.md").write_text(with_provenance(text, verified))
    return pytester


def test_a_passing_page_runs_every_block_in_order(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("docs/good.md")
    result.assert_outcomes(passed=7)
    result.stdout.fnmatch_lines(
        [
            "*executed documentation*",
            "docs/good.md: 7 blocks and 0 database checks passed, 0 failed, 1 opted out",
            "    line 6 not run: an illustration",
        ]
    )


def test_a_mismatch_fails_with_a_diff_naming_page_and_line(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("docs/mismatch.md")
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/mismatch.md:10: `echo hello` printed something else than the page shows",
            "--- docs/mismatch.md:10 (shown on the page)",
            "-goodbye",
            "+hello",
            "*nox -s update*",
            "*not run: the block at line 9 failed first*",  # later blocks depend on earlier ones
        ]
    )


def test_update_rewrites_the_shown_output_in_place(project: pytest.Pytester) -> None:
    page = project.path / "docs/mismatch.md"
    before = page.read_text()
    project.runpytest_subprocess("docs/mismatch.md", "--update-examples")
    assert page.read_text() == before.replace("    goodbye\n", "    hello\n")  # tab indent kept
    project.runpytest_subprocess("docs/mismatch.md").assert_outcomes(passed=3)


def test_a_block_neither_run_nor_opted_out_fails(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("docs/unclassified.md")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*a `bash` block is not executed: opt it out with*"])


def test_an_opt_out_needs_a_reason(project: pytest.Pytester) -> None:
    (project.path / "docs/good.md").write_text("<!-- norun: -->\n```text\nx\n```\n")
    result = project.runpytest_subprocess("docs/good.md")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*<!-- norun: --> needs a reason*"])


def test_a_file_block_must_come_from_examples(project: pytest.Pytester, verified: str) -> None:
    page = '# A file\n```python title="env.py"\nprint(1)\n```\n'
    (project.path / "docs/good.md").write_text(with_provenance(page, verified))
    result = project.runpytest_subprocess("docs/good.md")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(['*file block "env.py" must include its file from examples/*'])


def test_pages_run_in_parallel_on_separate_workers(project: pytest.Pytester, verified: str) -> None:
    for n in range(4):
        Path(project.path / f"docs/copy{n}.md").write_text(with_provenance(GOOD, verified))
    result = project.runpytest_subprocess(
        "-n", "2", "--dist", "loadfile", "docs/good.md", *(f"docs/copy{n}.md" for n in range(4))
    )
    result.assert_outcomes(passed=35)


def test_a_page_without_provenance_fails_and_update_adds_it(
    project: pytest.Pytester, verified: str
) -> None:
    page = project.path / "docs/good.md"
    page.write_text(textwrap.dedent(GOOD).lstrip())
    result = project.runpytest_subprocess("docs/good.md")
    result.stdout.fnmatch_lines(["*docs/good.md: no provenance line; add one with: nox -s update"])
    project.runpytest_subprocess("docs/good.md", "--update-examples")
    assert page.read_text().splitlines()[:3] == ["# A page that passes", "", verified]
    project.runpytest_subprocess("docs/good.md").assert_outcomes(passed=7)


def test_a_page_verified_with_other_versions_fails(project: pytest.Pytester, verified: str) -> None:
    page = project.path / "docs/good.md"
    page.write_text(page.read_text().replace("Alembic 1.", "Alembic 0."))
    result = project.runpytest_subprocess("docs/good.md")
    result.stdout.fnmatch_lines(["*docs/good.md:3: verified with alembic 0.*, but this run used*"])


def test_pages_see_a_readers_terminal_even_on_ci(
    project: pytest.Pytester, verified: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI runners set CI, which makes pytest print un-shortened summaries: a page's nested
    pytest would show what no reader sees. Pages get DATABASE_URL, never CI."""
    page = """
    # A page that looks at its environment

    ```console
    $ echo "CI=${CI-unset} ADDOPTS=${PYTEST_ADDOPTS-unset} URL=${DATABASE_URL:+set}"
    CI=unset ADDOPTS=unset URL=set
    ```
    """
    (project.path / "docs/reader.md").write_text(with_provenance(page, verified))
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:cacheprovider")
    result = project.runpytest_subprocess("docs/reader.md")
    result.assert_outcomes(passed=2)  # the provenance line and the block
