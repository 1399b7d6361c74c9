"""The built site: `properdocs build --strict` passes quietly, and what --strict does not check on
notebook pages (their outputs, their links) is checked here."""

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import markdown
import nbformat
import pytest

from tests import site_tree
from tests.site_tree import notebooks

ROOT = Path(__file__).resolve().parents[2]
LINK_TARGET = re.compile(r"(?<=\]\()[^)\s]+(?=\))")  # [text](target)


class Links(HTMLParser):
    """The relative links of a page (all its links in `every`), and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.every: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        href = values.get("href")
        if tag == "a" and href:
            self.every.append(href)
            if not urlsplit(href).scheme and not href.startswith("//"):
                self.hrefs.append(href)


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text())
    return links


def build(path: Path, site_url: str = "") -> Path:
    """The site built, quietly: no warning, no banner, nothing on stderr but INFO lines."""
    result = site_tree.build(path, site_url)
    said = [line for line in result.stderr.splitlines() if not line.startswith("INFO ")]
    assert (result.returncode, said) == (0, []), result.stderr
    return path


def test_a_broken_link_or_anchor_fails_the_build(tmp_path: Path) -> None:
    """--strict fails on them (a --quiet build passed both)."""
    project = tmp_path / "project"
    for part in ("docs", "examples"):
        shutil.copytree(site_tree.ROOT / part, project / part)
    shutil.copy(site_tree.ROOT / "mkdocs.yml", project)
    page = project / "docs/guides/enums.md"
    links = "[a page](no-such-page.md), [a section](deploying.md#no-such-section)\n\n"
    page.write_text(links + page.read_text())
    result = site_tree.build(tmp_path / "site", root=project)
    assert result.returncode == 1
    assert "contains a link 'no-such-page.md'" in result.stderr
    assert "does not contain an anchor '#no-such-section'" in result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `nox -s docs` and `nox -s serve` build it."""
    return build(tmp_path_factory.mktemp("site"))


