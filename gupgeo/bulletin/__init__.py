"""The veille bulletin of a period: a product, like the atlas and the review.

It takes a :class:`~gupgeo.publication.Publication` and draws what the analyses of
:mod:`gupgeo.veille` found (hot spots, repeated problems) for the period.
"""

from __future__ import annotations

from gupgeo.bulletin.build import build_bulletin

__all__ = ["build_bulletin"]
