"""` ```console ` blocks: each `$` line is one whole command, its status checked, with no
comment but the failure marker; update never records what a line could not run."""

import time

import pytest

from tests.scratch_pages import GOOD, page, run, write


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("false &&", "bash: syntax error: unexpected end of file"),
        ("false |", "bash: syntax error: unexpected end of file"),
        ("false \\", "its trailing \\ continues it past the block's end"),
        ("false; cat >/dev/null <<'EOF'", "bash: warning: here-document at line 1 delimited*"),
        ('echo "open', "bash: unexpected EOF while looking for matching*"),
        ("echo )", "bash: syntax error near unexpected token*"),
    ],
    ids=["and", "pipe", "backslash", "here-document", "open-quote", "no-command"],
)
def test_a_line_that_is_no_whole_command_fails_at_its_line(
    project: pytest.Pytester, recorded: str, line: str, said: str
) -> None:
    """Bash would read on past it, into what the runner runs after the line (which lost
    the line's exit status): it fails at its line, before any block runs."""
    result = run(project, f"# Half\n\n```console\n$ {line}\n```\n", recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/page.md:6: `$ {line}` is no whole command ({said}*"])


def test_update_records_no_line_that_is_no_whole_command(
    project: pytest.Pytester, recorded: str
) -> None:
    path = write(project, "page", page("# Half\n\n```console\n$ echo ran &&\n```\n", recorded))
    before = path.read_text()
    result = project.runpytest_inprocess("docs/page.md", "--update-docs")
    result.stdout.fnmatch_lines(["docs/page.md:6: `$ echo ran &&` is no whole command*"])
    assert path.read_text() == before


def test_an_escaped_backslash_ends_a_line(project: pytest.Pytester, recorded: str) -> None:
    text = "# Escaped\n\n```console\n$ echo a\\\\\na\\\n$ echo b \\\n  c\nb c\n```\n"
    run(project, text, recorded).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    "line",
    [
        "echo hi;# not checked",
        "echo hi&&# not checked",
        "echo $'h\\'i' # not checked",
        'echo "$(echo "h\'i")" # not checked',  # quotes start anew inside $( )
    ],
)
def test_a_comment_after_an_operator_is_a_comment(
    project: pytest.Pytester, recorded: str, line: str
) -> None:
    """Bash starts a comment at a `#` that begins a word, after an operator too; bash
    itself says where (a hand-written reading of its quotes missed the last)."""
    result = run(project, f"# Comment\n\n```console\n$ {line}\nhi\n```\n", recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:6: `# not checked`: nothing checks a comment on a `$` line*"]
    )


@pytest.mark.parametrize("status", ["0", "256"])
def test_a_failure_marker_names_a_status_a_command_fails_with(
    project: pytest.Pytester, recorded: str, status: str
) -> None:
    line = f"true  # fails (exit status {status})"
    result = run(project, f"# Marked\n\n```console\n$ {line}\n```\n", recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"docs/page.md:6: `{line}`: a failing command's exit status is 1 to 255*"]
    )


def test_update_rewrites_no_block_a_line_of_which_timed_out(
    project: pytest.Pytester, recorded: str
) -> None:
    """The block stays as it is, and the run fails: no line dropped, no failure hidden."""
    text = "# Slow\n\n```console\n$ echo one\none\n$ sleep 30\n$ echo two\ntwo\n```\n"
    path = write(project, "page", page(text, recorded))
    before = path.read_text()
    options = ("--update-docs", "-o", "docs_command_timeout=1")
    result = project.runpytest_inprocess("docs/page.md", *options)
    result.stdout.fnmatch_lines(["docs/page.md:8: `sleep 30` ran longer than 1 s; killed.*"])
    assert result.ret != 0
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("block", "line", "said"),
    [
        ("```console\n```\n", 5, "this console block is empty: it runs nothing"),
        ("```console\n$ echo a\na\n$ \n```\n", 8, "a `$` with no command: a `$` line holds one"),
        ("```console\n$   # fails (exit status 1)\n```\n", 6, "a `$` with no command: *"),
    ],
    ids=["an-empty-block", "a-bare-prompt", "a-bare-failure-marker"],
)
def test_a_block_or_line_that_runs_nothing_fails_at_its_line(
    project: pytest.Pytester, recorded: str, block: str, line: int, said: str
) -> None:
    """Each passed, checking nothing."""
    result = run(project, f"# Nothing\n\n{block}", recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/page.md:{line}: {said}"])


def test_a_control_character_anywhere_in_a_page_fails_at_its_line(
    project: pytest.Pytester, recorded: str
) -> None:
    """An escape sequence in an opt-out's reason reached the developer's terminal as it was
    (in the skip's line, and the report's), where it could set the clipboard (OSC 52)."""
    text = "# Escape\n\n<!-- norun: shown \x1b]52;c;aGk=\x07 -->\n```text\nx\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["docs/page.md:5: U+001B (a control character) in the page: remove it"]
    )
    assert "\x1b" not in result.stdout.str()


