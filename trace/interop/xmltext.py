"""Text for XML documents (spreadsheets, SVG): the record grammar allows characters XML 1.0 cannot carry.

The noncharacters U+FFFE and U+FFFF pass the grammar (they are neither controls nor surrogates) but
make an .xlsx or an SVG unreadable; C0 controls other than tab, LF and CR only reach here from rows
older than the grammar. They are dropped from what a document shows, never from a record.
"""

from __future__ import annotations

import re

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Return text without the characters XML 1.0 cannot carry."""
    return NOT_XML.sub("", text)
