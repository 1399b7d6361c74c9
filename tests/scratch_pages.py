"""Small pages in a scratch pytest project, as the runner's own tests write and run them
(the project itself is the `project` fixture, tests/conftest.py)."""

import contextlib
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from throwaway_pg import identities

ROOT = Path(__file__).parent.parent
# As root, the pages' lines run as `nobody`: what only then happens is tested only then.
AS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0, reason="pages' lines run as another user only as root"
)
GOOD = """
# A page that passes

<!-- norun: an illustration -->
```text
not executed
```

=== "A tab"

    ```console
    $ echo "tabs are run too"
    tabs are run too
    ```

```python title="notes/note.txt"
--8<-- "note.txt"
```

```console
$ cat notes/note.txt
a note
```

```python
greeting = "hello"
print(greeting, "from", "python")
```

```text title="Output"
hello from python
```
"""

MISMATCH = """
# A page whose output drifted

=== "Tab"

    ```console
    $ echo hello
    goodbye
    ```

```console
$ echo after
after
```
"""


def page(text: str, line: str) -> str:
    """The page with its provenance line under the title."""
    title, rest = textwrap.dedent(text).lstrip().split("\n", 1)
    return f"{title}\n\n{line}\n{rest}"


def mkdocs_yml() -> str:
    site = (ROOT / "mkdocs.yml").read_text()  # pages are rendered as the site renders them
    extensions = site[site.index("markdown_extensions:") : site.index("\nvalidation:")]
    return f"site_name: pages\n{extensions}\n"


def write(project: pytest.Pytester, name: str, text: str) -> Path:
    path = project.path / f"docs/{name}.md"
    path.write_text(text)
    return path


def run(project: pytest.Pytester, text: str, recorded: str, *args: str) -> pytest.RunResult:
    write(project, "page", page(text, recorded))
    return project.runpytest_inprocess("docs/page.md", *args)


@contextlib.contextmanager
def readers_folder() -> Iterator[Path]:
    """A folder the pages' reader (as root: identities.for_pages) may write in, whose files
    the test reads after the run: not in /tmp's world-writable folders, whose files of the
    reader's the run's end removes."""
    outer = Path(tempfile.mkdtemp())
    try:
        outer.chmod(0o755)
        (folder := outer / "readers").mkdir()
        if (reader := identities.for_pages()) is not None:
            os.chown(folder, reader.uid, reader.gid)
        yield folder
    finally:
        shutil.rmtree(outer)
