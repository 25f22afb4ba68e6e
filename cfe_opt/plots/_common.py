"""Small shared helpers for the figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes


def axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.5)) -> Axes:
    """The given axes, or a new figure's."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=size, layout="constrained")
    return new
