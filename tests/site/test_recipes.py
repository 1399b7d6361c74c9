"""A long guide opens with its recipe: an "In short" admonition of ten lines or fewer,
before its first section and its first block, each step linked to the section that
shows it (which the claims lint then holds it to)."""

import re
from itertools import takewhile
from pathlib import Path

import pytest

from docs_runner import grammar

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs/guides").glob("*.md"))
LONG = 1500  # words, with the files a page includes: what a reader scrolls through
RECIPE = '!!! abstract "In short"'


def words(page: Path) -> int:
    text = page.read_text()
    included = [ROOT / "examples" / name for name in grammar.included(text)]
    return len(text.split()) + sum(len(p.read_text().split()) for p in included if p.is_file())


def recipe(text: str) -> list[str]:
    """The recipe's lines, if the page has one before its first section and block."""
    head = re.split(r"^(?:## |```)", text, maxsplit=1, flags=re.M)[0]
    if RECIPE not in head:
        return []
    lines = head.split(RECIPE, 1)[1].splitlines()[1:]
    body = takewhile(lambda line: not line.strip() or line.startswith("    "), lines)
    return [line for line in body if line.strip()]


@pytest.mark.parametrize("page", [p for p in GUIDES if words(p) > LONG], ids=lambda p: p.name)
def test_a_long_guide_opens_with_its_recipe(page: Path) -> None:
    text = page.read_text()
    steps = recipe(text)
    assert steps, f"{page.name}: {words(page)} words and no {RECIPE} before its first section"
    assert len(steps) <= 10
    items = re.split(r"\n(?=    \d+\. )", "\n".join(steps))
    assert re.match(r"    1\. ", items[0]), "numbered steps"
    unlinked = [item.strip() for item in items if not re.search(r"\]\(#[\w-]+\)", item)]
    assert unlinked == [], "each step links to the section that shows it"


def test_the_rule_holds_some_guides_to_it() -> None:
    assert len([p for p in GUIDES if words(p) > LONG]) >= 3
