"""first-migration.md's table of what `alembic init` made, held to the init it shows."""

import re

from tests.site_tree import ROOT, markdown_table

PAGE = (ROOT / "docs/tutorial/first-migration.md").read_text()


def test_the_files_table_names_what_init_created() -> None:
    """Each path in the table is one the page's `alembic init` reports creating."""
    init = PAGE.split("$ alembic init", 1)[1].split("```", 1)[0]
    created = {
        path.rstrip("/")
        for path in re.findall(r"(?:Creating directory|Generating) /path/to/project/(\S+)", init)
    }
    for name in markdown_table(PAGE, "| File |"):
        assert name.strip("`").rstrip("/") in created, f"init created no {name}"
