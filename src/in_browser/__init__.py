"""Run in your browser: a page's blocks in a reader's browser, on PostgreSQL (PGlite) and
Python (Pyodide) compiled to WebAssembly, served by the site itself.

  assemble     the runtime (runtime.py), from pinned packages, each checked by its hash
  page_steps   a page's blocks as the worker runs them (steps.py)
The worker's own Python is runner.py; the page's control is the site's (its assets).
"""

from in_browser.runtime import assemble
from in_browser.steps import page_steps

__all__ = ["assemble", "page_steps"]