def test_a_command_no_reader_would_type_fails_at_its_line_at_once(
    project: pytest.Pytester, recorded: str
) -> None:
    """A `$` line of 140,000 bytes stopped the whole run at collection with a traceback
    (the kernel refuses an argument that long); one with thousands of `#` took minutes
    to collect, bash reading each as a comment's possible start three times."""
    block = "```console\n$ echo" + " #" * 20_000 + "\n```\n"
    started = time.monotonic()
    result = run(project, f"# Long\n\n{block}", recorded)
    assert time.monotonic() - started < 60
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["docs/page.md:6: a `$` command of 40,004 bytes, over 2,048: no reader types it"]
    )
    block = "```console\n$ echo" + " #" * 33 + "\n```\n"  # each of them asked of bash, thrice
    result = run(project, f"# Hashes\n\n{block}", recorded)
    result.stdout.fnmatch_lines(
        ["docs/page.md:6: a `$` command with 33 words that start with #, over 32"]
    )


@pytest.mark.parametrize(
    "character",
    ["\x00", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"],
    ids=["nul", "vt", "ff", "fs", "gs", "rs", "nel", "line-separator", "paragraph-separator"],
)
def test_a_character_the_site_shows_otherwise_fails_at_its_line(
    project: pytest.Pytester, recorded: str, character: str
) -> None:
    """The site breaks lines at \\n alone: it shows `$ echo a<X>a` and no output. The
    runner split the line there (str.splitlines), ran `echo a`, compared `a`, and passed;
    a NUL crashed the collection (`bash -n -c` takes no NUL)."""
    text = f"# Odd\n\n```console\n$ echo ok\nok\n$ echo a{character}a\n```\n"
    result = run(project, text, recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/page.md:8: U+{ord(character):04X} *"])


@pytest.mark.parametrize(
    "where",
    ['```python title="a\x00b"\n--8<-- "note.txt"\n```\n', "<!-- project: tu\x00torial -->\n"],
    ids=["title", "directive"],
)
def test_a_nul_outside_a_block_s_body_fails_at_its_line(
    project: pytest.Pytester, recorded: str, where: str
) -> None:
    """A NUL in a fence's title or a directive gave `ValueError: embedded null byte`'s
    traceback (only a block's body was read for it)."""
    result = run(project, f"# Odd\n\n{where}", recorded)
    result.stdout.fnmatch_lines(["docs/page.md:5: U+0000 (a NUL) in the page: remove it"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a\x1b]52;c;aGk=\x07", "a\\x1b]52;c;aGk=\\x07"),
        ("odd\nname", "odd\\nname"),
        ("index.md::x", None),
    ],
    ids=["an-escape-sequence", "a-line-break", "pytest-s-separator"],
)
def test_a_page_named_with_a_control_character_or_pytest_s_separator_is_one_line(
    project: pytest.Pytester, recorded: str, name: str, shown: str | None
) -> None:
    """pytest shows a page's path in its own lines (the test's id, the error's header):
    a name holding an escape sequence reached the terminal as it was, and one holding a
    line break made two lines of one."""
    (project.path / "docs/mismatch.md").unlink()
    write(project, name, page(GOOD, recorded))
    result = project.runpytest_inprocess("-v")
    assert result.ret != 0
    said = f"docs/{shown}.md: a control character in the page's name: rename it"
    if shown is None:  # the summary took the page for docs/index.md
        said = f"docs/{name}.md: `::` in the page's name: rename it"
    result.stdout.fnmatch_lines([f"*{said}"])
    assert shown is None or name not in result.stdout.str()
