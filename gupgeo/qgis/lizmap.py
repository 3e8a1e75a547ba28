"""The Lizmap sidecar (``<projet>.qgs.cfg``): layers, popups and the atlas, as JSON.

Lizmap Web Client publishes a QGIS project with the JSON configuration its QGIS plugin
writes beside it. This one sets what a GUP team publishes: each layer with its French
title and group, popups from the layer's map tip (``popupSource: qgis``), the quartiers
as the atlas layer (one feature at a time, named by its display name) and the atlas
layout offered for printing. Keys follow the plugin's configuration format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gupgeo.qgis.figures import NAME_FIELD
from gupgeo.qgis.layers import ProjectLayer


def lizmap_config(
    layers: Sequence[ProjectLayer], *, title: str, layout: str, extent: Sequence[float]
) -> dict[str, Any]:
    """The Lizmap configuration of the project's ``layers`` (JSON-ready)."""
    quartiers = next(layer for layer in layers if layer.layer_id.startswith("quartiers_p"))
    return {
        "metadata": {
            "lizmap_plugin_version": "3.18.0",
            "lizmap_web_client_target_version": 30600,
            "project_valid": True,
            "qgis_desktop_version": 32200,
        },
        "options": {
            "projection": {"ref": "EPSG:2154"},
            "bbox": [str(v) for v in extent],
            "initialExtent": [float(v) for v in extent],
            "mapScales": [1000, 2500, 5000, 10000, 25000, 50000],
            "minScale": 1000,
            "maxScale": 50000,
            "hideProject": "False",
            "tmTimeFrameSize": 10,
            "popupLocation": "dock",
            "pointTolerance": 25,
            "lineTolerance": 10,
            "polygonTolerance": 5,
        },
        "layers": _layers(layers),
        "atlas": {
            "layers": [
                {
                    "layer": quartiers.layer_id,
                    "primaryKey": "code_qp",
                    "displayLayerDescription": "False",
                    "featureLabel": NAME_FIELD,
                    "sortField": NAME_FIELD,
                    "highlightGeometry": "True",
                    "zoom": "zoom",
                    "displayPopup": "True",
                    "triggerFilter": "True",
                    "duration": 5,
                }
            ]
        },
        "layouts": {
            "config": {"default_popup_print": False},
            "list": [
                {
                    "layout": layout,
                    "enabled": True,
                    "allowed_groups": [],
                    "formats_available": ["pdf"],
                    "default_format": "pdf",
                    "dpi_available": ["100", "300"],
                    "default_dpi": "100",
                }
            ],
        },
    }


def _layers(layers: Sequence[ProjectLayer]) -> dict[str, Any]:
    """Each layer, with its popup and visibility, and each group."""
    out: dict[str, Any] = {
        layer.name: {
            "id": layer.layer_id,
            "name": layer.name,
            "type": "layer",
            "title": layer.name,
            "abstract": "",
            "link": "",
            "popup": "True",
            "popupSource": "qgis",
            "popupTemplate": "",
            "popupMaxFeatures": 10,
            "toggled": "True" if layer.visible else "False",
            "group_visibility": [],
            "singleTile": "True",
            "cached": "False",
            "geometryType": layer.kind,
        }
        for layer in layers
    }
    out |= {
        group: {
            "id": group,
            "name": group,
            "type": "group",
            "title": group,
            "abstract": "",
            "link": "",
            "toggled": "True",
            "popup": "False",
        }
        for group in dict.fromkeys(layer.group for layer in layers)
        if group not in {layer.name for layer in layers}  # a layer's own name wins
    }
    return out
