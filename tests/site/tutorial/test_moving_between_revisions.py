"""moving-between-revisions.md's table of a migration file's identifiers, held to the
lines its grep shows and to the template every revision is made from."""

import re

from tests.site_tree import ROOT, markdown_table

PAGE = (ROOT / "docs/tutorial/moving-between-revisions.md").read_text()
TEMPLATE = (ROOT / "examples/tutorial/migrations/script.py.mako").read_text()


def test_the_identifiers_table_is_the_lines_the_grep_shows() -> None:
    grep = PAGE.split('$ grep -n -A3 "^revision"', 1)[1].split("```", 1)[0]
    shown = re.findall(r"^\d+[:-](\w+):", grep, re.MULTILINE)
    names = [name.strip("`") for name in markdown_table(PAGE, "| Line |")]
    assert names == shown == re.findall(r"^(\w+): .* = ", TEMPLATE, re.MULTILINE)