PUBLISHED = "https://example.org/alembic-tutorial/"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as the Pages workflow builds it: SITE_URL is its address."""
    return build(tmp_path_factory.mktemp("published"), PUBLISHED)


def test_file_blocks_show_the_example_files_highlighted(site: Path) -> None:
    page = (site / "tutorial/first-migration/index.html").read_text()
    assert "database_url" in page and 'class="hll"' in page


NOTEBOOKS = [path.stem for path in notebooks()]


def test_the_notebooks_helper_is_not_published(site: Path) -> None:
    """notebooks/_scratch.py serves runs from the repository (mkdocs.yml's exclude_docs)."""
    assert (ROOT / "notebooks/_scratch.py").is_file()
    assert sorted(path.name for path in (site / "notebooks").glob("*.py")) == sorted(
        f"{name}.py" for name in NOTEBOOKS
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_page_has_a_download_link(site: Path, name: str) -> None:
    page = site / f"notebooks/{name}/index.html"
    link = re.search(
        rf'<a href="{name}.ipynb" title="Download the notebook".*?</a>', page.read_text(), re.S
    )
    assert (
        link and "<span>Download the notebook (.ipynb)</span>" in link[0]
    )  # a label, not an icon alone
    assert (page.parent / f"{name}.ipynb").is_file()


def test_tutorial_notebook_page_shows_its_outputs(site: Path) -> None:
    html = (site / "notebooks/tutorial/index.html").read_text()
    assert "Running upgrade  -&gt; 1975ea83b712, create users table" in html
    for column in ("id          INTEGER        NOT NULL", "first_name  VARCHAR(1000)  NULL"):
        assert column in html
    assert "Running downgrade 1975ea83b712 -&gt; , create users table" in html


def test_data_migration_notebook_page_shows_the_failure_and_the_rows(site: Path) -> None:
    html = (site / "notebooks/data-migration/index.html").read_text()
    assert '<pre>column "full_name" of relation "users" contains null values\n</pre>' in html
    assert "<pre>1 Ada Lovelace\n2 Grace Hopper\n</pre>" in html


def test_links_on_notebook_pages_resolve(site: Path) -> None:
    """--strict checks links in Markdown pages only: check the notebooks' links here."""
    pages = sorted((site / "notebooks").glob("*/index.html"))
    assert pages
    for page in pages:
        for href in parse(page).hrefs:
            target = urlsplit(href)
            path = (page.parent / target.path).resolve() if target.path else page
            if path.is_dir():
                path = path / "index.html"
            assert path.is_file(), f"{page.relative_to(site)}: broken link {href}"
            if target.fragment:
                assert target.fragment in parse(path).ids, f"{page}: no #{target.fragment}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_a_downloaded_notebook_links_to_the_published_site(published: Path, name: str) -> None:
    """Every link in the notebook offered for download is absolute, to a page (and anchor)
    of the published site; the notebook is otherwise the committed one."""
    download = nbformat.read(published / f"notebooks/{name}/{name}.ipynb", as_version=4)
    committed = nbformat.read(ROOT / f"notebooks/{name}.ipynb", as_version=4)
    prose = [cell.source for cell in download.cells if cell.cell_type == "markdown"]
    links = Links()
    links.feed(markdown.markdown("\n\n".join(prose)))
    assert links.every, f"{name}: no links to check"
    for href in links.every:
        assert href.startswith(PUBLISHED), f"{name}.ipynb: {href} does not lead to the site"
        target = urlsplit(href.removeprefix(PUBLISHED))
        path = published / target.path / "index.html"
        assert path.is_file(), f"{name}.ipynb: broken link {href}"
        if target.fragment:
            assert target.fragment in parse(path).ids, f"{name}.ipynb: no #{target.fragment}"
    without_targets = [(c.cell_type, LINK_TARGET.sub("", c.source)) for c in download.cells]
    assert without_targets == [
        (c.cell_type, LINK_TARGET.sub("", c.source)) for c in committed.cells
    ]
    assert [c.outputs for c in download.cells if c.cell_type == "code"] == [
        c.outputs for c in committed.cells if c.cell_type == "code"
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_published_download_link_leads_to_the_notebook(published: Path, name: str) -> None:
    page = published / f"notebooks/{name}/index.html"
    path = urlsplit(PUBLISHED).path
    assert f'href="{path}notebooks/{name}/{name}.ipynb" title="Download' in page.read_text()


NOTEBOOK_NAV = re.compile(r"^  - Notebooks:\n(?:      - .*\n)+", re.MULTILINE)


def test_the_site_builds_with_zensical_notebooks_aside(tmp_path: Path) -> None:
    """The way out of Material for MkDocs stays open: Zensical, its successor, builds
    every Markdown page from mkdocs.yml, --strict. It has no notebook support (nor hooks:
    the "also holds with" lines are missing there), so the nav's notebooks are left out."""
    config = NOTEBOOK_NAV.sub("", (ROOT / "mkdocs.yml").read_text())
    assert "ipynb" not in config.split("\nnav:")[1].split("\nplugins:")[0]
    # A copy of the project: Zensical wants docs/ beside its config, and writes its cache there.
    for folder in ("docs", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder, symlinks=True)
    (tmp_path / "mkdocs.yml").write_text(config)
    zensical = Path(sys.executable).parent / "zensical"
    result = subprocess.run(
        [zensical, "build", "--strict"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pages = [page for page in site_tree.nav_pages() if page.endswith(".md")]
    assert len(pages) > 20
    for page in pages:
        assert (tmp_path / "site" / site_tree.page_url(page) / "index.html").is_file(), page


def test_the_published_sitemap_lists_every_page(published: Path) -> None:
    """Search engines find every page at its published address (without site_url, MkDocs
    writes an empty sitemap: the Pages workflow sets it)."""
    sitemap = (published / "sitemap.xml").read_text()
    listed = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert sorted(listed) == sorted(
        PUBLISHED + site_tree.page_url(p) for p in site_tree.nav_pages()
    )


def test_no_search_entry_ends_in_a_pilcrow(site: Path) -> None:
    """Notebook headings' anchors are permalinks like the other pages' (a hook), which
    search leaves out of titles ("Clean up", not "Clean up¶")."""
    index = json.loads((site / "search/search_index.json").read_text())
    notebook_titles = [d["title"] for d in index["docs"] if d["location"].startswith("notebooks/")]
    assert "Clean up" in notebook_titles
    assert [d["title"] for d in index["docs"] if "¶" in d["title"]] == []


def test_the_tutorial_comes_first_in_the_nav() -> None:
    """A newcomer's first click after Home is the tutorial's first page, in order; the
    setup guide, which says what the tutorial changed from a team's guide, comes after."""
    pages = site_tree.nav_pages()
    tutorial = [page for page in pages if page.startswith("tutorial/")]
    assert pages[1 : 1 + len(tutorial)] == tutorial
    assert tutorial[0] == "tutorial/database-url.md"
    assert pages.index("setup-guide.md") > pages.index(tutorial[-1])
