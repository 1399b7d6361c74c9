"""The page runner on small pages of its own: each way a page could lie is caught at its line.

Every test writes a page into a scratch pytest project (with a copy of examples/tutorial/)
and runs pytest on it, in this process (a subprocess each would cost about 2 s of imports).
"""

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from docs_runner import provenance, shell
from tests.processes import sleeping
from tests.scratch_pages import AS_ROOT, GOOD, MISMATCH, page, readers_folder, run, write
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parents[3]


def test_a_passing_page_runs_every_block_in_order(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("docs/good.md")
    result.assert_outcomes(passed=7, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*executed documentation*",
            "docs/good.md: 5 blocks and 0 database checks passed, 0 failed, 1 opted out",
            "    not run: an illustration",
        ]
    )


def test_the_summary_lists_only_the_pages_that_ran(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("docs/mismatch.md")
    assert "an illustration" not in result.stdout.str()


def test_a_mismatch_fails_with_a_diff_naming_page_and_line(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("docs/mismatch.md")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/mismatch.md:8: `echo hello` printed something else than the page shows",
            "--- docs/mismatch.md:8 (shown on the page)",
            "-goodbye",
            "+hello",
            "Rewrite shown outputs from a real run with: pytest --update-docs",  # the default
            "*not run: the block at line 7 failed first*",  # later blocks depend on earlier ones
        ]
    )
    assert "recorded with other versions" not in result.stdout.str()  # the recorded ones


def test_update_rewrites_the_shown_output_in_place(project: pytest.Pytester) -> None:
    path = project.path / "docs/mismatch.md"
    before = path.read_text()
    project.runpytest_inprocess("docs/mismatch.md", "--update-docs")
    assert path.read_text() == before.replace("    goodbye\n", "    hello\n")  # tab indent kept
    project.runpytest_inprocess("docs/mismatch.md").assert_outcomes(passed=4)


def test_a_block_neither_run_nor_opted_out_fails(project: pytest.Pytester, recorded: str) -> None:
    result = run(project, "# Forgotten\n```bash\necho forgotten\n```\n", recorded)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*a `bash` block is not executed: opt it out with*"])


def test_an_opt_out_needs_a_reason(project: pytest.Pytester) -> None:
    write(project, "good", "<!-- norun: -->\n```text\nx\n```\n")
    result = project.runpytest_inprocess("docs/good.md")
    result.assert_outcomes(failed=1)  # one line, at the marker: no traceback
    result.stdout.fnmatch_lines(["docs/good.md:1: <!-- norun: --> needs a reason"])
    assert "Traceback" not in result.stdout.str()


def test_an_opted_out_block_may_include_a_file(project: pytest.Pytester) -> None:
    """The site shows the included file: that is what the opt-out accounts for."""
    shown = '# Shown\n<!-- norun: shown only -->\n```text\n--8<-- "{}"\n```\n'
    write(project, "shown", shown.format("note.txt"))  # runs nothing: no provenance line
    result = project.runpytest_inprocess("docs/shown.md", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    # The skip is reported at the block, with its reason.
    result.stdout.fnmatch_lines(["SKIPPED [1] docs/shown.md:3: not run: shown only"])
    write(project, "gone", shown.format("gone.txt"))
    result = project.runpytest_inprocess("docs/gone.md")
    result.stdout.fnmatch_lines(["*examples/gone.txt does not exist*"])
    assert result.ret != 0


def test_a_file_block_must_come_from_examples(project: pytest.Pytester, recorded: str) -> None:
    result = run(project, '# A file\n```python title="env.py"\nprint(1)\n```\n', recorded)
    result.stdout.fnmatch_lines(['*file block "env.py" must include its file from examples/*'])
    assert result.ret != 0


@pytest.mark.parametrize("title", ["../escaped.txt", "{tmp}/escaped.txt", "a/../../escaped.txt"])
def test_a_file_block_writes_only_in_the_project(
    project: pytest.Pytester, recorded: str, tmp_path: Path, title: str
) -> None:
    """A title with `..` or a leading / wrote outside the page's scratch project: in a
    folder shared with other runs and pages, or anywhere the harness may write."""
    title = title.format(tmp=tmp_path)
    text = (
        f'# Out\n\n```text title="{title}"\n--8<-- "note.txt"\n```\n\n'
        f"```console\n$ cat {title}\na note\n```\n"
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [f'docs/page.md:5: title="{title}": not in the project (a path in it, without .. *']
    )
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize(
    ("markdown", "named"),
    [
        ("<!-- project: {outside} -->\n", "<!-- project: {outside} -->"),
        ("<!-- project: ../.. -->\n", "<!-- project: ../.. -->"),
        ('```text title="s.txt"\n--8<-- "{outside}/secret.txt"\n```\n', "--8<-- "),
        ('<!-- norun: shown only -->\n```text\n--8<-- "../{outside}"\n```\n', "--8<-- "),
    ],
)
def test_what_a_page_names_must_be_in_examples(
    project: pytest.Pytester, recorded: str, tmp_path: Path, markdown: str, named: str
) -> None:
    """A project or an include outside examples/ (copied in with the harness's rights to
    read it) fails at its line, and nothing of it reaches the page."""
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("root's secret")
    text = "# Outside\n\n" + markdown.format(outside=outside)
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [f"docs/page.md*{named.format(outside=outside)}*not in the examples folder*"]
    )
    assert "root's secret" not in result.stdout.str()


@pytest.mark.parametrize(
    ("link", "target", "markdown", "named"),
    [
        ("link.txt", "secret.txt", '```text title="s.txt"\n--8<-- "link.txt"\n```\n', "--8<-- "),
        ("linked", ".", "<!-- project: linked -->\n", "<!-- project: linked -->"),
        ("demo/link.txt", "secret.txt", "<!-- project: demo -->\n", "examples/demo/link.txt"),
        ("demo/sub", ".", "<!-- project: demo -->\n", "examples/demo/sub"),
    ],
    ids=["an-include", "a-project", "a-file-in-a-project", "a-folder-in-a-project"],
)
def test_a_link_out_of_examples_is_not_followed(
    project: pytest.Pytester,
    recorded: str,
    tmp_path: Path,
    link: str,
    target: str,
    markdown: str,
    named: str,
) -> None:
    """What a page names in examples/ is read with the harness's rights (root's): a link
    there, or in a project copied from there, to a file outside fails at its line."""
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("root's secret")
    (project.path / "examples/demo").mkdir()
    (project.path / "examples/demo/kept.txt").write_text("kept\n")
    (project.path / "examples" / link).symlink_to(outside / target)
    text = f"# Linked\n\n{markdown}\n```console\n$ cat -- *\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines([f"docs/page.md:5: *{named}*"])
    assert "root's secret" not in result.stdout.str()
    assert result.ret != 0


def test_pages_run_in_parallel_on_separate_workers(
    project: pytest.Pytester,
    recorded: str,
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.shared_url())  # other processes
    for n in range(4):
        write(project, f"copy{n}", page(GOOD, recorded))
    result = project.runpytest_inprocess(
        "-n", "2", "--dist", "loadfile", "docs/good.md", *(f"docs/copy{n}.md" for n in range(4))
    )
    result.assert_outcomes(passed=35, skipped=5)


# -- revision ids --------------------------------------------------------------------------

IDS = """
# Ids

<!-- project: tutorial -->

```console
$ alembic revision -m "second"
  Generating /path/to/project/migrations/versions/aaaaaaaaaaaa_second.py ...  done
$ alembic heads
aaaaaaaaaaaa (head)
$ alembic history
1975ea83b712 -> aaaaaaaaaaaa (head), second
<base> -> 1975ea83b712, create users table
$ cat migrations/versions/aaaaaaaaaaaa_second.py | sed -n 3,4p
Revision ID: aaaaaaaaaaaa
Revises: 1975ea83b712
```
"""


def test_a_generated_id_is_shown_as_the_page_shows_it(
    project: pytest.Pytester, recorded: str
) -> None:
    run(project, IDS, recorded).assert_outcomes(passed=4)


def test_a_fixed_id_changed_throughout_the_page_fails_at_its_line(
    project: pytest.Pytester, recorded: str
) -> None:
    """Ids from examples/ are compared literally: only a generated id is mapped."""
    result = run(project, IDS.replace("1975ea83b712", "1975ea83b799"), recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:12: `alembic history` printed something else*", "-1975ea83b799 -> *"]
    )


