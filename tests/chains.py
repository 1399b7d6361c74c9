"""Every chain of migrations the guides build, as a project on disk: the tutorial's
project plus what each guide adds, in the guide's order. One place, so that the stairway,
the lint and the concurrent deploy all run over the same chains."""

import contextlib
import importlib
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

EXAMPLES = Path(__file__).parent.parent / "examples"
VERSIONS = "migrations/versions/"
TUTORIAL_HEAD = "1975ea83b712"

# A step: (example file, path in the project), or ("merge", rev_id, message) for the
# `alembic merge heads` a guide runs.
GUIDES: dict[str, list[tuple[str, ...]]] = {
    "tutorial": [],
    # The tutorial's fourth page adds a second revision.
    "tutorial-next": [("tutorial-next/d8f2a61c4b07_create_posts_table.py", VERSIONS)],
    "branches": [
        ("branches/2b4d8a9c1e3f_add_email_to_users.py", VERSIONS),
        ("branches/8c7e6f5a4b3d_add_created_at_to_users.py", VERSIONS),
        ("merge", "3a5c7e9b1d2f", "merge email and created_at"),
        ("branches/e5d4c3b2a190_add_phone_to_users.py", VERSIONS),  # re-parented, as on the page
    ],
    "data-migration": [("data-migration/4e2f1a3b5c6d_add_full_name_to_users.py", VERSIONS)],
    "postgres": [
        ("postgres/env.py", "migrations/env.py"),
        ("postgres/7a1b2c3d4e5f_create_subscriptions.py", VERSIONS),
        ("postgres/6b5a4c3d2e1f_create_teams.py", VERSIONS),
        ("postgres/9c8d7e6f5a4b_index_users_last_name.py", VERSIONS),
    ],
    "enums": [
        ("postgres/7a1b2c3d4e5f_create_subscriptions.py", VERSIONS),
        ("enums/b7c1d9e3f5a2_add_team_plan.py", VERSIONS),
        ("enums/c3e5a7b9d1f4_rename_pro_to_premium.py", VERSIONS),
        ("enums/d9f1b3c5e7a8_retire_free_plan.py", VERSIONS),
    ],
    # squashing.md's models, beside the revisions they describe (not its squashed
    # history, which replaces the tutorial's revisions: tests/site/guides/test_testing.py).
    "squashing": [
        ("tutorial-next/d8f2a61c4b07_create_posts_table.py", VERSIONS),
        ("autogenerate/env.py", "migrations/env.py"),
        ("squashing/myapp/models.py", "myapp/models.py"),
    ],
    "autogenerate": [
        ("autogenerate/env.py", "migrations/env.py"),
        ("autogenerate/myapp/models_v2.py", "myapp/models.py"),
        ("autogenerate/5d6e7f8a9b0c_add_email_rename_first_name.py", VERSIONS),
    ],
    # autogenerate-hygiene.md's last section: a table in a schema of its own.
    "hygiene": [
        ("hygiene/audit/env.py", "migrations/env.py"),
        ("hygiene/audit/models.py", "myapp/models.py"),
        ("hygiene/3d5f7b9a1c2e_audit_events.py", VERSIONS),
    ],
    # autogenerate-review.md: the users.points column through its revisions, with the
    # env.py (server defaults and CHECK constraints compared) and models it ends with.
    "review": [
        ("review/env.py", "migrations/env.py"),
        ("review/myapp/models_comment.py", "myapp/models.py"),
        ("review/3f1b5d7a9c2e_add_points_to_users.py", VERSIONS),
        ("review/6a8c0e2b4d7f_points_to_bigint.py", VERSIONS),
        ("review/8b0d2f4a6c9e_default_points_to_0.py", VERSIONS),
        ("review/9d1f3b5c7e0a_check_points_not_negative.py", VERSIONS),
        ("review/b3d5f7a9c1e4_validate_points_check.py", VERSIONS),
        ("review/c5e7a9b1d3f6_comment_on_points.py", VERSIONS),
    ],
    # naming-conventions.md: the email revision and the rename, under the convention's
    # env.py and models (not in COMPOSED: the branches guide adds users.email too).
    "naming": [
        ("autogenerate/env.py", "migrations/env.py"),
        ("naming/myapp/models_convention.py", "myapp/models.py"),
        ("naming/6e1f0c9a2b47_add_email.py", VERSIONS),
        ("naming/b82c4d6e0f13_constraint_names_by_convention.py", VERSIONS),
    ],
    # extensions.md: citext's column, under the env.py that leaves extensions' tables out
    # (not in COMPOSED: the branches guide adds users.email too).
    "extensions": [
        ("extensions/env.py", "migrations/env.py"),
        ("extensions/myapp/models.py", "myapp/models.py"),
        ("extensions/2f8a6c4e0d19_add_email.py", VERSIONS),
    ],
    # partitions.md: events partitioned by month, then January detached (to the schema
    # archive), with the env.py that leaves partitions out of autogenerate.
    "partitions": [
        ("partitions/env.py", "migrations/env.py"),
        ("partitions/myapp/models.py", "myapp/models.py"),
        ("partitions/2a4c6e8f0b1d_create_events_partitioned_by_month.py", VERSIONS),
        ("partitions/5c7e9a1b3d4f_archive_january.py", VERSIONS),
    ],
    "linting": [
        ("linting/a1c3e5f7b9d2_active_users_last_name_text.py", VERSIONS),
        ("linting/b2d4f6a8c0e1_index_users_last_name.py", VERSIONS),
    ],
    "locks": [
        ("locks/env.py", "migrations/env.py"),
        ("branches/2b4d8a9c1e3f_add_email_to_users.py", VERSIONS),
        ("locks/3c5d7e9f1a2b_lowercase_emails.py", VERSIONS),
    ],
    "deploying": [("deploying/env.py", "migrations/env.py")],
    "zero-downtime": [
        ("zero-downtime/3c9e5a7b1d20_add_family_name.py", VERSIONS),
        ("zero-downtime/5d1f7b9c3e42_backfill_family_name.py", VERSIONS),
        ("zero-downtime/8f4a2c6e0b13_drop_last_name.py", VERSIONS),
    ],
    # The module the two migrations import, beside env.py, then the migrations.
    "replaceable": [
        ("replaceable/replaceable.py", "migrations/replaceable.py"),
        ("replaceable/4b6d8f0a2c1e_adult_users_and_updated_at.py", VERSIONS),
        ("replaceable/7e9a1c3b5d2f_adult_users_updated_at_touch_on_change.py", VERSIONS),
    ],
    # reference-data.md's fixed migrations: the table stubs need no models.
    "reference-data": [
        ("reference-data/2e4a6c8e0b13_create_countries.py", VERSIONS),
        ("reference-data/5b7d9f1a3c60_rename_countries_name_to_display_name.py", VERSIONS),
        ("reference-data/7c9e1b3d5f84_rename_czech_republic_to_czechia.py", VERSIONS),
    ],
}
# Every guide's migrations in one chain, under the deploy env.py (the guides that bring
# an env.py of their own come before deploying's). Not autogenerate: its migration adds
# users.email, which the branches guide's adds too (DuplicateColumn).
COMPOSED = [
    "tutorial",
    "tutorial-next",
    "branches",
    "data-migration",
    "postgres",
    "enums",
    "hygiene",
    "review",
    "partitions",
    "locks",
    "linting",
    "deploying",
    "zero-downtime",
    "replaceable",
    "reference-data",
]


