"""The "Run in your browser" control, clicked as a reader clicks it: the site served under a
sub-path as GitHub Pages serves a project, the tutorial's pages followed by their Next links
(one worker, one project), then the setup guide. Chromium's only way out is a proxy that
refuses and logs every request: any request to another host fails the run."""

import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, Route

from in_browser.steps import tally
from tests.site.served import chromium
from tests.site_tree import ROOT, load_config

PAGES = load_config(str(ROOT / "mkdocs.yml"))["extra"]["run_in_browser"]
DONE = re.compile(r"^(Done|Stopped)")
COLD_START = 300_000  # ms: two busy cores, nothing cached


class Refusing(BaseHTTPRequestHandler):
    """A proxy that refuses everything and remembers what it was asked for."""

    asked: list[str] = []

    def _refuse(self) -> None:
        self.asked.append(f"{self.command} {self.path}")
        self.send_error(403)

    do_GET = do_POST = do_HEAD = do_CONNECT = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy() -> Iterator[list[str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Refusing.asked = []
    yield server
    server.shutdown()


def results(page: Page) -> dict[int, list[tuple[str, str]]]:
    """Each block's results, by its line on the page: (verdict, the block's results as text)
    per command."""
    found: dict[int, list[tuple[str, str]]] = {}
    for box in page.query_selector_all(".in-browser-result"):
        verdicts = box.query_selector_all(".in-browser-verdict")
        line = int(box.get_attribute("data-line") or 0)
        classes = [v.get_attribute("class").split()[-1] for v in verdicts]
        found[line] = [(verdict, box.text_content()) for verdict in classes]
    return found


def run(page: Page) -> str:
    page.click("button.in-browser-run")
    page.wait_for_function(
        "document.querySelector('.in-browser-status').textContent.match(/^(Done|Stopped)/)",
        timeout=COLD_START,
    )
    return page.text_content(".in-browser-status")


def typed(page: Page, line: str) -> str:
    page.fill(".in-browser-own input", line)
    page.click(".in-browser-own button[type=submit]")
    # After a reload the runtime starts cold first: as long as a first run may take.
    page.wait_for_selector(".in-browser-typed > *", timeout=COLD_START)
    text = page.inner_text(".in-browser-typed")  # a table's cells tab-separated
    page.evaluate("document.querySelector('.in-browser-typed').replaceChildren()")
    return text


def next_page(page: Page) -> None:
    """The footer's next page, by instant navigation (the same worker), once its content is
    in: the address changes first, and a command typed before the swap went to the form of
    the page before, whose output the swap then removed (a timeout on a busy machine)."""
    before = page.get_attribute("#in-browser-steps", "data-page")
    page.click("a.md-footer__link--next")
    page.wait_for_function(
        """(before) => {
          const data = document.getElementById("in-browser-steps");
          const form = document.querySelector("article .in-browser-own");
          return data && data.dataset.page !== before && form;
        }""",
        arg=before,
        timeout=COLD_START,
    )


def steps(page: Page) -> dict:
    return json.loads(page.get_attribute("#in-browser-steps", "data-page"))


@pytest.fixture(scope="module")
def browser(proxy) -> Iterator:
    """Chromium whose only way to another host is the refusing proxy (loopback, where the
    site is served, goes direct)."""
    with chromium(f"--proxy-server=http://127.0.0.1:{proxy.server_port}") as browser:
        yield browser


@pytest.fixture(scope="module")
def walk(browser, project_pages: str) -> Iterator[dict]:
    """The tutorial's pages in order, then the setup guide with one shown output changed:
    for each, its steps, its results, its status line; and what SQL found on the way."""
    context = browser.new_context(base_url=project_pages)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    walked: dict = {"pages": {}, "sql": {}, "errors": errors}
    page.goto("tutorial/database-url/")
    for uri in [uri for uri, project in PAGES.items() if project == "tutorial"]:
        assert page.url.endswith(uri.removesuffix(".md") + "/")
        if uri == RELOADED:
            walked["heads"] = [typed(page, "alembic heads")]
            page.reload()  # a new worker: the project and database come from IndexedDB
            walked["heads"].append(typed(page, "alembic heads"))
        status = run(page)
        walked["pages"][uri] = (steps(page), results(page), status)
        if uri == "tutorial/upgrade-and-downgrade.md":
            typed(page, "alembic upgrade head")
            walked["sql"]["users"] = typed(page, USERS_COLUMNS)
            typed(page, "alembic downgrade base")  # as the page left it, for the next
        next_page(page)
    page.route("**/setup-guide/", _changed_output)
    page.goto("setup-guide/")
    status = run(page)
    walked["pages"]["setup-guide.md"] = (steps(page), results(page), status)
    walked["sql"]["tables"] = typed(page, TABLES)
    page.click("button.in-browser-reset")
    page.wait_for_function(  # a new database: as long as a cold start may take
        "document.querySelector('.in-browser-status').textContent.match(/^A new/)",
        timeout=COLD_START,
    )
    walked["sql"]["after reset"] = typed(page, TABLES)
    context.close()
    yield walked


RELOADED = "tutorial/moving-between-revisions.md"  # run after a reload
USERS_COLUMNS = (
    "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
    "WHERE table_name = 'users' ORDER BY ordinal_position"
)
TABLES = (
    "SELECT string_agg(table_name, ' ' ORDER BY table_name) "
    "FROM information_schema.tables WHERE table_schema = 'public'"
)
CHANGED = html.escape("Running downgrade 1975ea83b712 -> , create users table")


def _changed_output(route: Route) -> None:
    """The setup guide with one shown output changed: the browser must say it differs."""
    body = route.fetch().text()
    assert CHANGED in body
    route.fulfill(body=body.replace(CHANGED, CHANGED + " (changed)"), content_type="text/html")


def test_every_block_the_browser_runs_prints_what_the_page_shows(walk: dict) -> None:
    for uri, (page_steps, found, status) in walk["pages"].items():
        assert status.startswith("Done, on PostgreSQL 18.6"), (uri, status)
        for step in page_steps["steps"]:
            if step["kind"] in ("shown", "project") or changed(step):
                continue
            verdicts = [verdict for verdict, _ in found.get(step["line"], [])]
            expected = {"differs"} if step.get("differs") else {"as-recorded", "terminal", "ran"}
            assert verdicts and set(verdicts) <= expected, (uri, step["line"], found[step["line"]])
    assert not walk["errors"]


def changed(step: dict) -> bool:
    return any("(changed)" in command["expected"] for command in step.get("commands", []))


def test_a_changed_output_is_shown_as_differing(walk: dict) -> None:
    page_steps, found, _ = walk["pages"]["setup-guide.md"]
    (step,) = [step for step in page_steps["steps"] if changed(step)]
    assert [verdict for verdict, _ in found[step["line"]]] == ["differs"]


def test_the_tutorial_s_table_is_in_postgresql_in_the_browser(walk: dict) -> None:
    rows = [line.split("\t") for line in walk["sql"]["users"].splitlines()]
    assert rows == [
        ["column_name", "data_type", "is_nullable"],
        ["id", "integer", "NO"],
        ["age", "integer", "YES"],
        ["first_name", "character varying", "YES"],
        ["last_name", "character varying", "YES"],
    ]
    # the setup guide's project is a new one: the tutorial's tables went with the old one
    assert walk["sql"]["tables"].splitlines() == ["string_agg", "alembic_version"]
    assert walk["sql"]["after reset"].splitlines() == ["string_agg"]  # no table at all


def test_a_reload_keeps_the_reader_s_project(walk: dict) -> None:
    before, after = walk["heads"]
    assert before == after
    assert "(head)" in after and "1975ea83b712" not in after  # the reader's own id


def test_psql_and_the_shell_are_left_to_the_terminal(walk: dict) -> None:
    for uri, (page_steps, found, _) in walk["pages"].items():
        for step in page_steps["steps"]:
            for command, (verdict, _) in zip(
                step.get("commands", []), found.get(step.get("line", 0), []), strict=False
            ):
                runs_here = re.match(r"^((env -u \w+|\w+=\S+) )*alembic ", command["line"])
                assert (verdict == "terminal") == (not runs_here or "|" in command["line"]), (
                    uri,
                    command["line"],
                )


# What Debian's Chromium asks for itself, even for about:blank and with background
# networking off: its account, update and autofill services.
CHROMIUM_SERVICES = re.compile(
    r"^(CONNECT |\w+ http://)(accounts\.google\.com|clients2\.google\.com|"
    r"update\.googleapis\.com|content-autofill\.googleapis\.com)[:/]"
)


def test_nothing_is_asked_of_another_host(walk: dict, proxy) -> None:
    asked = sorted({line for line in Refusing.asked if not CHROMIUM_SERVICES.match(line)})
    assert "\n".join(asked) == ""


def test_how_it_works_counts_what_the_browser_did(walk: dict) -> None:
    """Its table's terminal column is the count of lines the browser left to the terminal."""
    for uri, (page_steps, found, _) in walk["pages"].items():
        left = sum(verdict == "terminal" for verdicts in found.values() for verdict, _ in verdicts)
        assert tally(page_steps["steps"])["terminal"] == left, uri
