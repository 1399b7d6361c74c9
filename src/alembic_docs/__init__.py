"""The Alembic profile of docs_runner: in-process alembic with the CLI's output on a terminal,
revision ids, and what the database holds, for a site's checks (`schema`)."""

from alembic_docs.alembic_cli import run_cli, run_in_process
from alembic_docs.revision_ids import RevisionIds

__all__ = ["RevisionIds", "run_cli", "run_in_process"]