def build(project: Path, guides: list[str]) -> Config:
    """The tutorial's project in `project`, then each guide's steps in order. A migration
    that follows a revision from before its guide starts from the head of everything
    before it instead (see `reparent`); one already there (guides share some) is kept."""
    shutil.copytree(EXAMPLES / "tutorial", project, dirs_exist_ok=True)
    config = Config(str(project / "alembic.ini"))
    with inside(project):
        for guide in guides:
            add(project, config, GUIDES[guide])
    return config


@contextlib.contextmanager
def inside(project: Path) -> Iterator[None]:
    """In `project`, where its revisions find what they import from it (Alembic puts the
    directory it runs in on sys.path: `prepend_sys_path = .`), not another project's."""
    with contextlib.chdir(project):
        for name in [name for name in sys.modules if name.split(".")[0] == "migrations"]:
            del sys.modules[name]
        importlib.invalidate_caches()  # the finder for "." may still list another directory
        yield


def add(project: Path, config: Config, steps: list[tuple[str, ...]]) -> None:
    script = ScriptDirectory.from_config(config)
    before, parent = {r.revision for r in script.walk_revisions()}, script.get_current_head()
    for step in steps:
        if step[0] == "merge":
            command.merge(config, "heads", message=step[2], rev_id=step[1])
            parent = step[1]
            continue
        source, target = step
        path = project / target / Path(source).name if target.endswith("/") else project / target
        if target == VERSIONS and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / source, path)
        if (match := DOWN.search(path.read_text())) and match["down"] in before:
            reparent(path, parent)


DOWN = re.compile(r"^down_revision\b.*= '(?P<down>\w+)'$", re.MULTILINE)


def reparent(migration: Path, parent: str) -> None:
    """Point a migration that follows a single revision at `parent` instead."""
    text = DOWN.sub(lambda m: m[0].replace(m["down"], parent), migration.read_text())
    migration.write_text(re.sub(r"^Revises: \w+$", f"Revises: {parent}", text, flags=re.M))


# multidb.md's project: two databases, so not the tutorial's project. Its own alembic.ini
# and env.py, and its revisions (the fixed one of the page's two).
MULTIDB_REVISIONS = [
    "4f1a2b3c5d6e_create_users_and_page_views.py",
    "8e9f0a1b2c3d_add_email_and_absolute_paths.py",
]


def build_multidb(project: Path) -> Config:
    (project / VERSIONS).mkdir(parents=True)
    shutil.copy(EXAMPLES / "multidb/alembic.ini", project)
    shutil.copy(EXAMPLES / "multidb/env.py", project / "migrations")
    for name in MULTIDB_REVISIONS:
        shutil.copy(EXAMPLES / "multidb" / name, project / VERSIONS)
    return Config(str(project / "alembic.ini"))
