"""A revision id a sentence quotes is one the site really shows in a block (or an example
file): the tip "where a page shows `1975ea83b712`, type your own" must name a real one."""

from pathlib import Path

from alembic_docs.revision_ids import REVISION_ID
from docs_runner import claims

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md"))


def test_every_id_in_prose_is_shown_in_a_block() -> None:
    shown, quoted = set(), []
    for page in PAGES:
        for part in claims.parts(page.read_text(), ROOT / "examples"):
            found = REVISION_ID.findall(part.text)
            if part.fence:
                shown.update(found)
            else:
                quoted += [(f"{page.relative_to(ROOT)}:{part.line}", id_) for id_ in found]
    assert quoted  # the pages do quote ids in sentences
    assert [(where, id_) for where, id_ in quoted if id_ not in shown] == []
