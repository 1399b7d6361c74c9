"""The verification manifest covers every page and notebook, and the coverage table that
how-it-works includes is the one generated from it."""

from pathlib import Path

import pytest

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


def test_a_lost_check_or_a_new_opt_out_is_not_sent_to_update(tmp_path: Path) -> None:
    """Recording lost coverage is a reviewer's decision: the message says what was lost,
    and names the update command only for other differences."""
    path = tmp_path / "verification.json"
    committed = {"recorded": "2026-01-01", "opt-outs": [], "checks": ["a", "b"], "lines": {}}
    manifest.write(path, "docs/page.md", committed)
    now = {**committed, "opt-outs": ["too slow"], "checks": ["a"], "recorded": "2026-01-02"}
    problems = manifest.differences(path, "docs/page.md", now, "nox -s update")
    assert [p.split(": ")[0] for p in problems] == ["recorded", "opt-outs", "checks"]
    recorded, opt_outs, checks = problems
    assert "new: ['too slow']" in opt_outs and "update" not in opt_outs
    assert "lost: ['b']; put the check back on the page" in checks and "update" not in checks
    assert "update" not in recorded  # recording it would record the loss with it
    now = {**committed, "recorded": "2026-01-02"}
    (recorded,) = manifest.differences(path, "docs/page.md", now, "nox -s update")
    assert recorded.endswith("(review, then record it with: nox -s update)")


def test_a_check_or_opt_out_repeated_is_counted(tmp_path: Path) -> None:
    """A page may run one check twice, or give two opt-outs one reason: losing one of two
    identical checks, or adding an opt-out with a reason already recorded, is lost coverage
    too, never sent to the update command."""
    path = tmp_path / "verification.json"
    committed = {"recorded": "2026-01-01", "opt-outs": ["slow"], "checks": ["a", "a"]}
    manifest.write(path, "docs/page.md", committed)
    now = {**committed, "opt-outs": ["slow", "slow"], "checks": ["a"]}
    opt_outs, checks = manifest.differences(path, "docs/page.md", now, "nox -s update")
    assert "update" not in opt_outs + checks
    assert "new: ['slow']" in opt_outs and "update" not in opt_outs
    assert "lost: ['a']; put the check back on the page" in checks and "update" not in checks
    assert manifest.differences(path, "docs/page.md", committed, "nox -s update") == []


@pytest.mark.parametrize(
    ("setting", "text", "expected"),
    [
        ("docs/verification.json", '{"docs/page.md": {', "verification.json is no JSON (*)"),
        ("docs/verification.json", "[]", "verification.json: expected a JSON object holding *"),
        ("docs/verification.json", '{"docs/page.md": []}', "verification.json: expected *"),
        ("docs", None, "*/docs is a folder, not a file"),
    ],
    ids=["no-json", "a-list", "an-entry-a-list", "a-folder"],
)
def test_a_manifest_no_run_can_read_is_one_line_naming_it(
    project: pytest.Pytester, setting: str, text: str | None, expected: str
) -> None:
    """Said once, before any page: it was a traceback in every page's end."""
    project.makeini(f"[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest = {setting}\n")
    if text is not None:
        (project.path / setting).write_text(text)
    result = project.runpytest_inprocess("docs/good.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: docs_manifest = {setting}: {expected}"])
    assert len(result.stderr.str().strip().splitlines()) == 1