def test_two_generated_ids_cannot_share_a_shown_id(project: pytest.Pytester, recorded: str) -> None:
    twice = """
    # Two revisions shown with one id

    <!-- project: tutorial -->

    ```console
    $ alembic revision -m "b"
      Generating /path/to/project/migrations/versions/bbbbbbbbbbbb_b.py ...  done
    $ alembic revision -m "c"
      Generating /path/to/project/migrations/versions/bbbbbbbbbbbb_c.py ...  done
    ```
    """
    result = run(project, twice, recorded)
    result.stdout.fnmatch_lines(["-*bbbbbbbbbbbb_c.py*", "+*_c.py ...  done"])
    assert result.ret != 0


# -- elisions ------------------------------------------------------------------------------

TRACEBACK = """
# A traceback

```console
$ python3 -c 'import json; json.loads("x")'  # fails (exit status 1)
Traceback (most recent call last):
...
json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)
```
"""


def test_a_traceback_s_frames_may_be_elided(project: pytest.Pytester, recorded: str) -> None:
    run(project, TRACEBACK, recorded).assert_outcomes(passed=3)


def test_an_elision_outside_a_traceback_fails(project: pytest.Pytester, recorded: str) -> None:
    text = "# Elided\n```console\n$ printf 'a\\nb\\nc\\n'\na\n...\nc\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["*`...` stands only for a traceback's frames*"])
    assert result.ret != 0


def test_the_traceback_header_is_always_compared(project: pytest.Pytester, recorded: str) -> None:
    result = run(project, TRACEBACK.replace("Traceback (most recent call last):\n", ""), recorded)
    result.stdout.fnmatch_lines(["*`...` stands only for a traceback's frames*"])


def test_update_keeps_the_page_s_elisions(project: pytest.Pytester, recorded: str) -> None:
    path = write(project, "page", page(TRACEBACK, recorded))
    before = path.read_text()
    path.write_text(before.replace("(char 0)", "(char 9)"))
    project.runpytest_inprocess("docs/page.md", "--update-docs")
    assert path.read_text() == before


# -- exit statuses -------------------------------------------------------------------------


def test_an_unannounced_failure_fails_the_page(project: pytest.Pytester, recorded: str) -> None:
    result = run(project, "# Silent\n```console\n$ echo same; false\nsame\n```\n", recorded)
    result.stdout.fnmatch_lines(
        ["*`echo same; false` exited with status 1; the page does not mark it as failing"]
    )


def test_a_failure_the_page_announces_passes(project: pytest.Pytester, recorded: str) -> None:
    text = "# Loud\n```console\n$ exit 3  # fails (exit status 3)\n```\n"
    run(project, text, recorded).assert_outcomes(passed=3)
    result = run(project, text.replace("status 3", "status 4"), recorded)
    result.stdout.fnmatch_lines(["*exited with status 3; the page says it fails with 4"])


def test_a_failing_pipeline_is_not_hidden_by_its_last_command(
    project: pytest.Pytester, recorded: str
) -> None:
    result = run(project, "# Piped\n```console\n$ false | cat\n```\n", recorded)
    result.stdout.fnmatch_lines(["*`false | cat` exited with status 1*"])


HALF_DONE = """
# A migration that commits part of its work, then fails

<!-- project: tutorial -->

```python title="migrations/versions/b1_half.py"
--8<-- "half.py"
```

```console
$ alembic upgrade head{marker}
$ psql "$DATABASE_URL" -tA -c 'SELECT count(*) FROM attempts'
```
"""
HALF = """from alembic import op

revision, down_revision, branch_labels, depends_on = "b1", "1975ea83b712", None, None


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("CREATE TABLE IF NOT EXISTS attempts (n int)")
        op.execute("INSERT INTO attempts VALUES (1)")
    op.execute("SELECT 1/0")
"""


@pytest.mark.parametrize("marker", ["  # fails (exit status 1)", ""])
def test_a_failed_command_is_never_run_twice(
    project: pytest.Pytester, recorded: str, marker: str
) -> None:
    """Marked as failing (run as the real CLI) or not (it raises in-process), a command
    that committed part of its work before failing runs once: the page shows one attempt."""
    (project.path / "examples/half.py").write_text(HALF)
    run(project, HALF_DONE.format(marker=marker), recorded, "--update-docs")
    shown = (project.path / "docs/page.md").read_text()
    assert "  # fails (exit status 1)\n" in shown
    assert shown.endswith("SELECT count(*) FROM attempts'\n1\n```\n")


# -- shown files ---------------------------------------------------------------------------

UNREAD = """
# A file nobody reads

```text title="notes/note.txt"
--8<-- "note.txt"
```

```console
$ echo done
done
```
"""


def test_a_shown_file_nothing_reads_fails(project: pytest.Pytester, recorded: str) -> None:
    result = run(project, UNREAD, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: `notes/note.txt` was written here, but no later step read*"]
    )
    text = UNREAD.replace("$ echo done\ndone", "$ cat notes/note.txt\na note")
    run(project, text, recorded).assert_outcomes(passed=4)


def test_a_database_check_does_not_count_as_reading(
    project: pytest.Pytester, recorded: str
) -> None:
    project.makeconftest(
        "from docs_runner import check\n"
        "@check('reads-the-note')\n"
        "def reads(run):\n"
        "    (run.project / 'notes/note.txt').read_text()\n"
    )
    text = UNREAD.replace("```console", "<!-- check: reads-the-note -->\n\n```console")
    run(project, text, recorded).stdout.fnmatch_lines(["*`notes/note.txt` was written here*"])


HIGHLIGHTED = """
# A changed file

```text title="notes/note.txt"
--8<-- "note.txt"
```

```text title="notes/note.txt" hl_lines="2"
--8<-- "note-v2.txt"
```

```console
$ cat notes/note.txt
a note
and a second line
```
"""


def test_hl_lines_must_mark_exactly_the_changed_lines(
    project: pytest.Pytester, recorded: str
) -> None:
    (project.path / "examples/note-v2.txt").write_text("a note\nand a second line\n")
    # The first note is replaced before anything read it.
    result = run(project, HIGHLIGHTED, recorded)
    result.stdout.fnmatch_lines(["docs/page.md:5: `notes/note.txt` was written here*"])
    result = run(project, HIGHLIGHTED.replace('hl_lines="2"', 'hl_lines="1"'), recorded)
    result.stdout.fnmatch_lines(
        ['*hl_lines="1" does not mark the changed lines: unchanged but highlighted [[]1[]]*']
    )


@pytest.mark.parametrize("spec", ["a", "2-", "1,2", "-1"])
def test_hl_lines_that_name_no_lines_fail_at_their_block(
    project: pytest.Pytester, recorded: str, spec: str
) -> None:
    """They were a ValueError's traceback."""
    (project.path / "examples/note-v2.txt").write_text("a note\nand a second line\n")
    result = run(project, HIGHLIGHTED.replace('hl_lines="2"', f'hl_lines="{spec}"'), recorded)
    result.stdout.fnmatch_lines(
        [f'docs/page.md:9: hl_lines="{spec}": expected line numbers and ranges, e.g. "3 5-7"']
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("1-5000000", "1-5000000 is past the file's last line, 2"),
        ("3", "3 is past the file's last line, 2"),
        ("1-" + "9" * 5000, 'expected line numbers and ranges, e.g. "3 5-7"'),
    ],
    ids=["a-long-range", "past-the-end", "more-digits-than-int-takes"],
)
def test_hl_lines_past_the_file_fail_at_their_block(
    project: pytest.Pytester, recorded: str, spec: str, said: str
) -> None:
    """Each line of a range was counted in root's memory: `1-100000000000` took it all, and
    5,000 digits were a ValueError's traceback."""
    (project.path / "examples/note-v2.txt").write_text("a note\nand a second line\n")
    result = run(project, HIGHLIGHTED.replace('hl_lines="2"', f'hl_lines="{spec}"'), recorded)
    result.stdout.fnmatch_lines([f'docs/page.md:9: hl_lines="{spec}": {said}'])
    assert "Traceback" not in result.stdout.str()


def test_hl_lines_need_a_file_to_change(project: pytest.Pytester, recorded: str) -> None:
    text = '# New\n```text title="n.txt" hl_lines="1"\n--8<-- "note.txt"\n```\n'
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["*hl_lines marks changes, but there is no file here*"])


# -- timestamps ----------------------------------------------------------------------------

DATES = """
# Dates

<!-- project: tutorial -->

```console
$ alembic revision -m "new" --rev-id cccccccccccc | sed 's/^ *Gen.*/generated/'
generated
$ grep "Create Date" migrations/versions/cccccccccccc_new.py
Create Date: 2020-01-01 00:00:00.000000
$ grep "Create Date" migrations/versions/1975ea83b712_create_users_table.py
Create Date: 2026-11-20 10:00:00.000000
```
"""


