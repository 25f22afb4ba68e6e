"""The scale of a position's deviation: what one unit of normalised deviation is, in the
position's own units (the model weighs deviations by it; validation bounds the resulting
costs). One rule, used by both."""

from __future__ import annotations

from typing import Any

from cfe_opt.scenario.schema import Position

# the multipliers the robustness table tries on each party's weight and on its positions'
# scales (``cfe_opt.analysis.robustness``)
DEFAULT_BAND = (0.5, 2.0)


def position_scales(position: Position) -> tuple[Any, Any]:
    """(s⁻, s⁺): the scale of a shortfall and of an excess.

    1. ``scale`` if given, both sides;
    2. else the distance from the target to the acceptable range's edge on that side
       (so a normalised deviation of 1 is the edge of what the party can accept);
    3. else max(|T|, 1) (a relative deviation).

    No ``float()``: on a tracked scenario the numbers stay tracked, and the comparisons below
    become guards.
    """
    if position.scale is not None:
        return position.scale, position.scale
    fallback = max(abs(position.target), 1.0)
    low = high = fallback
    if position.range is not None:
        if position.range.min is not None and position.range.min < position.target:
            low = position.target - position.range.min
        if position.range.max is not None and position.range.max > position.target:
            high = position.range.max - position.target
    return low, high


def scale_sources(position: Position) -> tuple[str, str]:
    """Where each of (s⁻, s⁺) comes from: ``scale``, the acceptable ``range``, or the
    ``default`` max(|T|, 1) — an assumption wherever it decides an answer."""
    if position.scale is not None:
        return "scale", "scale"
    low = high = "default"
    if position.range is not None:
        if position.range.min is not None and position.range.min < position.target:
            low = "range"
        if position.range.max is not None and position.range.max > position.target:
            high = "range"
    return low, high
