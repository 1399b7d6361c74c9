"""Normalising one output: which rule changed which line, as the manifest counts them."""

import datetime

from tutorial_harness.normalise import Context, RevisionIds, normalise


def test_a_duration_is_normalised_even_when_it_equals_the_shown_one() -> None:
    """pytest's "in 0.36s" sometimes repeats the recorded figure: the line's class must not
    change with it, or the page's manifest entry fails one run in a few."""
    context = Context("/tmp/project", RevisionIds(), datetime.datetime.now())
    for actual in ("1 passed in 0.36s", "1 passed in 0.41s"):
        [line] = normalise(actual, "1 passed in 0.36s", context)
        assert (line.text, line.rules) == ("1 passed in 0.36s", {"duration"})
