"""What a page's comments may be: exactly a directive, or prose that starts with a word no
directive has; anything between fails at its line."""

from pathlib import Path

import pytest
from sybil import Region

from docs_runner import provenance
from docs_runner.page import PageDocument
from tests.scratch_pages import run, write


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "<!-- norun serves the site until stopped -->\n```console\n$ echo ran\nran\n```\n",
            "<!-- norun ... -->: write <!-- norun: ... -->, its colon right after its name",
        ),
        ("<!-- check no-such-check -->\n", "<!-- check ... -->: write <!-- check: ... -->*"),
        ("<!-- timeout 1 -->\n```console\n$ true\n```\n", "<!-- timeout ... -->: write*"),
        ("<!-- timeout : 5 -->\n```console\n$ true\n```\n", "<!-- timeout ... -->: write*"),
        ("<!-- Check users-created -->\n", "<!-- Check ... -->: write <!-- check: ... -->*"),
        ("<!--; check: users-created -->\n", "<!-- check ... -->: write <!-- check: ... -->*"),
        ("<!--- check: t -->\n", "<!--- opens no directive: write <!-- (two dashes)"),
        ("<!--- norun: x -->\n```console\n$ true\n```\n", "<!--- opens no directive*"),
        ("<!-- evidence tests/x.py -->\n", "<!-- evidence ... -->: write <!-- evidence: ... -->*"),
        ("<!-- - check: t -->\n", "<!-- check ... -->: write <!-- check: ... -->, * (not '-')"),
        ("<!-- * norun: x -->\n```console\n$ true\n```\n", "<!-- norun ... -->: * (not '*')"),
        ("<!--\u200bcheck: t -->\n", "<!-- check ... -->: write * (not '\\u200b')"),
        ("<!-- \u0441heck: t -->\n", "<!-- \\u0441heck ... -->: its first word holds U+0441, *"),
        ("<!-- ch\u200beck: t -->\n", "<!-- ch\\u200beck ... -->: its first word holds U+200B*"),
    ],
    ids=[
        "norun-without-colon",
        "check-without-colon",
        "timeout-without-colon",
        "a-spaced-colon",
        "capitalised",
        "semicolon",
        "three-dashes",
        "three-dashes-norun",
        "evidence-without-colon",
        "after-a-dash",
        "after-a-star",
        "after-an-invisible-space",
        "a-cyrillic-letter",
        "an-invisible-space-inside",
    ],
)
def test_a_comment_that_is_nearly_a_directive_fails_at_its_line(
    project: pytest.Pytester, text: str, message: str
) -> None:
    """Sybil's lexer also reads `<!--- name: -->` and `<!-- name -->` (no colon), which the
    runner would then drop: each was a directive silently ignored, its block run anyway."""
    write(project, "good", "# A page\n\n" + text)
    result = project.runpytest_inprocess("docs/good.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"docs/good.md:3: {message}"])


def test_prose_comments_and_directives_shown_as_examples_pass(
    project: pytest.Pytester, recorded: str
) -> None:
    text = (
        "# Prose\n\n<!-- tutorial-time -->\n\n<!-- a note for authors: later -->\n\n"
        "<!-- norunaway lines below -->\n\n<!-- - a list, (see below) -->\n\n"
        "<!-- 2 checks, later -->\n\nA fact.<!-- evidence: mkdocs.yml -->\n\n"
        "Written `<!-- check no-such-check -->` or `<!--- norun: x -->`, it is no directive.\n\n"
        "```console\n$ echo '<!-- timeout 1 -->'\n<!-- timeout 1 -->\n```\n"
    )
    run(project, text, recorded).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("text", "fence", "comment"),
    [
        (
            "```console\n$ echo shown\nshown\n```\n\n<!--\n```console\n$ touch hidden\n```\n-->\n",
            11,
            10,
        ),
        (
            "<!-- not shown any more\n```console\n$ touch hidden\n```\n-->\n\n"
            "```console\n$ echo shown\nshown\n```\n",
            6,
            5,
        ),
    ],
    ids=["after-every-block", "before-a-block"],
)
def test_a_fence_inside_an_html_comment_fails_at_its_line(
    project: pytest.Pytester, recorded: str, text: str, fence: int, comment: int
) -> None:
    """The lexer finds it, the site hides it: it ran unseen, after the last block the
    site shows (and the page passed), or before one (and the shown block was blamed)."""
    result = run(project, "# Hidden\n\n" + text, recorded)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"docs/page.md:{fence}: this fence is inside the HTML comment opened at line {comment}:*"]
    )


EXAMPLE = (  # a page shown as Markdown, its provenance line of other versions
    "<!-- norun: an example page -->\n```markdown\n# A page\n\n"
    "Outputs recorded on 2020-01-01 with Alembic 0.1 and PostgreSQL 9.6.\n```\n"
)


@pytest.mark.parametrize("runs", [False, True], ids=["runs-nothing", "runs-a-block"])
def test_a_provenance_line_shown_in_a_fence_is_an_example(
    project: pytest.Pytester, recorded: str, runs: bool
) -> None:
    """The first provenance line of the page was taken, the example's: its region overlapped
    the fence's, and Sybil's ValueError ended the whole session at collection."""
    text = f"# Example\n\n{EXAMPLE}" + (f"\n{recorded}\n\n```console\n$ echo ok\nok\n```\n" * runs)
    write(project, "page", text)
    result = project.runpytest_inprocess("docs/page.md")
    result.assert_outcomes(passed=3 if runs else 2, skipped=1)
    assert "recorded with other versions" not in result.stdout.str()
    assert provenance.recorded(text) == (provenance.recorded(recorded) if runs else None)


def test_a_byte_order_mark_fails_at_line_1(project: pytest.Pytester, recorded: str) -> None:
    """The site drops it; the lexer saw no fence on line 1, paired the next fence line
    with the one after, and the regions overlapped the provenance line's."""
    text = f"\ufeff```console\n$ false\n```\n\n# T\n\n{recorded}\n\n```console\n$ true\n```\n"
    write(project, "page", text)
    result = project.runpytest_inprocess("docs/page.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["docs/page.md:1: a byte-order mark (U+FEFF) starts the page*"])


def test_regions_that_overlap_are_one_failing_line(tmp_path: Path) -> None:
    """Whatever the lexers read wrong, Sybil's ValueError never ends the session."""
    path = tmp_path / "page.md"
    path.write_text("# T\n\nfirst\nsecond\n")
    document = PageDocument.parse(str(path), lambda doc: [Region(5, 15), Region(11, 18)])
    [(_, region)] = document.regions
    assert (region.parsed.line, region.start) == (4, 11)
    assert region.parsed.message.startswith("this block overlaps another")
