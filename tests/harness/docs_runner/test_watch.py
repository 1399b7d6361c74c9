"""`nox -s watch`: a saved page, or a saved examples/ file a page shows, is re-verified."""

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from docs_runner.watch import STATUS, Layout, affected
from tests.inner_run import sigint_ignored
from tests.scratch_pages import GOOD, page
from tests.tools import load_hook
from throwaway_pg.server import Server

ROOT = Path(__file__).resolve().parents[3]


def test_a_page_is_affected_by_itself_and_by_the_examples_it_shows() -> None:
    layout = Layout.of(ROOT)
    moving = ROOT / "docs/tutorial/moving-between-revisions.md"
    assert affected(moving, layout) == [moving]
    posts = ROOT / "examples/tutorial-next/d8f2a61c4b07_create_posts_table.py"
    assert affected(posts, layout) == [ROOT / "docs/guides/squashing.md", moving]
    # A file of a project pages start from (<!-- project: tutorial -->) affects them all.
    assert ROOT / "docs/tutorial/upgrade-and-downgrade.md" in affected(
        ROOT / "examples/tutorial/alembic.ini", layout
    )
    assert affected(ROOT / "src/docs_runner/page.py", layout) == []


def test_the_watcher_finds_pages_where_the_plugin_settings_put_them() -> None:
    team = ROOT / "examples/team-guide"  # docs_dir = "guide", docs_examples = "files"
    layout = Layout.of(team)
    assert (layout.docs, layout.examples) == (team / "guide", team / "files")
    assert affected(team / "files/notes.txt", layout) == [team / "guide/onboarding.md"]


class Watcher:
    def __init__(self, directory: Path, database_url: str) -> None:
        env = {**os.environ, "THROWAWAY_PG_URL": database_url}
        with sigint_ignored():  # as under nohup or in a script's background job, which
            self.process = subprocess.Popen(  # children inherit: Ctrl-C must still stop it
                [sys.executable, "-m", "docs_runner.watch"],
                cwd=directory,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []  # everything it printed, for a failure's message
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def said(self, start: str) -> str:
        """The watcher's next line starting with `start` (its other output skipped)."""
        with contextlib.suppress(queue.Empty):
            while True:
                line = self.lines.get(timeout=120)  # a bound against hanging, not a target
                if line.startswith(start):
                    return line
        said = "".join(self.output[-80:])
        raise AssertionError(f"the watcher did not say {start!r}; it printed:\n{said}")


def test_saving_a_page_or_its_example_reverifies_it(
    project: pytest.Pytester,  # noqa: F811 (the fixture imported above)
    recorded: str,  # noqa: F811
    postgres_server: Server,
) -> None:
    status = project.path / "docs" / STATUS
    watcher = Watcher(project.path, postgres_server.admin_url)
    try:
        assert "watching docs/ and examples/" in watcher.said("watch:")
        drifted = page(GOOD.replace("hello from python", "hello from ruby"), recorded)
        (project.path / "docs/good.md").write_text(drifted)
        line = watcher.said("watch: docs/good.md")
        assert "FAILS: docs/good.md:" in line and "printed something else" in line, line
        assert list(json.loads(status.read_text())["failing"]) == ["good.md"]

        (project.path / "docs/good.md").write_text(page(GOOD, recorded))
        assert "passes" in watcher.said("watch: docs/good.md")
        assert json.loads(status.read_text())["failing"] == {}

        (project.path / "examples/note.txt").write_text("a changed note\n")  # shown by good.md
        assert "FAILS" in watcher.said("watch: docs/good.md")
    finally:
        watcher.process.send_signal(signal.SIGINT)
        assert watcher.process.wait(timeout=60) == 0
    assert not status.exists()


@pytest.mark.parametrize(
    ("command", "watcher", "marked"),
    [("serve", "running", True), ("build", "running", False), ("serve", "gone", False)],
)
def test_serve_marks_a_failing_page_while_a_watcher_runs(
    tmp_path: Path, command: str, watcher: str, marked: bool
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = os.getpid() if watcher == "running" else int(gone.stdout)
    failing = {"tutorial/x.md": "docs/tutorial/x.md:12: `alembic current` printed something else"}
    status = {"pid": pid, "failing": failing}
    (tmp_path / ".verification-status.json").write_text(json.dumps(status))
    hook = load_hook("verification_status")
    hook.on_startup(command=command, dirty=False)
    page = SimpleNamespace(file=SimpleNamespace(src_uri="tutorial/x.md"))
    config = {"docs_dir": str(tmp_path)}

    shown = hook.on_page_markdown("# X\n", page=page, config=config, files=None)

    assert shown.startswith('!!! failure "This page fails its verification"') == marked
    assert ("`alembic current` printed something else" in shown) == marked
    other = SimpleNamespace(file=SimpleNamespace(src_uri="tutorial/y.md"))
    assert hook.on_page_markdown("# Y\n", page=other, config=config, files=None) == "# Y\n"


def test_ctrl_c_during_a_verification_stops_the_watcher(monkeypatch) -> None:
    """pytest.main turns a KeyboardInterrupt into an exit code: the watcher must still stop,
    not go back to waiting for changes (a CI run hung there once)."""
    from docs_runner import watch

    monkeypatch.setattr(watch.pytest, "main", lambda *args, **kwargs: pytest.ExitCode.INTERRUPTED)
    with pytest.raises(KeyboardInterrupt):
        watch.verify(ROOT / "docs/index.md", SimpleNamespace(admin_url="unused"), ROOT)
