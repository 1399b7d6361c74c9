"""The verification manifest covers every page and notebook, and the coverage table that
how-it-works includes is the one generated from it."""

from pathlib import Path

from docs_runner import blocks, manifest

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / manifest.DEFAULT


def test_the_table_is_generated_from_the_manifest() -> None:
    assert manifest.table_path(COMMITTED).read_text() == manifest.table(
        manifest.load(COMMITTED), blocks.columns()
    )


def test_every_page_and_notebook_has_an_entry_and_no_other() -> None:
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")}
    pages |= {str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(manifest.load(COMMITTED)) == pages


def test_no_shown_line_is_left_unclassified() -> None:
    for key, entry in manifest.load(COMMITTED).items():
        assert "unclassified" not in entry["lines"], key
