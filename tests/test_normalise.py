"""Normalising one output: which rule changed which line, as the manifest counts them."""

import datetime

from alembic_docs.revision_ids import RevisionIds
from docs_runner.normalise import Context, normalise


def test_a_duration_is_normalised_even_when_it_equals_the_shown_one() -> None:
    """pytest's "in 0.36s" sometimes repeats the recorded figure: the line's class must not
    change with it, or the page's manifest entry fails one run in a few."""
    context = Context("/tmp/project", [RevisionIds()], datetime.datetime.now())
    for actual in ("1 passed in 0.36s", "1 passed in 0.41s"):
        [line] = normalise(actual, "1 passed in 0.36s", context)
        assert (line.text, line.rules) == ("1 passed in 0.36s", {"duration"})


def test_a_command_types_the_real_prefix_of_a_shown_id() -> None:
    ids = RevisionIds(shown={"3f1c4a79893d": "1975ea83b712", "3f1caaaaaaaa": "19aaaaaaaaaa"})
    assert ids.to_typed("alembic upgrade 1975+1") == "alembic upgrade 3f1c+1"
    assert ids.to_typed("alembic history -r base:1975ea") == ("alembic history -r base:3f1c4a")
    assert ids.to_typed("alembic upgrade 19") == "alembic upgrade 19"  # too short
    assert ids.to_typed("alembic show 19aa") == "alembic show 3f1c"
    assert ids.to_typed("alembic show d8f2") == "alembic show d8f2"  # not generated
