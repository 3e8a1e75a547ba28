"""Open a gupgeo QGIS project in the real QGIS, headless, and report what QGIS sees.

Run by the *system* Python, the one with Debian's ``python3-qgis`` (QGIS 3.22 LTR),
never by the project's virtualenv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py projet.qgz sortie/

It writes ``sortie/rapport.json``: every layer (valid, feature count, CRS, renderer
classes with their colours, labels), the project CRS and metadata, the atlas (one PDF
per quartier with ``QgsLayoutExporter``, the single PDF's page count, the key-figure text
of each page), a rendered map image (``carte.png``) and its pixel statistics, and the
URLs any layer would fetch. ``tests/test_qgis.py`` asserts on that report; this script
only looks. Standard library, numpy and QGIS only.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path


def _color(symbol) -> str:
    return symbol.color().name().lower() if symbol is not None else ""


def _symbol_colors(symbol) -> list[str]:
    """Colour of each symbol layer (fill, marker, line pattern…)."""
    out = []
    for i in range(symbol.symbolLayerCount()):
        layer = symbol.symbolLayer(i)
        color = layer.color() if layer.color().isValid() else layer.strokeColor()
        out.append(color.name().lower())
    return out


def _network_reachable() -> bool:
    """Whether this process can open a connection to the outside (it should not)."""
    import socket

    try:
        with socket.create_connection(("1.1.1.1", 443), timeout=2):
            return True
    except OSError:
        return False


def renderer_report(renderer) -> dict:
    kind = renderer.type()
    out: dict = {"type": kind}
    if kind == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["classes"] = [
            {"value": str(c.value()) if c.value() is not None else "", "label": c.label(),
             "color": _color(c.symbol()), "layers": _symbol_colors(c.symbol())}
            for c in renderer.categories()
        ]  # fmt: skip
    elif kind == "RuleRenderer":
        out["classes"] = [
            {"filter": r.filterExpression(), "label": r.label(), "color": _color(r.symbol()),
             "layers": _symbol_colors(r.symbol())}
            for r in renderer.rootRule().children()
        ]  # fmt: skip
    elif kind == "singleSymbol":
        out["classes"] = [{"label": "", "color": _color(renderer.symbol()),
                           "layers": _symbol_colors(renderer.symbol())}]  # fmt: skip
    return out


def main(project_path: str, out_dir: str) -> int:
    from qgis.core import (
        QgsApplication,
        QgsLayoutExporter,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProject,
        QgsRectangle,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    ok = project.read(project_path)
    report: dict = {"read": bool(ok), "crs": project.crs().authid(), "layers": {}}
    meta = project.metadata()
    report["metadata"] = {
        "title": meta.title(), "abstract": meta.abstract(), "author": meta.author(),
        "history": list(meta.history()), "keywords": {k: list(v) for k, v in meta.keywords().items()},
    }  # fmt: skip
    report["custom"] = {
        key: project.readEntry("gupgeo", key, "")[0] for key in ("profil", "periode", "projet")
    }
    root = project.layerTreeRoot()
    report["groups"] = {
        group.name(): [child.name() for child in group.children()] for group in root.children()
    }
    urls = []
    for layer_id, layer in project.mapLayers().items():
        source = layer.source()
        urls += re.findall(r"https?://[^\s'\"|]+", source)
        entry = {
            "name": layer.name(), "valid": layer.isValid(), "source": source,
            "provider": layer.providerType(), "crs": layer.crs().authid(),
            "features": int(layer.featureCount()) if layer.isValid() else -1,
            "labels": bool(layer.labelsEnabled()),
            "label_expression": layer.labeling().settings().fieldName
            if layer.labelsEnabled() and layer.labeling() is not None else "",
            "renderer": renderer_report(layer.renderer()) if layer.renderer() else {},
            "visible": bool(root.findLayer(layer_id).isVisible()),
        }  # fmt: skip
        if layer.isValid() and layer.providerType() == "ogr":
            # the same table opened alone: the style stored in the GeoPackage applies
            from qgis.core import QgsVectorLayer

            alone = QgsVectorLayer(source.split("|geometrytype=")[0], "seule", "ogr")
            entry["alone"] = renderer_report(alone.renderer()) if alone.isValid() else {}
        report["layers"][layer_id] = entry
    report["urls"] = urls
    report["network"] = _network_reachable()

    layout = project.layoutManager().layouts()[0] if project.layoutManager().layouts() else None
    if layout is not None:
        atlas = layout.atlas()
        report["layout"] = {"name": layout.name(), "atlas_enabled": atlas.enabled()}
        atlas.beginRender()
        pages = []
        label = layout.itemById("chiffres")
        for i in range(atlas.count()):
            atlas.seekTo(i)
            pages.append({"name": atlas.currentFilename(), "page": atlas.nameForPage(i),
                          "code_qp": atlas.layout().reportContext().feature()["code_qp"],
                          "chiffres": label.currentText() if label else ""})  # fmt: skip
        atlas.endRender()
        report["layout"]["pages"] = pages
        settings = QgsLayoutExporter.PdfExportSettings()
        settings.dpi = 72
        settings.rasterizeWholeImage = False
        result, error = QgsLayoutExporter.exportToPdfs(atlas, str(out / "page.pdf"), settings)
        report["layout"]["pdfs_result"] = int(result)
        report["layout"]["pdfs_error"] = error
        report["layout"]["pdf_files"] = sorted(p.name for p in out.glob("*.pdf"))
        single = out / "atlas.pdf"
        result, error = QgsLayoutExporter.exportToPdf(atlas, str(single), settings)
        report["layout"]["pdf_result"] = int(result)
        text = single.read_bytes() if single.exists() else b""
        report["layout"]["pdf_pages"] = len(re.findall(rb"/Type\s*/Page(?![s\w])", text))
        atlas.beginRender()
        atlas.seekTo(0)
        image = QgsLayoutExporter(layout).renderPageToImage(0, QSize(620, 877))
        image.save(str(out / "atlas_page1.png"))
        atlas.endRender()

    settings = QgsMapSettings()
    visible = [node.layer() for node in root.findLayers() if node.isVisible()]
    settings.setLayers(visible)
    settings.setDestinationCrs(project.crs())
    extent = QgsRectangle()
    for layer in visible:
        if layer.isValid() and layer.name().startswith("Quartiers"):
            extent.combineExtentWith(layer.extent())
    extent.scale(1.1)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(str(out / "carte.png"))
    import numpy as np

    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    pixels = np.frombuffer(ptr, dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = pixels[:, : image.width() * 4].reshape(image.height(), image.width(), 4)
    rgb = pixels[:, :, :3].astype("float64")
    white = (rgb > 250).all(axis=2)
    report["image"] = {
        "width": image.width(), "height": image.height(), "std": float(rgb.std()),
        "non_white_share": float(1 - white.mean()),
        "colors": len(np.unique(pixels[:, :, :3].reshape(-1, 3), axis=0)),
    }  # fmt: skip
    (out / "rapport.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1], sys.argv[2])
    sys.stdout.flush()
    sys.stderr.flush()
    # QGIS 3.22 may crash while tearing its application down: the report is written,
    # so leave without running the Qt destructors.
    os._exit(code)
