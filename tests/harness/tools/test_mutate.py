"""tools/mutate.py, the docs' mutation test, on a tiny sample: mutants the runner certainly
catches are reported killed, and the repository is left byte for byte as it was."""

import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.tools import load
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parents[3]
mutate = load("mutate")

PAGE = "docs/guides/branches.md"


def digests(files: list[str]) -> dict[str, str]:
    return {
        path: hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
        for path in files
        if not (ROOT / path).is_symlink()  # docs/notebooks
    }


def sampled(files: list[str], seed: int, operators: list[str], count: int) -> list:
    pool = mutate.candidates(mutate.targets(files, [PAGE]), seed, operators)
    return mutate.sample(pool, count, seed)


def test_the_same_seed_gives_the_same_mutants() -> None:
    files = mutate.tracked_files()
    first, again, other = (sampled(files, seed, [], 40) for seed in (9, 9, 10))
    assert [m.key for m in first] == [m.key for m in again] != [m.key for m in other]
    assert [m.text for m in first] == [m.text for m in again]
    assert len({m.key for m in first}) == len(first)
    applicable = mutate.candidates(mutate.targets(files, [PAGE]), 9, [])
    assert {m.operator for m in first} == set(applicable)  # every kind is sampled


def test_scopes() -> None:
    files = mutate.tracked_files()
    page = mutate.scope("docs/tutorial/first-migration.md", files)
    mirrored = "tests/site/tutorial/test_first_migration.py"  # the tests that name the page
    assert page == (mutate.Run(("docs/tutorial/first-migration.md", mirrored, *mutate.EVERY_PAGE)),)
    included = mutate.scope("examples/branches/2b4d8a9c1e3f_add_email_to_users.py", files)
    assert set(included[0].args) == {
        "docs/guides/branches.md",
        "docs/guides/locks-and-timeouts.md",
        "docs/guides/troubleshooting.md",
        "tests/site/guides/test_deploying.py",  # through tests/chains.py
        "tests/site/guides/test_extensions.py",
        "tests/site/guides/test_testing.py",
    }
    assert mutate.scope("notebooks/tutorial.ipynb", files) == (
        mutate.Run(("tests/site/notebooks/test_notebooks.py", "-k", "tutorial.ipynb")),
    )


def test_caught_mutants_are_killed_and_the_tree_is_untouched(
    postgres_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutate.tempfile, "tempdir", str(tmp_path))  # workspaces go here
    files = mutate.tracked_files()
    before = digests(files)
    mutants = sampled(files, 9, ["alter-output-char", "delete-output-line"], 3)
    assert len(mutants) == 3
    urls = []

    def env_for() -> dict[str, str]:
        urls.append(postgres_server.shared_url())
        return {**os.environ, "THROWAWAY_PG_URL": urls[-1]}

    outcomes, failing = mutate.execute(mutants, files, 2, env_for, mutate.Equivalents())
    assert len({make_url(url).username for url in urls}) == 2  # a role for each worker
    assert failing == {}
    assert [(o.mutant.key, o.status) for o in outcomes] == [(m.key, "killed") for m in mutants]
    assert digests(files) == before
    assert list(tmp_path.glob("mutate-*")) == []  # the workspaces are removed


def test_every_listed_equivalent_is_a_mutant_the_driver_makes() -> None:
    """A stale entry (a page changed) would silently match nothing."""
    files = mutate.tracked_files()
    known = mutate.Equivalents.load()
    listed = {**known.exact, **known.everywhere}
    operators = sorted({operator for operator, _, _ in listed})
    pool = mutate.candidates(mutate.targets(files, []), 9, operators)
    made = {m.key for mutants in pool.values() for m in mutants}
    assert set(listed) - made == set()
    operator, path, description = next(iter(listed))
    survivor = mutate.Mutant(operator, path, 1, description, text="")
    outcome = mutate.classify(mutate.Outcome(survivor, "survived"), known)
    assert outcome.status == "equivalent"


def test_the_committed_table_is_made_from_the_committed_results() -> None:
    """how-it-works includes the table outside a fence: it must be the generator's output."""
    results = json.loads(mutate.RESULTS.read_text())
    assert mutate.TABLE.read_text() == mutate.markdown_table(results)


def test_a_workspace_runs_its_own_src(tmp_path: Path) -> None:
    """Not the repository's (the editable install's), which may change during a run."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "probe.py").write_text("WHERE = 'workspace'\n")
    test = "import probe\n\n\ndef test_probe():\n    assert probe.WHERE == 'workspace'\n"
    (tmp_path / "test_probe.py").write_text(test)
    status, output = mutate.run_pytest(mutate.Run(("test_probe.py",)), tmp_path, dict(os.environ))
    assert status == 0, output
