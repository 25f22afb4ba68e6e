"""A variant: the base scenario with some fields changed, solved under one objective mode.

A variant is identified by a digest of what it *is*, not by where it sits in a run: the base
scenario's sha256, its field changes (a change equal to the base value dropped, numbers
normalised so 2000 and 2000.0 hash alike, paths sorted), the objective mode and
``MODEL_VERSION``. Two design points that resolve to the same content are one variant, solved
once; a stored row stays valid for every later study whose design contains its key.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

# Bump when the formulation, a solver setting or the row schema changes what a variant's row
# holds: every key changes with it, so no stored row is ever taken for a new one.
MODEL_VERSION = "2"  # 2: a miss below 5·10⁻⁷ units counts as 0 (results.DEVIATION_ZERO)


@dataclass(frozen=True)
class Variant:
    """One variant to evaluate.

    ``key``: hex sha256 of the resolved content (see ``variant_key``); ``changes``: field path →
    value (normalised; ``None`` removes the field); ``mode``: the objective mode; ``axes``:
    the design point's axis values (column → value), for messages and logs: rows are a
    function of the key alone and never copy them. ``cold_check``: the evaluator also solves it
    from scratch and records whether the two rows agree (``run.cold_check``, not canonical).
    """

    key: str
    changes: dict[str, object]
    mode: str
    axes: tuple[tuple[str, object], ...] = ()
    cold_check: bool = False  # also solve it from scratch and compare (the runner's choice)

    def __hash__(self) -> int:
        return hash(self.key)


def normalise(value: Any) -> Any:
    """Numbers as plain ints where whole (2000.0 → 2000, −0.0 → 0), floats otherwise; numpy
    scalars as Python ones; mappings and lists recursively."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # a numpy scalar
        if isinstance(value, bool):
            return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        if value.is_integer() and abs(value) < 2**63:
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    raise TypeError(f"cannot use {type(value).__name__} as a field value")


def variant_key(base_sha256: str, changes: dict[str, object], mode: str) -> str:
    """The digest identifying a variant (``changes`` already normalised, base-equal ones
    already dropped)."""
    content = {"base": base_sha256, "changes": sorted([p, v] for p, v in changes.items()),
               "mode": mode, "model_version": MODEL_VERSION}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