def test_only_a_timestamp_this_run_produced_is_masked(
    project: pytest.Pytester, recorded: str
) -> None:
    committed = (ROOT / "examples/tutorial/migrations/versions").glob("1975*.py")
    stamp = next(line for line in next(committed).read_text().splitlines() if "Create" in line)
    text = DATES.replace("Create Date: 2026-11-20 10:00:00.000000", stamp)
    run(project, text, recorded).assert_outcomes(passed=4)
    result = run(project, DATES, recorded)  # a committed file's date is compared literally
    result.stdout.fnmatch_lines(["-Create Date: 2026-11-20 10:00:00.000000"])


# -- provenance ----------------------------------------------------------------------------


def test_a_page_without_provenance_fails_and_update_adds_it(
    project: pytest.Pytester, recorded: str
) -> None:
    path = project.path / "docs/good.md"
    path.write_text(textwrap.dedent(GOOD).lstrip())
    result = project.runpytest_inprocess("docs/good.md")
    result.stdout.fnmatch_lines(["*docs/good.md: no provenance line; `pytest --update-docs` adds*"])
    project.runpytest_inprocess("docs/good.md", "--update-docs")
    assert path.read_text().splitlines()[:3] == ["# A page that passes", "", recorded]
    project.runpytest_inprocess("docs/good.md").assert_outcomes(passed=7, skipped=1)


def test_on_other_versions_only_the_blocks_that_differ_fail(
    project: pytest.Pytester, postgres_server: Server, pytestconfig: pytest.Config
) -> None:
    """A run on other versions (a reader's server, say) passes the pages that show what it
    ran, fails each block that differs with what readers of those versions see, runs the
    blocks after it, lists the pages, and never offers to rewrite them from that run (nor
    holds them to the manifest, which describes the recorded versions' run)."""
    used = provenance.versions(postgres_server.admin_url, pytestconfig.hook)
    older = {**used, "Alembic": "0.9.1", "PostgreSQL": "15.18"}  # the others the same
    for name, text in {"good": GOOD, "mismatch": MISMATCH}.items():
        write(project, name, page(text, provenance.line(older)))
    project.makeini(  # a manifest with no entries: no page's end fails for it
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest = docs/verification.json\n"
    )
    result = project.runpytest_inprocess("docs/good.md", "docs/mismatch.md")
    other = (
        f"this run used Alembic {used['Alembic']} and PostgreSQL {used['PostgreSQL']}; "
        "the outputs were recorded with Alembic 0.9.1 and PostgreSQL 15.18"
    )
    result.stdout.fnmatch_lines(
        [
            "docs/mismatch.md:8: `echo hello` printed something else than the page shows",
            "+hello",
            f"T{other[1:]}: a difference is what readers with those versions see.",
            "*= recorded with other versions =*",
            f"docs/good.md: {other}: every block passes",
            f"docs/mismatch.md: {other}: other output at line 7",  # `echo after` ran too
            "A difference is what readers with those versions see; the pages stay as recorded.",
        ]
    )
    assert "--update-docs" not in result.stdout.str()
    assert "ewrite" not in result.stdout.str()
    result.assert_outcomes(failed=1, passed=10, skipped=1)


VERSION_TABS = """
# Two tabs

=== "psql MAJOR+"

    <!-- versions: psql>=MAJOR -->
    ```console
    $ echo this
    this
    ```

=== "psql before 10"

    <!-- versions: psql<10 -->
    ```console
    $ echo this
    what psql 9 would print
    ```
"""


@pytest.fixture
def version_tabs(postgres_server: Server, pytestconfig: pytest.Config) -> tuple[str, str]:
    """A page with a tab for this run's psql and one for psql 9, and that psql version."""
    psql = provenance.versions(postgres_server.admin_url, pytestconfig.hook)["psql"]
    return VERSION_TABS.replace("MAJOR", psql.split(".")[0]), psql


def test_a_block_for_other_versions_runs_only_on_them(
    project: pytest.Pytester, recorded: str, version_tabs: tuple[str, str]
) -> None:
    """`<!-- versions: ... -->` before a fence (in a content tab beside the recorded one):
    checked on the versions it names, a skip saying so on others, and an opt-out."""
    text, psql = version_tabs
    result = run(project, text, recorded)
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines([f"    for psql<10; this run used psql {psql}"])
    project.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest = docs/verification.json\n"
    )
    project.runpytest_inprocess("docs/page.md", "--update-docs")
    manifest = json.loads((project.path / "docs/verification.json").read_text())
    assert manifest["docs/page.md"]["opt-outs"] == ["for psql<10"]
    for wrong in (
        "psql 9",
        "psql<10 AND psycopg",
        "psql=10",
        "psql<<10",
        "not psql<10",
        "psql<10 and",
    ):
        mistyped = run(project, text.replace("psql<10", wrong), recorded)
        mistyped.stdout.fnmatch_lines([f"*<!-- versions: {wrong} -->: expected e.g. psql<18*"])
        assert "Traceback" not in mistyped.stdout.str()


@pytest.mark.parametrize("gap", ["", "\n"], ids=["right-before", "a-blank-line-between"])
def test_a_versions_marker_no_label_can_say_fails_at_its_line(
    project: pytest.Pytester, recorded: str, gap: str
) -> None:
    """packaging reads `===`, but a tab's label has no words for it: a ValueError with a
    traceback, at the block; and a marker's failures named the line before the fence."""
    marker = "<!-- versions: psql===1 -->"
    text = f"# Exact\n\n```console\n$ echo ok\nok\n```\n\n{marker}\n{gap}```console\n$ false\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/page.md:10: {marker}: expected e.g. psql<18, * ~=, *"])


def test_a_versions_marker_s_terms_must_all_hold(
    project: pytest.Pytester, recorded: str, version_tabs: tuple[str, str]
) -> None:
    """`and` joins terms, a bare name means "installed" and `not NAME` "not installed": a
    block runs only where every term holds, and its skip names each version this run used."""
    text, psql = version_tabs
    major = psql.split(".")[0]
    both = (
        text.replace(f"psql>={major} -->", f"psql>={major} and PostgreSQL and not nosuchlib -->")
        .replace(
            f'"psql {major}+"',
            f'"psql {major}+ with PostgreSQL without nosuchlib"',
        )
        .replace("<!-- versions: psql<10 -->", "<!-- versions: psql>=10 and nosuchlib -->")
        .replace('"psql before 10"', '"psql 10+ with nosuchlib"')
    )
    result = run(project, both, recorded)
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(
        [f"    for psql>=10 and nosuchlib; this run used psql {psql} and nosuchlib (none)"]
    )


def test_a_tab_s_label_is_made_from_its_versions_marker(
    project: pytest.Pytester, recorded: str, version_tabs: tuple[str, str]
) -> None:
    """A label that says other than the marker fails at the tab's line; update writes it."""
    text, _ = version_tabs
    wrong = text.replace('"psql before 10"', '"psql 12 to 17"')
    result = run(project, wrong, recorded)
    result.assert_outcomes(passed=2, failed=2)  # the tab's block, and the page's end
    result.stdout.fnmatch_lines(
        [
            "*docs/page.md:*: the tab says 'psql 12 to 17'; its <!-- versions: psql<10 --> "
            "says 'psql before 10'*"
        ]
    )
    project.runpytest_inprocess("docs/page.md", "--update-docs")
    assert '=== "psql before 10"' in (project.path / "docs/page.md").read_text()


def test_a_tab_labelled_with_a_version_holds_a_marker(
    project: pytest.Pytester, recorded: str, version_tabs: tuple[str, str]
) -> None:
    text, _ = version_tabs
    unmarked = text.replace("<!-- versions: psql<10 -->", "").replace(
        "what psql 9 would print", "this"
    )
    result = run(project, unmarked, recorded)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/page.md:*: the tab 'psql before 10' names a version but holds no *"]
    )


def test_a_versions_marker_matches_a_version_the_record_holds(
    project: pytest.Pytester, recorded: str, version_tabs: tuple[str, str]
) -> None:
    """A specifier no combination of the versions record matches marks a block that no
    run checks: it fails, naming the versions the record holds."""
    text, psql = version_tabs
    record = {"combinations": {"pinned": {"versions": {"psql": psql}, "pages": {}}}}
    (project.path / "versions.json").write_text(json.dumps(record))
    project.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest =\n"
        "docs_versions_record = versions.json\n"
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [
            f"*docs/page.md:*: <!-- versions: psql<10 --> matches none of the combinations the "
            f"versions record holds (psql {psql})"
        ]
    )
    result.assert_outcomes(passed=2, failed=2)


