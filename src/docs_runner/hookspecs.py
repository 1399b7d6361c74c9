"""The hooks a profile implements to plug a tool into the runner (alembic_docs is one).

A profile is a pytest plugin: its hook functions are found by name, like pytest's own.
Without one, every console line runs in bash and the provenance line names PostgreSQL only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from docs_runner.blocks.base import Block
    from docs_runner.executors import Executor
    from docs_runner.normalise import ProducedValues
    from docs_runner.run import PageRun

hookspec = pluggy.HookspecMarker("pytest")


@hookspec(firstresult=True)
def pytest_docs_run_command(
    executor: Executor, argv: list[str], fails: bool
) -> tuple[int, str] | None:
    """On the in-process executor, run a console line yourself (your tool in this process)
    as (exit status, what a terminal shows); None leaves it to bash on a terminal. `argv`
    is the line as bash splits it ([] if it uses shell syntax); `fails` is true when the
    page says the command fails. The terminal executor never asks."""


@hookspec
def pytest_docs_produced_values(run: PageRun) -> ProducedValues | None:
    """Values your tool makes up at random (ids, say), or that change with a version in a
    way no reader cares about (a link to that version's docs), which a page shows as
    recorded: one object per page run, which maps them both ways (docs_runner.normalise)."""


@hookspec
def pytest_docs_block_kinds() -> list[type[Block]] | None:
    """Kinds of fenced block your tool adds (docs_runner.blocks.base.Block subclasses),
    tried before the runner's own: each declares what it claims, how it runs, and its
    summary and coverage columns."""


@hookspec
def pytest_docs_versions() -> dict[str, str] | None:
    """The libraries a page's outputs depend on, by the name the provenance line gives
    them, in its order: {"Alembic": "1.20.1"}. The server's PostgreSQL comes last."""


@hookspec
def pytest_docs_claim_patterns() -> dict[str, str] | None:
    """Facts your tool's pages state in prose, beyond exit statuses, error names and
    durations (docs_runner.claims): {"a lock mode": regex}. Each must be shown beside its
    paragraph, by a page it links to, or backed by <!-- evidence: TEST -->."""
