"""Review of an aménagement operation against what is known on and around its site.

- :mod:`gupgeo.review.build` — :func:`review_operation`, the entry point.
- :mod:`gupgeo.review.data` — perimeter, windows, counts inside and around it.
- :mod:`gupgeo.review.model` — :class:`OperationReview`, the result (no rendering).
- :mod:`gupgeo.review.html` — the French HTML report rendered from the model.
"""

from __future__ import annotations

from gupgeo.review.build import review_operation
from gupgeo.review.model import OperationReview

__all__ = ["OperationReview", "review_operation"]