def test_update_keeps_the_date_when_the_versions_are_the_same(
    project: pytest.Pytester, recorded: str
) -> None:
    path = project.path / "docs/good.md"
    path.write_text(path.read_text().replace(recorded[20:30], "2020-01-02"))
    before = path.read_text()
    project.runpytest_inprocess("docs/good.md", "--update-docs")
    assert path.read_text() == before


@pytest.mark.parametrize(
    "prose",
    [
        "Outputs recorded on 2020-01-01 with Alembic 1.0.0, SQLAlchemy 1, psycopg2 1 and "
        "PostgreSQL 9.6.",  # a second line
        "Verified on 2020-01-01 with everything.",  # a line of another shape
        "This page runs on PostgreSQL 16.2.",  # a free version claim
        "Tested with Alembic 1.20.",
    ],
)
def test_prose_makes_no_version_claim(project: pytest.Pytester, recorded: str, prose: str) -> None:
    result = run(project, GOOD.replace('=== "A tab"', f'{prose}\n\n=== "A tab"'), recorded)
    result.stdout.fnmatch_lines(["*docs/page.md: *"])
    result.assert_outcomes(failed=1, passed=6, skipped=1)


def test_pages_see_a_readers_terminal_even_on_ci(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI runners set CI, which makes pytest print un-shortened summaries: a page's nested
    pytest would show what no reader sees. Pages get DATABASE_URL, never CI; nor
    PYTHONDONTWRITEBYTECODE, without which `ls migrations/versions` shows `__pycache__`; nor
    the harness's PYTHONPATH (a mutation workspace's src/, which `nobody` may not read)."""
    text = """
    # A page that looks at its environment

    ```console
    $ echo "CI=${CI-unset} ADDOPTS=${PYTEST_ADDOPTS-unset} URL=${DATABASE_URL:+set}"
    CI=unset ADDOPTS=unset URL=set
    $ echo "${PYTHONDONTWRITEBYTECODE-unset} ${PYTHONPATH-unset}"
    unset unset
    ```
    """
    monkeypatch.setenv("PYTHONPATH", "/nowhere")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # set here; a reader's Python writes
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:cacheprovider")
    run(project, text, recorded).assert_outcomes(passed=3)


# -- what the site renders, and the manifest -----------------------------------------------


@pytest.mark.parametrize("last", [True, False], ids=["last", "first"])
def test_an_indented_code_block_fails_at_its_line(
    project: pytest.Pytester, recorded: str, last: bool
) -> None:
    """The site renders it as code; no runner would ever see it. Its failure named no
    line, only its number among the rendered blocks."""
    indented = "In a terminal:\n\n    $ alembic current\n    1975ea83b712 (head)\n"
    title = "# A page that passes\n"
    text = GOOD + "\n" + indented if last else GOOD.replace(title, f"{title}\n{indented}")
    result = run(project, text, recorded)
    line = page(text, recorded).split("\n").index("    $ alembic current") + 1
    number = 7 if last else 1
    result.stdout.fnmatch_lines(
        [
            f"docs/page.md:{line}: the site renders a code block the runner did not run or "
            f"opt out (block {number}, starting '$ alembic current'); use a fenced block"
        ]
    )


@pytest.mark.parametrize("hidden_in", ["script", "style"])
def test_a_block_the_site_does_not_show_fails_at_its_line(
    project: pytest.Pytester, recorded: str, hidden_in: str
) -> None:
    """A fence in a <script> or <style> is found by the lexer and run, but the site
    shows none of it: after the last shown block, it was no failure at all."""
    text = (
        "# Hidden\n\n```console\n$ echo shown\nshown\n```\n\n"
        f"<{hidden_in}>\n```console\n$ echo hidden\nhidden\n```\n</{hidden_in}>\n"
    )
    result = run(project, text, recorded)
    line = page(text, recorded).splitlines().index("$ echo hidden")  # the fence's, 1-based
    result.stdout.fnmatch_lines([f"docs/page.md:{line}: the site does not show this block*"])
    assert result.ret != 0


@pytest.mark.parametrize(
    "include",
    [
        '--8<-- "note.txt"',
        '-8<- "note.txt"',
        "--8<-- 'note.txt'",
        '---8<--- "note.txt"',
        "--8<--\nnote.txt\n--8<--",
        '- In a list:\n\n    --8<-- "note.txt"',
    ],
    ids=["double-quotes", "one-dash", "single-quotes", "three-dashes", "block", "list-item"],
)
def test_an_include_outside_a_fence_fails_at_its_line(
    project: pytest.Pytester, recorded: str, include: str
) -> None:
    """pymdownx.snippets includes the file into the prose with each of these; only the
    first was seen, and its failure named no line."""
    text = GOOD + "\n" + include + "\n"
    result = run(project, text, recorded)
    after = len(page(GOOD, recorded).split("\n"))  # its own include is in a fence
    lines = page(text, recorded).split("\n")
    line = next(n for n, shown in enumerate(lines, 1) if n > after and "8<" in shown)
    result.stdout.fnmatch_lines(
        [f'docs/page.md:{line}: `--8<-- "note.txt"` outside a fence includes content*']
    )
    assert result.ret == 1


def test_a_generated_file_is_included_once(project: pytest.Pytester, recorded: str) -> None:
    project.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_generated = note.txt docs/page.md\n"
    )
    (project.path / "docs/note.txt").write_text("| Measure |\n| --- |\n| 1 s |\n")
    once = GOOD + '\n--8<-- "note.txt"\n'
    run(project, once, recorded).stdout.no_fnmatch_line("*note.txt*")
    result = run(project, once + '\nAgain:\n\n--8<-- "note.txt"\n', recorded)
    result.stdout.fnmatch_lines(
        ['*`--8<-- "note.txt"` is included 2 times; a table is shown once*']
    )


def test_a_page_must_agree_with_its_manifest_entry(project: pytest.Pytester, recorded: str) -> None:
    project.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest = docs/verification.json\n"
    )
    project.runpytest_inprocess("docs/good.md").stdout.fnmatch_lines(
        ["*no entry for docs/good.md in verification.json*"]
    )
    project.runpytest_inprocess("docs/good.md", "--update-docs")
    assert '"an illustration"' in (project.path / "docs/verification.json").read_text()
    assert "| `docs/good.md` | 3 |" in (project.path / "docs/verification.txt").read_text()
    project.runpytest_inprocess("docs/good.md").assert_outcomes(passed=7, skipped=1)
    path = project.path / "docs/good.md"
    committed = path.read_text()
    path.write_text(committed.replace("an illustration", "too slow"))
    result = project.runpytest_inprocess("docs/good.md")
    result.stdout.fnmatch_lines(
        ["*opt-outs: verification.json says *'an illustration'*, this run found *'too slow'*"]
    )
    path.write_text(committed.replace(recorded[20:30], "2020-01-02"))  # the date alone
    result = project.runpytest_inprocess("docs/good.md")
    result.stdout.fnmatch_lines(
        ["*recorded: verification.json says *, this run found '2020-01-02'*"]
    )


def test_a_run_that_leaves_a_file_in_the_repository_fails(project: pytest.Pytester) -> None:
    """Files that were there before the run, and ignored ones, are not its leftovers."""
    subprocess.run(["git", "init", "-q"], cwd=project.path, check=True)
    (project.path / ".gitignore").write_text("ignored/\n")
    project.makepyfile(
        test_writes="""
        def test_writes(pytestconfig):
            (pytestconfig.rootpath / "leftover.txt").write_text("")
            (pytestconfig.rootpath / "ignored").mkdir(exist_ok=True)
            (pytestconfig.rootpath / "ignored/file.txt").write_text("")
        """
    )
    result = project.runpytest_inprocess("test_writes.py")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= files this run left in the repository =*",
            "leftover.txt",
            "Tests write in temporary directories, never in the repository.",
        ]
    )
    assert "ignored/file.txt" not in result.stdout.str()
    again = project.runpytest_inprocess("test_writes.py")  # leftover.txt was there before
    assert again.ret == pytest.ExitCode.OK


def test_where_pages_and_examples_live_and_the_update_command_are_settings(
    project: pytest.Pytester, recorded: str
) -> None:
    """Another project's layout: pages in guide/, included files in files/, and its own
    command for rewriting outputs in every hint."""
    (project.path / "docs").rename(project.path / "guide")
    (project.path / "examples").rename(project.path / "files")
    site = project.path / "mkdocs.yml"  # where the site finds them too
    layout = site.read_text().replace("base_path: [examples, docs]", "base_path: [files, guide]")
    assert "[files, guide]" in layout
    site.write_text(f"docs_dir: guide\n{layout}")
    project.makeini(
        "[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest =\ndocs_dir = guide\n"
        "docs_examples = files\ndocs_update_command = make docs-update\n"
    )
    project.runpytest_inprocess("guide/good.md").assert_outcomes(passed=7, skipped=1)
    result = project.runpytest_inprocess("guide/mismatch.md")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(["Rewrite shown outputs from a real run with: make docs-update"])
    assert project.runpytest_inprocess("docs/good.md").ret == pytest.ExitCode.USAGE_ERROR


ANOTHER_DATABASE = """
# Two databases

