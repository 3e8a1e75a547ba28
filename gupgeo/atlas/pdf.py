"""Optional PDF of the atlas: one file per quartier and ``atlas.pdf`` with every page.

The PDF is the print view of the HTML pages (A4 stylesheet, static SVG maps instead of
the interactive ones, SVG charts), laid out by WeasyPrint — a pure-Python HTML/CSS
renderer from PyPI (it needs the system's Pango library, present on Debian desktops and
servers). Nothing is fetched: pages, images and styles are read from the atlas folder.

Every file is a tagged PDF in WeasyPrint's PDF/UA-1 variant (:data:`PDF_OPTIONS`): a
structure tree (headings, tables, lists, figures with their text alternative) that
screen readers follow, ``/MarkInfo`` marked, the language of the page (``<html
lang="fr">``) and its ``<title>`` as the document title, shown in the window's title bar.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gupgeo.atlas._pages import PageResult
from gupgeo.atlas.naming import BOOK_STEM
from gupgeo.errors import GupgeoError

logger = logging.getLogger(__name__)

PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}
"""Tagged PDF (PDF/UA-1): structure tree, language, title (WeasyPrint ≥ 62)."""


class PdfUnavailableError(GupgeoError, ImportError):
    """WeasyPrint (or the Pango library it uses) is not installed."""


def _weasyprint() -> Any:
    from gupgeo.optional import MissingDependencyError, require

    try:
        require("pdf", why="le PDF de l'atlas (pdf=True, --pdf)", load=True)
    except MissingDependencyError as exc:
        raise PdfUnavailableError(f"{exc} Ou construisez l'atlas sans PDF.") from exc
    import weasyprint

    return weasyprint


def write_pdfs(root: Path, results: Sequence[PageResult]) -> list[Path]:
    """Write ``pdf/<page>.pdf`` for every page built and ``pdf/atlas.pdf`` (index first)."""
    weasyprint = _weasyprint()
    start = time.perf_counter()
    folder = root / "pdf"
    folder.mkdir(exist_ok=True)
    written: list[Path] = []
    index = weasyprint.HTML(filename=str(root / "index.html")).render()
    documents = [index]
    for result in results:
        if not result.ok:
            continue
        page = root / result.href
        document = weasyprint.HTML(filename=str(page)).render()
        target = folder / f"{page.stem}.pdf"
        document.write_pdf(str(target), **PDF_OPTIONS)
        written.append(target)
        documents.append(document)
    pages = [p for document in documents for p in document.pages]
    atlas = folder / f"{BOOK_STEM}.pdf"
    index.copy(pages).write_pdf(str(atlas), **PDF_OPTIONS)
    written.insert(0, atlas)
    logger.info(
        "PDF : %d fichier(s), %d page(s) A4 en %.1f s",
        len(written),
        len(pages),
        time.perf_counter() - start,
    )
    return written
