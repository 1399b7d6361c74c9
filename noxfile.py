"""Every command a contributor needs. `nox -s tests` is what CI runs."""

import os
import shutil
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent))
from tests.tools import load  # noqa: E402 (the tools' loader, with the repository on the path)

matrix_tool = load("matrix")  # its combinations are the matrix sessions

# ProperDocs reads mkdocs.yml (Zensical and editors know that name); naming it keeps
# ProperDocs from suggesting a rename on every run.
BUILD = ("properdocs", "build", "-f", "mkdocs.yml")
SERVE = ("properdocs", "serve", "-f", "mkdocs.yml")

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"
# virtualenv seeds pip itself: Debian's Python has no ensurepip without python3-venv.
nox.options.default_venv_backend = "virtualenv"


def lint_code(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """Ruff, then every test and every docs block, against a throwaway PostgreSQL: what CI
    runs."""
    if not session.posargs and not (shutil.which("chromium") or shutil.which("chromium-browser")):
        session.error(  # one line, not a hundred skipped tests at the end
            "the browser tests need Chromium: apt-get install chromium (Debian, Ubuntu) or "
            "brew install --cask chromium (macOS), or run without them "
            "(python3 dev.py tests --ignore-glob='*browser.py')"
        )
    session.install("-e", ".[test,docs]")
    lint_code(session)
    session.run("pytest", "-n", "auto", *session.posargs)
    # CI then runs the pages on every other combination of versions and fails where one
    # fares otherwise than the record says (the suite itself runs the pinned versions).
    # GitHub runs them as matrix jobs instead, in parallel.
    if os.environ.get("CI") and not os.environ.get("GITHUB_ACTIONS"):
        for name in sorted(matrix_tool.COMBINATIONS.keys() - {matrix_tool.PINNED}):
            session.notify(f"matrix(combination='{name}')", posargs=["--check"])


@nox.session
def lint(session: nox.Session) -> None:
    """`ruff check` and `ruff format --check`."""
    session.install("ruff==0.17.6")
    lint_code(session)


@nox.session
def update(session: nox.Session) -> None:
    """Rewrites every output shown on the pages and notebooks, their failure markers and
    provenance lines, the notebooks' copies of `examples/` and the manifest, from a real
    run; review the diff.

    Pages are rendered as the site renders them, hence the docs extra."""
    session.install("-e", ".[test,docs]")
    rewrite_outputs(session, *session.posargs)


def rewrite_outputs(session: nox.Session, *args: str) -> None:
    session.run("jupytext", "--sync", *Path("notebooks").glob("*.ipynb"))
    session.run(
        "pytest",
        "docs",
        "tests/site/notebooks/test_notebooks.py",
        "tests/site/test_docs_lint.py",
        "--update-docs",
        "--update-examples",  # pytest-examples formats the Python blocks
        # What a reader's terminal shows, faster: the executors' tests prove it the same
        # (tests/harness/docs_runner/test_executors.py).
        "--docs-executor=in-process",
        *args,
    )


@nox.session
def bump(session: nox.Session) -> None:
    """Moves a pinned library to a new version (`-- alembic==1.21.0`) everywhere it is
    pinned, then rewrites every output and reruns the matrix; review the diff."""
    if len(session.posargs) != 1:
        session.error("bump: name one pin, e.g. nox -s bump -- alembic==1.21.0")
    session.run("python", "tools/bump.py", *session.posargs)
    session.install("-e", ".[test,docs]")
    rewrite_outputs(session)
    session.run("python", "tools/matrix.py", matrix_tool.PINNED)
    for name in matrix_tool.COMBINATIONS:
        if name != matrix_tool.PINNED:
            session.notify(f"matrix(combination='{name}')")


@nox.session
def lab(session: nox.Session) -> None:
    """Jupyter Lab on `notebooks/`, with `DATABASE_URL` set to a database on a throwaway
    PostgreSQL, or on the server `THROWAWAY_PG_URL` names."""
    session.install("-e", ".[test,lab]")
    session.run("python", "tools/lab.py", *session.posargs)


@nox.session
def db(session: nox.Session) -> None:
    """A throwaway PostgreSQL for following the pages in your own terminal: prints the
    `DATABASE_URL` of a database `tutorial` (and `PATH`, for its `psql`) to paste, removes
    the server at Ctrl-C; `-- reporting` also makes a database `reporting`, in
    `REPORTING_DATABASE_URL`."""
    session.install("-e", ".")
    session.run("python", "-m", "throwaway_pg", "--database", "tutorial", *session.posargs)


@nox.session
def watch(session: nox.Session) -> None:
    """Re-verifies a page each time it, or an `examples/` file it shows, is saved, and prints
    the diff; beside `serve`, a failing page says so at its top."""
    session.install("-e", ".[test,docs]")
    session.run("python", "-m", "docs_runner.watch")


@nox.session
def docs(session: nox.Session) -> None:
    """`properdocs build --strict` (ProperDocs, the maintained fork of MkDocs 1.6): the
    site into `site/`, failing on any warning."""
    session.install("-e", ".[docs]")
    session.run(*BUILD, "--strict", *session.posargs)


@nox.session
def serve(session: nox.Session) -> None:
    """The site on <http://127.0.0.1:8000>, reloaded as you edit."""
    session.install("-e", ".[docs]")
    session.run(*SERVE, *session.posargs)


@nox.session
def links(session: nox.Session) -> None:
    """The site's external links too (needs the network; not part of the tests).

    Internal links and anchors are checked offline by the tests (--strict and
    tests/site/test_site.py)."""
    session.install("-e", ".[docs]", "linkchecker==10.6.0")
    session.run(*BUILD, "--strict")
    session.run("linkchecker", "--check-extern", "--verbose", "site/index.html")


@nox.session
def mutate(session: nox.Session) -> None:
    """The docs' mutation test: changes a page, an example or a notebook, one small change
    at a time, and reports what the tests miss (`-- --count N --seed S --jobs J`), into the
    table on How it works."""
    session.install("-e", ".[test,docs]")
    session.run("python", "tools/mutate.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The harness's speed on this machine (`-- --quick` for fewer runs), into the table on
    How it works; `-- --browser`: "Run in your browser"'s figures alone, into theirs."""
    session.install("-e", ".[test,docs]")
    session.run("python", "tools/bench.py", *session.posargs)


@nox.session
@nox.parametrize("combination", list(matrix_tool.COMBINATIONS))
def matrix(session: nox.Session, combination: str) -> None:
    """Every page and notebook on one combination of versions (`nox -s matrix`: all of
    them), recorded for the Versions page in `docs/versions.json`; `-- --check` writes
    nothing and fails where a page fares otherwise than the record says (CI)."""
    session.install("-e", ".[test,docs]")
    chosen = matrix_tool.COMBINATIONS[combination]
    if chosen.removes:
        session.run("pip", "uninstall", "--yes", *chosen.removes)
    if chosen.installs:  # over the pins
        session.install(*chosen.installs)
    session.run("python", "tools/matrix.py", combination, *session.posargs)