<!-- database: REPORTING_DATABASE_URL -->

```console
$ psql "$REPORTING_DATABASE_URL" -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
0
$ test "$REPORTING_DATABASE_URL" != "$DATABASE_URL" && echo another
another
$ psql "$REPORTING_DATABASE_URL" -c "CREATE TABLE events (id int)"
CREATE TABLE
$ for url in "$DATABASE_URL" "$REPORTING_DATABASE_URL"; do psql "$url" -Atc "$NAME"; done
```
"""


def test_a_page_gets_another_database_dropped_with_its_own(
    project: pytest.Pytester, recorded: str, postgres_server: Server
) -> None:
    """`<!-- database: VARIABLE -->`: a fresh database in that variable, gone after the page
    (which fails at its last line here: teardown does not depend on the page passing). Its
    databases are named by the page itself: others on the server are other runs'."""
    page = ANOTHER_DATABASE.replace("$NAME", "SELECT current_database()")
    result = run(project, page, recorded)
    result.assert_outcomes(failed=2, passed=2)  # the console block and the page's end
    # The last line shows no output: the diff that fails the page shows what it printed.
    page_databases = set(re.findall(r"^\+(t_[0-9a-f]{12})$", result.stdout.str(), re.M))
    assert len(page_databases) == 2
    assert not page_databases & scratch_databases(postgres_server)
    bad = run(
        project, ANOTHER_DATABASE.replace("REPORTING_DATABASE_URL -->", "reporting -->"), recorded
    )
    bad.stdout.fnmatch_lines(["*<!-- database: reporting -->: expected a variable name*"])


