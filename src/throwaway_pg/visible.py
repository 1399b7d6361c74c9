"""Text a page or a server chose, as a report shows it: each control character escaped, as
Python writes it in a string (`\\x1b`), never sent to the terminal that shows the report,
where it moved the cursor, erased lines or set the clipboard (OSC 52)."""

import os
import re

__all__ = ["visible", "visible_name"]

# C0 and C1 controls but line feed and tab, DEL, the marks that reorder text shown after
# them (bidirectional overrides, isolates and marks), and the line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with each control character escaped."""
    return _CONTROL.sub(lambda match: repr(match[0])[1:-1], text)


def visible_name(name: str) -> str:
    """A file's name as one line shows it: its control characters, line feeds and bytes
    that are not UTF-8 escaped."""
    return visible(os.fsencode(name).decode(errors="backslashreplace")).replace("\n", "\\n")
