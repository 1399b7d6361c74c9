"""setup-guide.md's table of what the tutorial does differently, held to its proofs."""

import re

from tests.site_tree import ROOT, markdown_rows

PAGE = (ROOT / "docs/setup-guide.md").read_text()
EVIDENCE = re.compile(r"<!--\s*evidence:\s*\S+\s*-->")
LINK = re.compile(r"\]\([^)\s]+\)")


def test_each_thing_the_tutorial_does_differently_names_its_proof() -> None:
    """Each "The tutorial" cell links to the page that shows it or names the test that
    proves it (the claims lint checks both); a "Why" cell names no proof of its own, so
    the two cells of a row swapped fail."""
    rows = markdown_rows(PAGE, "| The guide |")
    assert len(rows) == 9
    for row in rows:
        guide, tutorial, why = row["The guide"], row["The tutorial"], row["Why"]
        assert LINK.search(tutorial) or EVIDENCE.search(tutorial), (guide, tutorial)
        assert not EVIDENCE.search(why), (guide, why)