@pytest.mark.parametrize(
    ("directives", "line", "said"),
    [
        *(
            (f"<!-- database: {name} -->\n", 5, "the runner sets that for each page (its *")
            for name in ("DATABASE_URL", "PATH", "HOME", "TMPDIR", "PGHOST")
        ),
        ("<!-- database: R_URL -->\n<!-- database: R_URL -->\n", 6, "R_URL has its database*"),
    ],
)
def test_another_database_s_variable_is_the_page_s_own(
    project: pytest.Pytester, recorded: str, directives: str, line: int, said: str
) -> None:
    """A variable the runner sets (as `docs_terminal_env` may not set them) pointed the
    page's lines at other tools, folders or a server; the same one twice dropped a database
    the page had used."""
    result = run(project, f"# Two\n\n{directives}\n```console\n$ true\n```\n", recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/page.md:{line}: <!-- database: * -->: {said}"])


def scratch_databases(server: Server) -> set[str]:
    from throwaway_pg import driver

    with driver.connect(server.admin_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        return {name for (name,) in cursor.fetchall()}


# -- executors -------------------------------------------------------------------------------


TERMINAL = """
# On a terminal

```console
$ test -t 0 && test -t 1 && stty size
24 80
$ printf 'a\\tb\\n'
a       b
$ printf '\\033[1;31mred\\033[0m\\n'
red
$ printf '50%%\\r100%%\\n'
100%
```
"""


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
def test_lines_run_on_a_terminal_as_a_reader_sees_it(
    project: pytest.Pytester, recorded: str, executor: str
) -> None:
    """80 columns by 24 rows; tabs at their stops, no colour, a carriage return's overwrite."""
    result = run(project, TERMINAL, recorded, f"--docs-executor={executor}")
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize(
    "line",
    ["echo started; sleep 30", "echo started; exec >/dev/null 2>&1 </dev/null; sleep 30"],
    ids=["printing", "its-terminal-closed"],
)
def test_a_line_that_runs_too_long_is_killed_and_fails_naming_itself(
    project: pytest.Pytester, recorded: str, line: str
) -> None:
    text = f"# Slow\n\n```console\n$ {line}\nstarted\n```\n"
    result = run(project, text, recorded, "-o", "docs_command_timeout=1")
    result.assert_outcomes(failed=2, passed=1)  # the block, and the page's end after it
    result.stdout.fnmatch_lines([f"docs/page.md:6: `{line}` ran longer than 1 s; killed.*"])
    assert result.duration < 20


@AS_ROOT
def test_root_never_writes_or_deletes_through_what_the_reader_planted(
    project: pytest.Pytester, recorded: str, tmp_path: Path
) -> None:
    """As root, the pages' lines run as nobody, who owns the project: a link they put where
    a file block goes, or for a __pycache__ folder, must not make root write or delete in a
    folder of root's. The file block fails in one line, and the folder is as it was."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    kept = private / "mod.cpython-311.pyc"
    kept.write_text("root's")
    text = (
        "# Links\n\n```console\n"
        f"$ mkdir -p notes && ln -s {private}/planted notes/note.txt\n"
        f"$ ln -s {private} __pycache__ && touch -d 2031-01-01 mod.py\n```\n\n"
        '```text title="notes/note.txt"\n--8<-- "note.txt"\n```\n'
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:10: cannot write */notes/note.txt: Permission denied"]
    )
    assert sorted(private.iterdir()) == [kept]


CHECKS_AS_READER = """
import os
import subprocess
from docs_runner import check

@check("runs-what-the-page-wrote")
def runs(run):
    subprocess.run([run.shell.cwd / "script.sh"], check=True, cwd=run.shell.cwd)

@check("reads-a-planted-link")
def reads(run):
    print((run.shell.cwd / "planted").read_text())

@check("reads-a-fifo")
def blocks(run):
    (run.shell.cwd / "fifo").read_text()

@check("has-nothing-of-root-s")
def alone(run):
    assert os.getsid(0) == os.getpid()  # a session of its own: no terminal of root's
    assert sorted(os.listdir("/proc/self/fd")) <= ["0", "1", "2", "3", "4", "5"]
    assert "PYTEST_CURRENT_TEST" not in os.environ  # the reader's environment, not root's

@check("rejoins-root-s-group-and-waits")
def rejoins(run):
    try:
        os.setpgid(0, os.getpgid(os.getppid()))
    finally:
        import time
        time.sleep(60)

@check("fails-at-length")
def long(run):
    raise AssertionError("\\udcff" + "x" * 10_000_000)
"""


@AS_ROOT
def test_a_check_has_the_reader_s_rights_not_root_s(
    project: pytest.Pytester, recorded: str, tmp_path: Path
) -> None:
    """A check reads and runs what the page's lines left: as root, a script the reader wrote
    would run as root, a link they planted would read a root-only file. Checks run as the
    reader: the script runs as nobody, and the link's target stays unread."""
    private = tmp_path / "secret.txt"
    private.write_text("root's secret")
    private.chmod(0o600)
    project.makeconftest(CHECKS_AS_READER)
    with readers_folder() as shared:  # where the reader may write, unlike tmp_path
        ran_as = shared / "ran-as"
        text = (
            "# Checks\n\n```console\n"
            f"$ printf '#!/bin/sh\\nid -u > {ran_as}\\n' > script.sh && chmod +x script.sh\n"
            f"$ ln -s {private} planted\n```\n\n"
            "<!-- check: runs-what-the-page-wrote -->\n\n<!-- check: reads-a-planted-link -->\n"
        )
        result = run(project, text, recorded)
        assert ran_as.read_text().strip() == str(pwd.getpwnam("nobody").pw_uid)
    result.stdout.fnmatch_lines(["*PermissionError*"])
    assert "root's secret" not in result.stdout.str()


@AS_ROOT
def test_a_check_keeps_nothing_of_root_s(project: pytest.Pytester, recorded: str) -> None:
    """The check's child, running what the page left (a migration it imports), has no
    terminal, descriptor or environment of root's, cannot rejoin root's process group to
    outlive its timeout, and its report is bounded."""
    project.makeconftest(CHECKS_AS_READER)
    text = (
        "# Checks\n\n<!-- check: has-nothing-of-root-s -->\n\n"
        "<!-- check: rejoins-root-s-group-and-waits -->\n"
    )
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    result.stdout.fnmatch_lines(["*check 'rejoins-root-s-group-and-waits' ran longer than 2 s*"])
    result.assert_outcomes(passed=2, failed=2)  # the title, the first check; the second, the end
    assert result.duration < 20
    result = run(project, "# Checks\n\n<!-- check: fails-at-length -->\n", recorded)
    result.stdout.fnmatch_lines(["*AssertionError: *xxxx*"])
    assert len(result.stdout.str()) < 1_000_000


@AS_ROOT
def test_a_check_that_hangs_on_what_the_page_left_times_out(
    project: pytest.Pytester, recorded: str
) -> None:
    project.makeconftest(CHECKS_AS_READER)
    text = "# Checks\n\n```console\n$ mkfifo fifo\n```\n\n<!-- check: reads-a-fifo -->\n"
    result = run(project, text, recorded, "-o", "docs_command_timeout=2")
    # One line at the page's line: it came inside a traceback of the harness's, no line named.
    result.stdout.fnmatch_lines(["docs/page.md:9: check 'reads-a-fifo' ran longer than 2 s"])
    assert "Traceback" not in result.stdout.str() and "checks.py" not in result.stdout.str()
    assert result.duration < 20


@AS_ROOT
def test_the_reader_cannot_put_a_link_in_place_of_the_project(
    project: pytest.Pytester, recorded: str
) -> None:
    """The reader owns the project: in /tmp, they could move it away and leave a link to a
    folder of root's, which root would walk for stale caches after each line (deleting
    there) and fail to remove at the end. The project's folder is root's: the move fails."""
    target = Path(tempfile.mkdtemp())
    (target / "mod.py").write_text("x = 1\n")
    (target / "__pycache__").mkdir()
    stale = target / "__pycache__/mod.cpython-311.pyc"
    stale.write_text("root's")
    os.utime(stale, (0, 0))
    text = (
        "# Swap\n\n```console\n"
        f'$ P=$PWD; cd /tmp && mv "$P" "$P.moved" && ln -s {target} "$P"\n```\n'
    )
    try:
        result = run(project, text, recorded)
        result.stdout.fnmatch_lines(["*mv: cannot move*Permission denied*"])
        assert stale.exists()
        assert "Traceback" not in result.stdout.str()
    finally:
        shutil.rmtree(target)


@AS_ROOT
def test_a_project_is_copied_in_as_the_reader(
    project: pytest.Pytester, recorded: str, tmp_path: Path
) -> None:
    """`<!-- project: NAME -->` after a line that left a link where one of the example's
    files goes: the copy writes with the reader's rights, so a root-only file the link
    names is neither written nor handed over."""
    private = tmp_path / "private.txt"
    private.write_text("root's")
    private.chmod(0o600)
    (project.path / "examples/demo").mkdir()
    (project.path / "examples/demo/notes.txt").write_text("from the example\n")
    text = (
        f"# Links\n\n```console\n$ ln -s {private} notes.txt\n```\n\n"
        "<!-- project: demo -->\n\n```console\n$ cat notes.txt\nfrom the example\n```\n"
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["*cannot write */notes.txt: Permission denied*"])
    assert private.read_text() == "root's" and private.stat().st_mode & 0o777 == 0o600
    assert private.stat().st_uid == 0


@AS_ROOT
def test_root_chowns_nothing_a_file_block_wrote(
    project: pytest.Pytester, recorded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file block writes as the reader, so nothing is handed over by path afterwards: a
    folder on that path swapped for a link would have taken root's chown elsewhere."""
    chowned: list[str] = []
    real = os.chown

    def chown(path: str, *args: object, **options: object) -> None:
        chowned.append(str(path))
        real(path, *args, **options)

    monkeypatch.setattr(os, "chown", chown)
    text = (
        '# File\n\n```text title="notes/note.txt"\n--8<-- "note.txt"\n```\n\n'
        "```console\n$ cat notes/note.txt\na note\n```\n"
    )
    outcomes = run(project, text, recorded).parseoutcomes()
    assert "failed" not in outcomes, outcomes
    assert chowned and [path for path in chowned if "notes" in path] == []


def test_a_project_s_files_are_copied_byte_for_byte(
    project: pytest.Pytester, recorded: str
) -> None:
    """CRLF line ends and binary files too, as the reader or not."""
    (project.path / "examples/bytes").mkdir()
    (project.path / "examples/bytes/crlf.txt").write_bytes(b"a\r\nb\r\n")
    (project.path / "examples/bytes/data.bin").write_bytes(b"\xff\xfe\x00bin")
    text = (
        "# Bytes\n\n<!-- project: bytes -->\n\n"
        "```console\n$ wc -c < crlf.txt; wc -c < data.bin\n6\n6\n```\n"
    )
    outcomes = run(project, text, recorded).parseoutcomes()
    assert "failed" not in outcomes and outcomes["passed"] >= 2, outcomes


@AS_ROOT
def test_the_state_file_is_handed_to_the_reader_by_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line's state file is made in the reader's TMPDIR, where what a line left running
    can swap its name for a link at once: root hands over the file it made, never what
    the name then points to."""
    precious = tmp_path / "precious"
    precious.write_text("root's")
    readers = Path(tempfile.mkdtemp())  # where nobody may look around, unlike tmp_path
    readers.chmod(0o755)
    made = tempfile.mkstemp

    def swapped(**options):  # the swap, as it would land right after the file is made
        fd, name = made(**options)
        os.rename(name, f"{name}.moved")
        os.symlink(precious, name)
        return fd, name

    monkeypatch.setattr(shell.tempfile, "mkstemp", swapped)
    nobody = pwd.getpwnam("nobody")
    state = shell.ShellState(
        readers, {"PATH": os.defpath, "TMPDIR": str(readers)},
        popen={"user": nobody.pw_uid, "group": nobody.pw_gid},
    )  # fmt: skip
    try:
        with pytest.raises(shell.LineError, match="replaced the runner's state file"):
            shell.run_line("true", state)
    finally:
        shutil.rmtree(readers)
    assert precious.stat().st_uid == 0 and precious.read_text() == "root's"


def test_what_a_line_leaves_in_place_of_the_shell_s_state_is_not_followed(
    project: pytest.Pytester, recorded: str
) -> None:
    """The line's user (nobody, when the run is root's) owns where the state file is: a
    link put there is not read through (to /dev/zero, a root-only file, root's own
    environment in /proc), the file made for the line is read; the line fails, naming
    itself."""
    text = (
        "# State\n\n```console\n"
        "$ printf '/etc\\n\\0X=1\\0' > env; exit 0\n"
        '$ rm -f "$__STATE"; ln -s "$PWD/env" "$__STATE"; exit 0\n```\n'
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:7: `rm -f * removed or replaced the runner's state file ($__STATE)*"]
    )


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
def test_a_block_s_own_timeout_replaces_the_setting(
    project: pytest.Pytester, recorded: str, executor: str
) -> None:
    text = (
        "# Timed\n\n<!-- timeout: 30 -->\n```console\n$ sleep 2; echo slept\nslept\n```\n\n"
        "<!-- timeout: 1 -->\n```python\nimport time\ntime.sleep(30)\n```\n"
    )
    options = ("-o", "docs_command_timeout=1.5", f"--docs-executor={executor}")
    result = run(project, text, recorded, *options)
    result.assert_outcomes(failed=2, passed=2)  # the first block; the second, the page's end
    result.stdout.fnmatch_lines(["docs/page.md:12: the python block ran longer than 1 s; *"])
    assert result.duration < 20


def test_a_python_block_that_closes_its_terminal_still_times_out(
    project: pytest.Pytester, recorded: str
) -> None:
    text = (
        "# Quiet\n\n<!-- timeout: 1 -->\n```python\nimport os, time\n"
        "for fd in (0, 1, 2):\n    os.close(fd)\ntime.sleep(30)\n```\n"
    )
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["docs/page.md:6: the python block ran longer than 1 s; *"])
    assert result.duration < 20


def still_sleeping(*seconds: str) -> list[int]:
    """`sleeping` for each, once the killed are gone: they may take a moment on a busy
    machine."""
    deadline = time.monotonic() + 10
    while any(sleeping(s) for s in seconds) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for s in seconds for pid in sleeping(s)]


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
def test_a_cancelled_run_kills_the_commands_it_was_running(
    project: pytest.Pytester,
    recorded: str,
    executor: str,
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CI cancel (SIGTERM) ends the run as Ctrl-C does: the line's whole process group,
    what it left in the background too, is killed, and the run ends interrupted, its
    block not passed."""
    seconds = str(10**6 + os.getpid())  # no other process, other runs' included, sleeps so
    write(
        project,
        "page",
        page(f"# Long\n\n```console\n$ sleep {seconds} & sleep {seconds}\n```\n", recorded),
    )
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.shared_url())  # another process
    command = [sys.executable, "-m", "pytest", "docs/page.md", f"--docs-executor={executor}"]
    process = project.popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while len(sleeping(seconds)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(sleeping(seconds)) == 2
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode()
    finally:
        process.kill()
    assert still_sleeping(seconds) == []
    assert process.returncode == pytest.ExitCode.INTERRUPTED, output
    assert "KeyboardInterrupt: signal 15" in output  # said as a Ctrl-C is
    assert "docs/page.md: 0 blocks and 0 database checks passed" in output


PAD = "$ for i in 1 2 3 4 5 6 7 8 9; do export PAD$i=$(printf '%0120000d' 0); done\n"


@pytest.mark.parametrize("before", ["", PAD], ids=["plain", "behind-a-large-environment"])
def test_what_a_line_starts_in_a_session_of_its_own_is_killed_with_it(
    project: pytest.Pytester, recorded: str, before: str
) -> None:
    """As a closed terminal window would end it: `setsid` left the line's process group,
    which is killed after each line, but not its $__STATE; also where over 1 MB of
    exported variables put $__STATE past where the sweep once read."""
    seconds = str((3 if before else 2) * 10**6 + os.getpid())
    line = f"$ setsid sleep {seconds} >/dev/null 2>&1 </dev/null &\n"
    run(project, f"# Away\n\n```console\n{before}{line}```\n", recorded).assert_outcomes(passed=3)
    assert still_sleeping(seconds) == []


@AS_ROOT
def test_what_a_line_starts_without_the_marker_is_killed_with_it(
    project: pytest.Pytester, recorded: str
) -> None:
    """`env -i` dropped the line's $__STATE, by which the sweep finds what left its
    process group: it outlived the run. Another user's line now runs in a PID namespace
    of its own, whose processes all die with it."""
    seconds = str(7 * 10**6 + os.getpid())
    away = f"env -i setsid /bin/sh -c 'touch started; exec sleep {seconds}'"
    settled = "until [ -e started ]; do sleep 0.05; done"  # it has left the line's group
    line = f"$ {away} >/dev/null 2>&1 </dev/null & {settled}\n"
    run(project, f"# Away\n\n```console\n{line}```\n", recorded).assert_outcomes(passed=3)
    assert still_sleeping(seconds) == []


def test_what_a_python_block_starts_ends_with_the_page(
    project: pytest.Pytester, recorded: str
) -> None:
    """A child of the page's interpreter, in its process group or in a session of its own,
    is killed when the page ends, as its lines' are."""
    seconds = [str(4 * 10**6 + os.getpid()), str(5 * 10**6 + os.getpid())]
    text = (
        "# Children\n\n```python\nimport subprocess\n"
        f"subprocess.Popen(['sleep', '{seconds[0]}'])\n"
        f"subprocess.Popen(['sleep', '{seconds[1]}'], start_new_session=True)\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)  # its block, and the page's own checks
    assert still_sleeping(*seconds) == []


def test_the_page_s_interpreter_outlives_the_lines_between_its_blocks(
    project: pytest.Pytester, recorded: str
) -> None:
    """The sweep after each line kills what that line started, never the interpreter the
    page's python blocks share."""
    text = (
        "# Between\n\n```python\nx = 41\n```\n\n```console\n$ true\n```\n\n"
        '```python\nprint(x + 1)\n```\n\n```text title="Output"\n42\n```\n'
    )
    run(project, text, recorded).assert_outcomes(passed=6)


@pytest.mark.parametrize("after", ["", '```python\nprint("fine")\n```\n'], ids=["last", "next"])
def test_what_a_python_block_prints_must_be_shown(
    project: pytest.Pytester, recorded: str, after: str
) -> None:
    """A reader who runs the block sees what it prints: with no "Output" block after it,
    the page passed, showing none of it."""
    text = f'# Quiet\n\n```python\nprint("ERROR: unshown")\n```\n\n{after}'
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [
            "docs/page.md:5: the python block printed what the page does not show (starting"
            """ 'ERROR: unshown'): show it in a ```text title="Output" block after it"""
        ]
    )
    assert result.ret == 1


@pytest.mark.parametrize(
    "seconds", ["soon", "0", "-1", "inf", "3000000", "1e-300", "0.5", "\u0661\u0660"]
)
def test_a_timeout_that_is_no_number_of_seconds_fails_at_its_line(
    project: pytest.Pytester, recorded: str, seconds: str
) -> None:
    text = f"# Timed\n\n<!-- timeout: {seconds} -->\n```console\n$ true\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        [f"docs/page.md:5: <!-- timeout: {seconds} -->: expected seconds from 1 to a day, e.g. 900"]
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        *(
            (f"docs_command_timeout={seconds}", f"docs_command_timeout = {seconds}: expected "
             "seconds from 1 to a day (86400), e.g. 300")
            for seconds in ("abc", "nan", "1e10", "0", "-1", "86401", "0.5", "\uff15")
        ),
        ("docs_terminal_env=PSQL_PAGER", "docs_terminal_env: `PSQL_PAGER`: expected "
         "`NAME=value` lines (a shell's NAME)"),
        ("docs_terminal_env==cat", "docs_terminal_env: `=cat`: expected `NAME=value` lines "
         "(a shell's NAME)"),
        ("docs_generated=onlyonefield", "docs_generated: `onlyonefield`: expected "
         "`FILE PAGE` lines"),
        ("docs_executor=nope", "docs_executor = nope: expected one of ['in-process', "
         "'terminal']"),  # was raised in every page's fixture, a traceback each
        *(
            (f"docs_terminal_env={name}=x", f"docs_terminal_env: {name}: the runner sets "
             "that for each page (its scratch database, its reader's tools, folders and "
             "terminal)")
            for name in ("DATABASE_URL", "REPORTING_DATABASE_URL", "PGHOST", "PATH", "TMPDIR",
                         "TERM", "COLUMNS")
        ),
        *(
            (f"docs_terminal_env={name}=x", f"docs_terminal_env: {name}: would run code "
             "before each line (bash, sh or psql reads the file it names), which no page shows")
            for name in ("BASH_ENV", "ENV", "PSQLRC")
        ),
    ],
)  # fmt: skip
def test_a_setting_no_page_can_run_with_is_one_line_naming_it(
    project: pytest.Pytester, setting: str, expected: str
) -> None:
    """Said once, before any page: it was a raw ValueError (nan: select's; 1e10: an
    OverflowError) in every page's fixture, or every line "ran longer than 0 s". The
    limits are those of `<!-- timeout: -->`."""
    result = project.runpytest_inprocess("docs/good.md", "-o", setting)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.str().strip() == f"ERROR: {expected}"


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
def test_a_python_block_that_runs_too_long_is_stopped_and_fails_naming_itself(
    project: pytest.Pytester, recorded: str, executor: str
) -> None:
    text = "# Slow\n\n```python\nimport time\nprint('started')\ntime.sleep(30)\n```\n"
    options = ("-o", "docs_command_timeout=1", f"--docs-executor={executor}")
    result = run(project, text, recorded, *options)
    result.assert_outcomes(failed=2, passed=1)  # the block, and the page's end after it
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: the python block ran longer than 1 s; *. It printed:", "started"]
    )
    assert result.duration < 20


