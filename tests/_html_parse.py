"""Parse generated HTML with the standard library: links, indicators, tables, texts.

Used by the atlas and review tests to check pages the way a reader sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REMOTE_PREFIXES = ("http://", "https://", "//", "ftp://")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def squash(text: str) -> str:
    """Collapse ASCII whitespace only: French narrow no-break spaces are content."""
    return _SPACES.sub(" ", text).strip()


@dataclass
class Page:
    """What a page contains, as parsed."""

    title: str = ""
    h1: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    """(tag, url) for every href/src/srcdoc-free reference."""
    indicators: list[tuple[str, str, str]] = field(default_factory=list)
    """(data-indicator, data-value, text) of every element carrying an indicator."""
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    """Rows (cell texts) of every table with ``data-table`` or ``data-list``, by that key."""
    table_values: dict[str, list[list[str]]] = field(default_factory=dict)
    """Same rows, with each cell's ``data-value`` (or its text when it has none)."""
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._capture: str | None = None
        self._buffer: list[str] = []
        self._indicator: tuple[str, str] | None = None
        self._table: str | None = None
        self._in_body = False
        self._row: list[str] | None = None
        self._row_values: list[str] | None = None
        self._cell_value: str | None = None
        self._texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "src"):
            if key in a and tag in ("a", "link", "script", "img", "iframe"):
                self.page.links.append((tag, a[key]))
        if tag in ("script", "style"):
            self._skip += 1
        if (tag == "title" and not self.page.title) or (tag == "h1" and not self.page.h1):
            self._capture, self._buffer = tag, []  # the document's, not an SVG <title>
        if "data-indicator" in a and tag not in ("td", "th"):
            self._indicator = (a["data-indicator"], a.get("data-value", ""))
            self._buffer = []
        if tag == "table":
            self._table = a.get("data-table") or a.get("data-list")
            if self._table:
                self.page.tables.setdefault(self._table, [])
                self.page.table_values.setdefault(self._table, [])
        if tag in ("tbody", "tfoot"):
            self._in_body = True
        if tag == "tr" and self._table and self._in_body:
            self._row, self._row_values = [], []
        if tag in ("td", "th") and self._row is not None:
            self._buffer = []
            self._cell_value = a.get("data-value")
            if "data-indicator" in a:
                self._indicator = (a["data-indicator"], a.get("data-value", ""))

    def handle_endtag(self, tag: str) -> None:
        text = squash("".join(self._buffer))
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag == self._capture:
            setattr(self.page, "title" if tag == "title" else "h1", text)
            self._capture = None
        if tag in ("td", "th") and self._row is not None and self._row_values is not None:
            self._row.append(text)
            self._row_values.append(self._cell_value if self._cell_value is not None else text)
        if self._indicator is not None and tag in ("dd", "td", "th", "span", "div"):
            self.page.indicators.append((*self._indicator, text))
            self._indicator = None
        if tag == "tr" and self._row is not None and self._table:
            self.page.tables[self._table].append(self._row)
            self.page.table_values[self._table].append(self._row_values or [])
            self._row = self._row_values = None
        if tag in ("tbody", "tfoot"):
            self._in_body = False
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        self._buffer.append(data)
        if not self._skip:
            self._texts.append(data)


def parse(path: Path) -> Page:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    parser.page.text = squash(" ".join(parser._texts))
    return parser.page


def is_remote(url: str) -> bool:
    return url.lower().startswith(REMOTE_PREFIXES)


def local_target(page_path: Path, url: str) -> Path | None:
    """The file a relative URL points to (None for anchors and data: URIs)."""
    if not url or url.startswith(("#", "data:", "javascript:", "mailto:")):
        return None
    clean = url.split("#", 1)[0].split("?", 1)[0]
    if not clean:
        return None
    return (page_path.parent / clean).resolve()
