"""Building a million geometries at once without paying for the cyclic garbage collector.

Every shapely geometry is a Python object tracked by the cyclic garbage collector.
Creating a million of them in one call triggers the collector hundreds of times,
and its full passes walk every object already alive, new points included: on 1M
points, ``shapely.points`` takes about 0.6 s with the collector running and 0.1 s
with it paused. Geometries hold no reference cycles, so pausing it while they are
built changes nothing but the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import shapely


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block; restore its state after.

    A collector already paused by the caller stays paused.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``shapely.points(x, y)`` as an object array, the collector paused meanwhile.

    Examples
    --------
    >>> [p.wkt for p in points(np.array([1.0, 2.0]), np.array([3.0, 4.0]))]
    ['POINT (1 3)', 'POINT (2 4)']
    """
    with gc_paused():
        return np.asarray(shapely.points(x, y), dtype=object)
