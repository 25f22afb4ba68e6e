"""Pausing Python's cyclic garbage collector while a large structure is built or read.

A scenario, its model and its result tables are many small objects with no cycles to collect.
At a few thousand parties the collector's repeated full passes over the objects already alive
cost more than the work itself (a 3,000-party solve: the stage plan 7.6 s of CPU with it, 1.9 s
without). Freed objects are still freed at once (reference counting); cycles made meanwhile
are collected at the first pass after the block.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def objects_not_collected() -> Iterator[None]:
    """The cyclic collector paused for the block (restored as it was; blocks may nest).

    Leaving the outermost block, the objects made in it go straight to the oldest generation
    (``gc.freeze`` then ``gc.unfreeze``: two list splices) instead of being scanned by the first
    young-generation pass after it — at 3,000 parties a pass over 1.8 million objects, 0.57 s.
    Cycles among them are still collected, at the next full collection."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
