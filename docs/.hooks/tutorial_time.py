"""How long the tutorial takes, counted from its pages (mkdocs.yml's `extra.run_in_browser`
entries whose project is `tutorial`, in order) where a page writes `<!-- tutorial-time -->`:
its words to read, and the `$` lines and file and Python blocks to copy and run, as the
browser's control counts them (in_browser.steps.tally)."""

from __future__ import annotations

import re
from pathlib import Path

from docs_runner import claims
from in_browser.steps import page_steps, tally

MARKER = "<!-- tutorial-time -->"
WORDS_A_MINUTE = 238  # adults' silent reading of non-fiction: Brysbaert (2019), 190 studies
STEPS_A_MINUTE = 2  # a command or block copied, run, and its output looked at
PROVENANCE = re.compile(r"^Outputs recorded on .*$", re.MULTILINE)
NOT_READ = re.compile(r"<!--.*?-->|\]\([^)]*\)", re.DOTALL)  # directives, link targets
WORD = re.compile(r"\w+(?:['’]\w+)*")


def words(text: str) -> int:
    """The words of a page's prose: not its code blocks, directives or link targets."""
    prose = (part.text for part in claims.parts(text, None) if not part.fence)
    return sum(len(WORD.findall(NOT_READ.sub(" ", PROVENANCE.sub("", p)))) for p in prose)


def sentence(pages: list[Path], examples: Path) -> str:
    read = sum(words(page.read_text()) for page in pages)
    counts = [tally(page_steps(page, examples)) for page in pages]
    commands = sum(c["runs"] + c["terminal"] for c in counts)
    blocks = sum(c["blocks"] for c in counts)
    minutes = read / WORDS_A_MINUTE + (commands + blocks) / STEPS_A_MINUTE
    return (
        f"The tutorial's {len(pages)} pages take about {5 * round(minutes / 5)} minutes: "
        f"{read:,} words to read, at {WORDS_A_MINUTE} a minute (adults' average), and "
        f"{commands} commands and {blocks} files or Python blocks to copy and run, at "
        f"{60 // STEPS_A_MINUTE} seconds each."
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    docs = Path(config["docs_dir"])
    pages = config["extra"]["run_in_browser"]
    tutorial = [docs / uri for uri, project in pages.items() if project == "tutorial"]
    return markdown.replace(MARKER, sentence(tutorial, docs.parent / "examples"))