def test_a_profile_s_command_in_process_that_runs_too_long_is_stopped(
    project: pytest.Pytester, recorded: str
) -> None:
    project.makeconftest(
        "import time\n"
        "def pytest_docs_run_command(executor, argv, fails):\n"
        "    if argv[:1] == ['slowtool']:\n"
        "        time.sleep(30)\n"
    )
    text = "# Slow\n\n```console\n$ slowtool\n```\n"
    options = ("-o", "docs_command_timeout=1", "--docs-executor=in-process")
    result = run(project, text, recorded, *options)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["docs/page.md:6: `slowtool` ran longer than 1 s; stopped."])
    assert result.duration < 20


def test_a_python_block_that_raises_fails_with_its_traceback(
    project: pytest.Pytester, recorded: str
) -> None:
    text = "# Raises\n\n```python\nprint('before')\n1 / 0\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["*docs/page.md:5: the python block raised:*", "before", "*ZeroDivisionError*"]
    )


@pytest.mark.parametrize("executor", ["terminal", "in-process"])
@pytest.mark.parametrize(
    ("ending", "status"),
    [("sys.exit(3)", 3), ("raise SystemExit('the migration failed')", 1)],
    ids=["sys.exit", "SystemExit-message"],
)
def test_a_python_block_that_ends_the_interpreter_with_a_failure_fails_in_one_line(
    project: pytest.Pytester, recorded: str, executor: str, ending: str, status: int
) -> None:
    """A reader's shell says the block failed (its exit status): so does the page, at the
    block, in one line, on every executor; the "Output" block after it is not compared."""
    text = (
        f"# Ends\n\n```python\nimport sys\nprint('migrating')\n{ending}\n```\n\n"
        '```text title="Output"\nmigrating\n```\n'
    )
    result = run(project, text, recorded, f"--docs-executor={executor}")
    result.assert_outcomes(failed=3, passed=1)  # the block; the Output and page's end not run
    said = f"docs/page.md:5: the python block ended the interpreter with exit status {status}"
    result.stdout.fnmatch_lines(["*did not evaluate as expected:", said, ""], consecutive=True)
    result.stdout.fnmatch_lines(["not run: the block at line 5 failed first"])
    for unwanted in ("Traceback", "SystemExit", "renders a code block"):
        assert unwanted not in result.stdout.str()


