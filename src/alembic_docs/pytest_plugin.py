"""The Alembic profile of the docs runner, plugged in through its hooks (docs_runner.hookspecs):
on the in-process executor, `alembic` console lines run in this process with the CLI's exact
output on a terminal; revision ids map to the page's, and the provenance line names Alembic,
SQLAlchemy and the driver (psycopg2, else psycopg 3)."""

from __future__ import annotations

import traceback

import pytest

from alembic_docs import alembic_cli, driver_names, version_details
from alembic_docs.revision_ids import RevisionIds
from docs_runner.executors import Executor
from docs_runner.run import PageRun


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(AlembicProfile(), "alembic-profile")
    config.pluginmanager.register(version_details, "sqlalchemy-version-details")
    config.pluginmanager.register(driver_names, "driver-names")
    alembic_cli.as_on_a_terminal()  # python blocks that call alembic.command, in-process


# What Alembic pages state of PostgreSQL: lock modes (longest first), errors by SQLSTATE name.
MODES = ["ACCESS EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "ROW EXCLUSIVE"]
MODES += ["ACCESS SHARE", "ROW SHARE", "EXCLUSIVE", "SHARE"]
SQLSTATE = "Duplicate|Undefined|Unique|ForeignKey|NotNull|Check|Invalid|Active|Lock|Deadlock"
CLAIMS = {
    "a lock mode": rf"\b(?:{'|'.join(MODES)})\b",
    "a server error": rf"\b(?:{SQLSTATE})[A-Z][A-Za-z]+\b",
}


class AlembicProfile:
    def pytest_docs_run_command(
        self, executor: Executor, argv: list[str], fails: bool
    ) -> tuple[int, str] | None:
        """A command the page marks as failing runs as the real CLI (bash on a terminal),
        the only way to print its real traceback. If an unmarked one raises in-process, its
        result is what an uncaught exception gives (traceback, status 1): never a second
        run, since it may have committed part of its work (`transaction_per_migration`, an
        autocommit block).
        """
        if argv[:1] != ["alembic"] or fails:
            return None
        cwd, env = executor.shell.cwd, executor.shell.env
        try:
            return alembic_cli.run_in_process(argv[1:], cwd, env)
        except alembic_cli.UnfaithfulInProcess as error:
            cause = error.__cause__ or error
            return 1, "".join(traceback.format_exception(cause))

    def pytest_docs_produced_values(self, run: PageRun) -> RevisionIds:
        return RevisionIds()

    def pytest_docs_versions(self) -> dict[str, str]:
        return libraries()

    def pytest_docs_claim_patterns(self) -> dict[str, str]:
        return CLAIMS


def libraries() -> dict[str, str]:
    """The libraries an Alembic page's outputs depend on, as the provenance line names them."""
    import alembic
    import sqlalchemy

    from throwaway_pg import driver  # psycopg2, else psycopg 3: the one pages connect with

    return {
        "Alembic": alembic.__version__,
        "SQLAlchemy": sqlalchemy.__version__,
        driver.NAME: driver.version(),
    }
