"""Two `alembic upgrade head` at once: with the advisory lock of examples/deploying/env.py
both exit 0 and each revision runs exactly once; without it, the race breaks one of them."""

import shutil
import subprocess
import sys
from pathlib import Path

from tutorial_harness import schema

EXAMPLES = Path(__file__).parent.parent / "examples"

# A revision slow enough (1 s) that two unsynchronised upgrades overlap, and that records
# each time it runs.
SLOW_REVISION = """
from alembic import op

revision = "a0b1c2d3e4f5"
down_revision = "1975ea83b712"
branch_labels = depends_on = None


def upgrade():
    op.execute("CREATE TABLE IF NOT EXISTS runs (n int)")
    op.execute("SELECT pg_sleep(1)")
    op.execute("INSERT INTO runs VALUES (1)")


def downgrade():
    op.execute("DROP TABLE runs")
"""


def project_with(tmp_path: Path, env_py: Path) -> Path:
    shutil.copytree(EXAMPLES / "tutorial", tmp_path, dirs_exist_ok=True)
    shutil.copy(env_py, tmp_path / "migrations/env.py")
    (tmp_path / "migrations/versions/a0b1c2d3e4f5_slow.py").write_text(SLOW_REVISION)
    return tmp_path


def upgrade_twice_at_once(project: Path, url: str) -> list[subprocess.CompletedProcess]:
    alembic = Path(sys.executable).parent / "alembic"
    processes = [
        subprocess.Popen(
            [alembic, "upgrade", "head"],
            cwd=project,
            env={"DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    return [(p.wait(timeout=60), p.stdout.read()) for p in processes]


def test_with_the_lock_each_revision_runs_once(tmp_path: Path, database_url: str) -> None:
    project = project_with(tmp_path, EXAMPLES / "deploying/env.py")
    results = upgrade_twice_at_once(project, database_url)
    assert [status for status, _ in results] == [0, 0], results
    assert schema.rows(database_url, "SELECT count(*) FROM runs") == [(1,)]
    assert schema.alembic_versions(database_url) == ["a0b1c2d3e4f5"]
    ran = [output.count("Running upgrade") for _, output in results]
    assert sorted(ran) == [0, 2]  # one process ran both revisions, the other none


def test_without_the_lock_the_race_breaks(tmp_path: Path, database_url: str) -> None:
    """The control: the same race on the tutorial's env.py (no lock) does go wrong."""
    project = project_with(tmp_path, EXAMPLES / "tutorial/migrations/env.py")
    results = upgrade_twice_at_once(project, database_url)
    statuses = sorted(status for status, _ in results)
    if statuses == [0, 0]:  # both claim success: then the migration ran twice
        assert schema.rows(database_url, "SELECT count(*) FROM runs") == [(2,)]
    else:
        assert statuses[0] == 0 and statuses[1] != 0, results