@pytest.mark.parametrize("source", ["", "\n", "  \n\n"])
def test_an_empty_python_block_fails_at_its_line(
    project: pytest.Pytester, recorded: str, source: str
) -> None:
    """It passed, running nothing."""
    result = run(project, f"# Nothing\n\n```python\n{source}```\n", recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["docs/page.md:5: this python block is empty: it runs nothing"])


def test_a_profile_adds_a_kind_of_block(project: pytest.Pytester, recorded: str) -> None:
    project.makeconftest(
        "from dataclasses import dataclass\n"
        "from docs_runner.blocks.base import Block\n"
        "from docs_runner import Failure\n"
        "@dataclass\n"
        "class Shout(Block):\n"
        "    fence: object\n"
        "    summary = 'block'\n"
        "    columns = {'shouted': 'shouted'}\n"
        "    @classmethod\n"
        "    def claims(cls, fence): return fence.language == 'shout'\n"
        "    @classmethod\n"
        "    def from_fence(cls, fence): return cls(fence)\n"
        "    def evaluate(self, run):\n"
        "        run.record.shown(self.fence.source, ['shouted'])\n"
        "        quiet = self.fence.source != self.fence.source.upper()\n"
        "        return Failure('not shouted') if quiet else None\n"
        "def pytest_docs_block_kinds():\n"
        "    return [Shout]\n"
    )
    loud = run(project, "# Loud\n\n```shout\nHELLO\n```\n", recorded)
    loud.assert_outcomes(passed=3)
    loud.stdout.fnmatch_lines(["| Page | shouted |*", "| `docs/page.md` | 1 | 0 |*"])
    run(project, "# Quiet\n\n```shout\nhello\n```\n", recorded).stdout.fnmatch_lines(
        ["*not shouted*"]
    )


def test_a_comment_on_a_command_line_fails(project: pytest.Pytester, recorded: str) -> None:
    """Only the failure marker may follow a command: any other comment is a claim nothing
    checks. A `#` inside quotes or a word is no comment."""
    text = """
    # Comments

    ```console
    $ echo 'a # b' a#b  # prints a # b
    a # b a#b
    ```
    """
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:6: `# prints a # b`: nothing checks a comment on a `$` line; only*"]
    )
    run(project, text.replace("  # prints a # b", ""), recorded).assert_outcomes(passed=3)


def test_a_comment_that_only_begins_with_a_directive_s_name_is_no_directive(
    project: pytest.Pytester, recorded: str
) -> None:
    """`<!-- norunaway ... -->` is a comment: the block after it runs (and fails here)."""
    text = "# Near\n\n<!-- norunaway lines below -->\n```console\n$ echo four\nfive\n```\n"
    result = run(project, text, recorded)
    result.stdout.fnmatch_lines(["*`echo four` printed something else than the page shows*"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- chek: users-table-created -->\n", "<!-- chek: --> is no directive (the runner*"),
        ("<!-- no-run: too slow -->\n```text\nx\n```\n", "<!-- no-run: --> is no directive*"),
        ("```console\n$ echo never closed\nnever closed\n", "this fence is never closed"),
        ("~~~console\n$ echo never closed\nnever closed\n", "this fence is never closed"),
        ("~~~console\n$ echo a\na\n```\n", "this fence is never closed"),
        ("```console\n$ echo a\na\n`````\n", "this fence is never closed"),
        ("Text. <!-- check: t -->\n", "<!-- check: --> is read only on a line of its own"),
        ("> <!-- check: t -->\n", "<!-- check: --> is read only on a line of its own"),
        ("- <!-- norun: x -->\n", "<!-- norun: --> is read only on a line of its own"),
        ("<!-- timeout : 5 -->\n", "<!-- timeout ... -->: write <!-- timeout: ... -->, its*"),
        (
            "<!-- norun: a reason\n     on two lines -->\n```text\nx\n```\n",
            "<!-- norun: --> must be written on one line, ending with -->",
        ),
        ("<!--\ncheck: t\n-->\n", "<!-- check: --> must be written on one line, ending with -->"),
        ("<!-- project: -->\n", "<!-- project:  -->: expected a project in the examples folder*"),
        ("<!-- project: . -->\n", "<!-- project: . -->: expected a project in the examples*"),
        ("<!-- project: ./ -->\n", "<!-- project: ./ -->: expected a project in the examples*"),
    ],
    ids=[
        "a-typo",
        "a-near-miss",
        "an-unclosed-fence",
        "an-unclosed-tilde-fence",
        "a-tilde-fence-after-backticks",
        "closed-by-a-longer-run",
        "in-a-sentence",
        "quoted",
        "listed",
        "a-spaced-colon",
        "over-two-lines",
        "over-three-lines",
        "no-project",
        "the-examples-folder",
        "the-examples-folder-again",
    ],  # fmt: skip
)
def test_what_the_grammar_cannot_read_fails_with_one_line(
    project: pytest.Pytester, text: str, message: str
) -> None:
    """Misspelt directives and unclosed fences fail at their line, not as a silent no-op
    or an output diff."""
    write(project, "good", "# A page\n\n" + text)
    result = project.runpytest_inprocess("docs/good.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/good.md:3: {message}"])


def test_a_page_that_is_not_utf8_fails_at_its_line(project: pytest.Pytester, recorded: str) -> None:
    """Sybil's UnicodeDecodeError ended the whole session at collection."""
    text = page("# Latin-1\n\nCaf\udce9 au lait.\n\n```console\n$ echo ok\nok\n```\n", recorded)
    (project.path / "docs/page.md").write_bytes(text.encode(errors="surrogateescape"))
    result = project.runpytest_inprocess("docs/page.md", "docs/good.md")
    result.assert_outcomes(failed=1, passed=7, skipped=1)  # the other page still runs
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: not UTF-8 (byte 0xe9), which the site reads pages as"]
    )


def test_an_unknown_check_is_named_at_its_line(project: pytest.Pytester, recorded: str) -> None:
    """Its message alone named no line."""
    result = run(project, "# Checks\n\n<!-- check: nope -->\n", recorded)
    result.stdout.fnmatch_lines(["docs/page.md:5: no check named 'nope' (known: *)"])


def test_a_versions_record_that_is_none_is_one_line(project: pytest.Pytester) -> None:
    """A versions record that is no JSON, or not the record's shape, gave every block of
    every page the fixture's traceback."""
    project.path.joinpath("bad.json").write_text("{bad")
    result = project.runpytest_inprocess("docs/good.md", "-o", "docs_versions_record=bad.json")
    result.stdout.fnmatch_lines(["*docs_versions_record = bad.json: no record (JSONDecodeError*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize("where", ["missing/r.json", "docs"])
def test_results_that_cannot_be_written_are_said_before_the_run(
    project: pytest.Pytester, where: str
) -> None:
    """They were said at its end, as a traceback, after every page had run."""
    result = project.runpytest_inprocess("docs/good.md", f"--docs-results={where}")
    result.stderr.fnmatch_lines([f"ERROR: --docs-results {where}: cannot write there"])
