"""Fixtures the harness's tests share: a scratch pytest project with pages, on this run's
server, and the provenance line of this run's versions."""

import shutil
from pathlib import Path

import pytest

from docs_runner import provenance
from docs_runner.rendered import code_blocks
from tests.scratch_pages import GOOD, MISMATCH, mkdocs_yml, page, write
from throwaway_pg.server import Server

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def run_versions(postgres_server: Server, pytestconfig: pytest.Config) -> dict[str, str]:
    """The versions this run uses (asked of the server once a module)."""
    return provenance.versions(postgres_server.admin_url, pytestconfig.hook)


@pytest.fixture
def recorded(run_versions: dict[str, str]) -> str:
    """The provenance line of this run's versions, dated as a run of this test would date
    it: a module-wide date went stale when a run crossed midnight."""
    return provenance.line(run_versions)


@pytest.fixture
def project(
    pytester: pytest.Pytester,
    recorded: str,
    postgres_server: Server,
    monkeypatch: pytest.MonkeyPatch,
    warm_imports: None,
) -> pytest.Pytester:
    """A scratch project with pages: no conftest, the harness comes from its pytest11
    entry point, as in any project that installs it. Its runs use this run's server, as
    one given by the user (a throwaway one each would add its start-up to every run), as a
    developer's role that may create databases (this process's pages may use it: the admin
    role is this process's alone; a run in another process takes `shared_url()`)."""
    monkeypatch.setenv("THROWAWAY_PG_URL", postgres_server.owner_url)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\ndocs_manifest =\n")
    shutil.copytree(ROOT / "examples/tutorial", pytester.path / "examples/tutorial")
    (pytester.path / "mkdocs.yml").write_text(mkdocs_yml())
    (pytester.path / "examples/note.txt").write_text("a note\n")
    (pytester.path / "docs").mkdir()
    for name, text in {"good": GOOD, "mismatch": MISMATCH}.items():
        write(pytester, name, page(text, recorded))
    return pytester


@pytest.fixture(scope="module")
def warm_imports(tmp_path_factory: pytest.TempPathFactory) -> None:
    """An in-process run forgets the modules it imported (pytester restores sys.modules),
    and MkDocs' YAML loader breaks when imported a second time: what a run imports on
    its own (MkDocs' config and theme, the Markdown extensions) is imported here first."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "docs").mkdir()
    (folder / "mkdocs.yml").write_text(mkdocs_yml())
    code_blocks(folder, "```console\n$ echo warm\n```\n")
