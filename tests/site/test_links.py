"""Links are right, not only present: each internal link on a rendered page (notebooks
included) leads to a page or section whose title shares a word with the link's text, so a
link to the wrong existing page or section fails. `--strict` has already checked that the
target exists (tests/site/test_site.py)."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import site_tree

STOP = {"a", "an", "and", "as", "at", "by", "for", "from", "how", "in", "is", "it", "its"}
STOP |= {"of", "on", "the", "this", "to", "what", "with", "your"}
NEIGHBOURS = {"previous page": -1, "next page": 1}  # in the nav's order
ON_THIS_PAGE = {"below": 1, "above": -1}  # a section after, or before, the link


class Article(HTMLParser):
    """A rendered page's article: its links (href, text, position), its title, and each
    heading's text and position by id. Positions count links and headings in order."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.links: list[tuple[str, str, int]] = []
        self.headings: dict[str, tuple[str, int]] = {}
        self.title = ""
        self._open: list[str] | None = None  # tag, href or id, text
        self._seen = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.inside += tag == "article"
        if not self.inside or self._open:
            return
        if tag == "a" and values.get("href") and "headerlink" not in (values.get("class") or ""):
            self._open = ["a", values["href"] or "", ""]
        elif re.fullmatch(r"h[1-6]", tag):
            self._open = [tag, values.get("id") or "", ""]

    def handle_endtag(self, tag: str) -> None:
        self.inside -= tag == "article"
        if not self._open or tag != self._open[0]:
            return
        kind, where, text = self._open
        self._open, self._seen = None, self._seen + 1
        text = " ".join(text.replace("¶", "").split())
        if kind == "a":
            self.links.append((where, text, self._seen))
        else:
            self.title = self.title or text
            self.headings[where] = (text, self._seen)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[2] += data


def stems(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9_]+", text.lower().replace("'s", ""))
    return {word[:4] for word in words if word not in STOP}


def wrong_links(site: Path, nav: list[str]) -> list[str]:
    pages = {path: Article() for path in site.rglob("index.html")}
    for path, article in pages.items():
        article.feed(path.read_text())
    order = [site / site_tree.page_url(page) / "index.html" for page in nav]
    wrong = []
    for page, article in sorted(pages.items()):
        for href, text, seen in article.links:
            link = urlsplit(href)
            target = (page.parent / link.path).resolve() if link.path else page
            target = target / "index.html" if target.is_dir() else target
            if link.scheme or target not in pages or not (link.path or link.fragment):
                continue  # another site, or a file (a notebook's download)
            aimed = pages[target]
            title, at = (
                aimed.headings.get(link.fragment, ("", 0)) if link.fragment else (aimed.title, 0)
            )
            said = text.lower()
            if said in NEIGHBOURS and page in order and target in order:
                right = order.index(target) - order.index(page) == NEIGHBOURS[said]
            elif said in ON_THIS_PAGE and target == page and link.fragment:
                right = (at - seen) * ON_THIS_PAGE[said] > 0
            else:
                right = bool(stems(text) & stems(f"{title} {target.parent.name.replace('-', ' ')}"))
            if not right:
                where = page.parent.relative_to(site)
                wrong.append(f"{where}/: [{text}]({href}) leads to {title!r}")
    return wrong


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("site")
    result = site_tree.build(path)
    assert result.returncode == 0, result.stderr
    return path


def test_every_link_says_where_it_leads(site: Path) -> None:
    assert wrong_links(site, site_tree.nav_pages()) == []


def test_a_link_to_the_wrong_page_or_section_is_found(tmp_path: Path) -> None:
    pages = {
        "one/index.html": '<h1 id="one">Deploying</h1><h2 id="lock">A lock</h2>'
        '<a href="#lock">below</a><a href="#one">below</a>',
        "two/index.html": '<h1 id="two">Locks and timeouts</h1>'
        '<a href="../one/">Deploying</a><a href="../one/">Locks</a>'
        '<a href="../one/#lock">the lock</a><a href="../one/#lock">timeouts</a>'
        '<a href="../one/">previous page</a><a href="../one/">next page</a>',
    }
    for name, body in pages.items():
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_text(f"<article>{body}</article>")
    assert wrong_links(tmp_path, ["one.md", "two.md"]) == [
        "one/: [below](#lock) leads to 'A lock'",  # the section is above the link
        "one/: [below](#one) leads to 'Deploying'",
        "two/: [Locks](../one/) leads to 'Deploying'",
        "two/: [timeouts](../one/#lock) leads to 'A lock'",
        "two/: [next page](../one/) leads to 'Deploying'",
    ]
