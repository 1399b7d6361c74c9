"""Tests for a project's migrations. Run them with DATABASE_URL set to a throwaway
database: they upgrade and downgrade it all the way."""

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


@pytest.fixture
def config() -> Config:
    config = Config("alembic.ini")
    command.downgrade(config, "base")  # every test starts from an empty schema
    return config


def test_single_head(config: Config) -> None:
    """Two heads mean a missing merge (see the branches guide)."""
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_stairway(config: Config) -> None:
    """Each revision up, down, and up again: catches a downgrade that forgets something."""
    script = ScriptDirectory.from_config(config)
    for revision in reversed(list(script.walk_revisions())):  # base first
        command.upgrade(config, revision.revision)
        # Undo this revision alone. "-1" is ambiguous once branches exist; "<rev>@-1" steps
        # back along the revision's own branch, and a merge point steps back to a parent.
        if revision.is_merge_point:
            command.downgrade(config, revision.down_revision[0])
        else:
            command.downgrade(config, f"{revision.revision}@-1")
        command.upgrade(config, revision.revision)


def test_models_match_the_database(config: Config) -> None:
    """After upgrade head, autogenerate finds nothing to do (needs target_metadata)."""
    command.upgrade(config, "head")
    command.check(config)
