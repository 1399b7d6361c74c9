"""The built site in a real browser (Debian's Chromium, driven by Playwright): copy
buttons, search, the notebook's outputs, dark mode, no JavaScript errors, screenshots."""

import functools
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.site.served import QuietHandler, chromium
from tests.site_tree import build, nav_pages, notebooks, page_url

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PAGES = [page_url(page) for page in nav_pages()]  # every page in mkdocs.yml's nav


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    result = build(site)
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope="module")
def site_url(site: Path) -> Iterator[str]:
    """The built site, served over http (search does not work from file://)."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, site_url: str):
    context = browser.new_context(
        base_url=site_url, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    yield page
    context.close()


def test_copy_button_puts_the_command_on_the_clipboard(page) -> None:
    page.goto("tutorial/first-migration/")
    blocks = page.locator("div.highlight pre")
    buttons = page.locator('button.md-code__button[data-md-type="copy"]')
    assert blocks.count() >= 10
    assert buttons.count() == blocks.count()  # every code block has its copy button
    buttons.first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "alembic init --template generic migrations"  # no prompt, no output


def test_copying_a_console_block_copies_its_commands_only(page) -> None:
    """Pasted into a terminal, the clipboard runs: no `$ ` prompts, no output lines. The
    "fails" marker is a shell comment: it comes along, and bash ignores it."""
    page.goto("tutorial/first-migration/")
    block = page.locator("div.highlight", has_text="env -u DATABASE_URL")
    block.locator('button[data-md-type="copy"]').click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert [line for line in copied.splitlines() if line] == [
        "env -u DATABASE_URL alembic current  # fails (exit status 1)",
        "DATABASE_URL=not-a-url alembic current  # fails (exit status 1)",
    ]


def test_search_for_downgrade_lists_the_tutorial_page(page) -> None:
    page.goto("")
    search = page.locator("input[data-md-component='search-query']")
    search.click()
    search.press_sequentially("downgrade")  # keystrokes: the search listens to keyup
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    assert any("Upgrade and downgrade" in text for text in results.all_inner_texts())


def test_notebook_page_shows_executed_outputs(page) -> None:
    page.goto("notebooks/tutorial/")
    text = page.locator("article").inner_text()
    assert "Running upgrade  -> 1975ea83b712, create users table" in text
    assert "first_name  VARCHAR(1000)  NULL" in text
    download = page.locator("a[title='Download the notebook']").get_attribute("href")
    assert download.endswith("notebooks/tutorial/tutorial.ipynb")
    assert page.request.get(download).json()["cells"]  # the .ipynb itself


def test_dark_mode_toggles(page) -> None:
    page.goto("")
    scheme = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("form[data-md-component='palette'] label:visible").click()
    other = "slate" if scheme == "default" else "default"
    page.wait_for_selector(f"body[data-md-color-scheme='{other}']")


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}
SCHEMES = {"light": "default", "dark": "slate"}  # the reader's preference -> Material's

# What a reader would see as broken, as sentences: the page wider than the screen, a code
# block whose lines wrap, text blocks on top of each other, a copy button over code, a tab
# label cut at the screen's edge, code in running text broken inside a word or holding a
# command to copy, a first screen without the page's first sentence.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].slice(0, 2).map(c => '.' + c).join('')
    + ' "' + e.textContent.trim().slice(0, 40) + '"';
  const shown = e => {  // the content of a closed <details> keeps its boxes: not shown
    const r = e.getBoundingClientRect();
    const closed = e.closest('details:not([open])');
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'
      && !(closed && !e.closest('summary'));
  };
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const textRects = e => {  // where its characters are drawn, one rect per line piece
    const rects = [];
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const start = node.data.search(/\\S/);
      if (start < 0) continue;
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, node.data.trimEnd().length);
      rects.push(...[...range.getClientRects()].filter(r => r.width > 0));
    }
    return rects;
  };
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    problems.push(`the page is ${root.scrollWidth}px wide on a ${root.clientWidth}px screen`);
  }
  for (const pre of document.querySelectorAll('.md-content pre')) {
    const code = pre.querySelector('code') || pre;  // not the copy button Material adds
    if (!shown(code)) continue;
    const lines = code.textContent.replace(/\\n$/, '').split('\\n').length;
    const tops = textRects(code).map(r => r.top).sort((a, b) => a - b);
    const rendered = tops.filter((top, i) => i === 0 || top - tops[i - 1] > 3).length;
    if (rendered > lines) problems.push(`${describe(pre)}: ${lines} lines wrap into ${rendered}`);
  }
  const blocks = [...document.querySelectorAll(
    '.md-content :is(p, li, h1, h2, h3, h4, pre, table, summary, .admonition-title, '
    + '.jp-InputPrompt, .jp-OutputArea-output)')].filter(shown);
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const [a, b] = [blocks[i], blocks[j]];
      if (a.contains(b) || b.contains(a)) continue;
      if (overlap(a.getBoundingClientRect(), b.getBoundingClientRect())) {
        problems.push(`${describe(a)} overlaps ${describe(b)}`);
      }
    }
  }
  // A notebook cell's copy button. (Material's own sit in a code block's corner, over
  // the end of its long lines, as on Material's site: those lines scroll.)
  for (const button of document.querySelectorAll('.md-content clipboard-copy')) {
    if (!shown(button)) continue;
    const code = button.closest('.jp-InputArea-editor')?.querySelector('pre');
    const box = button.getBoundingClientRect();
    if (code && textRects(code).some(r => overlap(box, r))) {
      problems.push(`a copy button covers the code of ${describe(code)}`);
    }
  }
  // Every tab label in view, not cut at the screen's edge.
  for (const labels of document.querySelectorAll('.md-content .tabbed-labels')) {
    if (!shown(labels)) continue;
    const box = labels.getBoundingClientRect();
    for (const label of labels.children) {
      const r = label.getBoundingClientRect();
      const cut = r.right > box.right + 1 || r.left < box.left - 1;
      if (cut) problems.push(`${describe(label)} is cut`);
    }
  }
  // A copy button over code that no scrolling moves out from under it (the end of the
  // longest line, or of a block that does not scroll).
  for (const button of document.querySelectorAll('.md-content .md-code__button')) {
    const pre = button.closest('pre');
    const code = pre && pre.querySelector('code');
    if (!code || !shown(button)) continue;
    const box = button.getBoundingClientRect();
    const left = code.getBoundingClientRect().left - code.scrollLeft;
    const hidden = r => overlap(box, r) && code.scrollWidth - (r.right - left) < box.width;
    if (textRects(code).some(hidden)) {
      problems.push(`a copy button covers the code of ${describe(pre)}`);
    }
  }
  // Code in running text broken inside a word (`--` on one line, `autogenerate` on the
  // next), and a command to install something in running text, which has no copy button.
  for (const code of document.querySelectorAll('.md-content :not(pre) > code')) {
    if (!shown(code)) continue;
    if (/^(sudo |apt-get |brew |(python3? -m )?pip )/.test(code.textContent)) {
      problems.push(`${describe(code)} is a command to copy, in running text`);
    }
    let last = null;  // the last character drawn and its top (a space the line ends at is not)
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getClientRects()[0];  // none for a space the line ends at
        // A line may end at a space, or after a path's slash (docs/.hooks/inline_code.py).
        if (r && last && !/[\\s/:]/.test(last.char) && r.top - last.top > 3) {
          problems.push(`${describe(code)} breaks inside a word`);
        }
        if (r) last = {top: r.top, char: node.data[i]};
        else if (last && /\\s/.test(node.data[i])) last.char = ' ';
      }
    }
  }
  // The first screen is the page's own: its first sentence shows, not the provenance.
  const first = [...document.querySelectorAll('.md-content .md-typeset > p')].find(shown);
  if (first && (first.textContent.startsWith('Outputs recorded')
      || first.getBoundingClientRect().top + window.scrollY + 24 > window.innerHeight)) {
    problems.push(`the first screen does not show the page's first sentence: ${describe(first)}`);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def tab(browser, site_url: str) -> Iterator[Callable[[str, str], tuple[Page, list[str]]]]:
    """One browser tab per viewport and colour scheme, reused from page to page (a new
    one costs about as much as loading a page), with the JavaScript errors it logs."""
    opened: dict[tuple[str, str], tuple[Page, list[str]]] = {}

    def open_tab(viewport: str, scheme: str) -> tuple[Page, list[str]]:
        if (viewport, scheme) not in opened:
            context = browser.new_context(
                base_url=site_url, viewport=VIEWPORTS[viewport], color_scheme=scheme
            )
            page, errors = context.new_page(), []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            opened[viewport, scheme] = page, errors
        return opened[viewport, scheme]

    yield open_tab
    for page, _ in opened.values():
        page.context.close()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", PAGES)
def test_page_reads_well_and_is_screenshotted(tab, path: str, viewport: str, scheme: str) -> None:
    """Every page on a desktop and on a phone, light and dark: no JavaScript error, nothing
    in LAYOUT_PROBLEMS, and a full-page screenshot in test-artifacts/screenshots/ (CI keeps
    them)."""
    page, errors = tab(viewport, scheme)
    errors.clear()
    response = page.goto(path)
    assert response.ok
    page.wait_for_load_state("networkidle")  # late requests' errors count too
    assert page.locator("body").get_attribute("data-md-color-scheme") == SCHEMES[scheme]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-") or "home"
    page.screenshot(path=ARTIFACTS / f"{name}-{viewport}-{scheme}.png", full_page=True)
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    assert errors == []


def test_every_page_of_the_site_is_checked(site: Path) -> None:
    """A new page gets its browser check: the nav, which PAGES is read from, lists every
    page the site builds, and each of them is built."""
    built = {str(page.parent.relative_to(site)) + "/" for page in site.rglob("index.html")}
    assert built == {path or "./" for path in PAGES}


def test_a_missing_page_under_the_project_path_gets_the_styled_404(browser, project_pages) -> None:
    """On a project's Pages address the 404 page is served for any depth of missing path:
    its styles, scripts and links must not assume the site sits at the domain's root."""
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on(
        "response",
        lambda r: (
            failed.append(r.url)
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    response = page.goto(project_pages + "no/such/page/")
    assert response.status == 404
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Page not found"
    assert failed == []
    stylesheets = page.evaluate("[...document.styleSheets].map(sheet => sheet.href)")
    assert any(href and "/alembic-tutorial/assets/stylesheets/" in href for href in stylesheets)
    page.get_by_role("link", name="the home page").click()  # instant navigation: no load
    expect(page.locator("h1").first).to_contain_text("Alembic on PostgreSQL, executed")
    assert page.url == project_pages
    page.close()


@pytest.mark.parametrize("name", [path.stem for path in notebooks()])
def test_a_notebook_s_code_gets_a_phone_s_width(browser, site_url: str, name: str) -> None:
    """At 390 px the In [n]: prompts go above the cells: code and outputs get nearly the
    width of the prose (beside the prompts they had 210 of its 296 px)."""
    context = browser.new_context(base_url=site_url, viewport=VIEWPORTS["mobile"])
    page = context.new_page()
    page.goto(f"notebooks/{name}/")
    prose = page.locator(".jp-RenderedMarkdown p").first.bounding_box()["width"]
    widths = page.evaluate(
        "[...document.querySelectorAll('.jp-InputArea-editor, .jp-OutputArea-output')]"
        ".map(e => e.getBoundingClientRect().width).filter(w => w > 0)"
    )
    context.close()
    assert widths and min(widths) >= 0.9 * prose, (prose, min(widths))


def test_searching_a_notebook_heading_finds_it_without_a_pilcrow(page) -> None:
    page.goto("")
    search = page.locator("input[data-md-component='search-query']")
    search.click()
    search.press_sequentially("Clean up")
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    titles = page.locator(".md-search-result__item h1, .md-search-result__item h2")
    texts = titles.all_inner_texts()
    assert "Clean up" in texts and not any("¶" in text for text in texts), texts
