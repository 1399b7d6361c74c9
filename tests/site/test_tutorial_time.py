"""The tutorial's time on its first page is counted from its pages (docs/.hooks/tutorial_time.py),
not typed: a page that grows a command or a paragraph changes it."""

from pathlib import Path

from tests.tools import ROOT, load_hook

hook = load_hook("tutorial_time")
TUTORIAL = [
    ROOT / "docs/tutorial" / name
    for name in (
        "database-url.md",
        "first-migration.md",
        "upgrade-and-downgrade.md",
        "moving-between-revisions.md",
    )
]
PAGE = """# A page

Outputs recorded on 2026-01-01 with Alembic 1.20.1.

Run it, then look at [the table](other.md#a-section):
<!-- check: users-table-created -->

```console
$ alembic upgrade head
```
"""


def test_the_words_read_are_the_prose_s() -> None:
    """Not the heading's mark, the provenance line, a directive, a link's target or code."""
    assert hook.words(PAGE) == len(["A", "page", "Run", "it", "then", "look", "at", "the", "table"])


def test_a_page_that_grows_changes_the_time(tmp_path: Path) -> None:
    before = hook.sentence(TUTORIAL, ROOT / "examples")
    assert "The tutorial's 4 pages take about" in before
    grown = tmp_path / "moving-between-revisions.md"
    extra = "\n\nOne more step, and a word or two about it.\n\n```console\n$ alembic heads\n```\n"
    grown.write_text(TUTORIAL[-1].read_text() + extra * 20)
    after = hook.sentence([*TUTORIAL[:-1], grown], ROOT / "examples")
    assert before.split(":")[1] != after.split(":")[1]
    commands = [int(text.split(" commands")[0].rsplit(" ", 1)[1]) for text in (before, after)]
    assert commands[1] == commands[0] + 20


def test_the_tutorial_asks_for_it() -> None:
    assert hook.MARKER in TUTORIAL[0].read_text()
