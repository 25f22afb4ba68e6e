"""How numbers, units and names read: one format for every table, line and figure label.

* ``fmt``: one number format everywhere — whole numbers with thousands separators
  (``1,380``), others to two decimals from 10 up (``1,633.14``) and four significant digits
  below (``0.1834``, ``0.006536``); no value (NaN) is empty, infinities are ``∞`` / ``−∞``.
* ``unit_of``: the unit a quantity counts in, from the equipment categories it sums (``ACVs``,
  ``tanks``; ``tanks + artillery`` for a sum over several categories).
* ``party_name``: a party's name as the scenario gives it (without a trailing parenthesis),
  or its code; ``side_name`` for a side written ``TUR+NOR``.
* ``render_table``: a DataFrame as plain text with one header line (index columns first,
  repeated index values blank), every number through ``fmt``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (imported by the functions that take tables: text alone needs none)
    import pandas as pd

UNIT = {"tanks": "tanks", "acv": "ACVs", "artillery": "artillery pieces",
        "combat_aircraft": "combat aircraft", "attack_helicopters": "attack helicopters"}
UNIT_ONE = {"tanks": "tank", "acv": "ACV", "artillery": "artillery piece",
            "combat_aircraft": "combat aircraft", "attack_helicopters": "attack helicopter"}
SHORT = {"tanks": "tanks", "acv": "ACVs", "artillery": "artillery",
         "combat_aircraft": "aircraft", "attack_helicopters": "helicopters"}
GENERIC_UNIT = "items of equipment"


def fmt(value: Any) -> str:
    """A number in the one format of every output (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value == 0:
            return "0"
        if value.is_integer():
            return f"{value:,.0f}"
        if abs(value) >= 10:
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
            return text
        return f"{value:.4g}"
    try:  # numpy scalars
        import numpy as np

        if isinstance(value, np.bool_):
            return fmt(bool(value))
        if isinstance(value, np.integer):
            return fmt(int(value))
        if isinstance(value, np.floating):
            return fmt(float(value))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    pandas = sys.modules.get("pandas")  # (no pandas loaded: no pandas.NA to meet)
    if pandas is not None and value is pandas.NA:
        return ""
    return str(value)


def fmt_signed(value: float) -> str:
    """A change: ``+253.14``, ``−620``, ``0``."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    text = fmt(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


def category_unit(category: str, count: float | None = None) -> str:
    """The unit of one category: ``ACVs`` (``ACV`` for a count of one)."""
    if count is not None and abs(count) == 1:
        return UNIT_ONE.get(category, category)
    return UNIT.get(category, category)


def category_one(unit: str) -> str:
    """One of a unit (``ACVs`` → ``ACV``, ``tanks + artillery`` → ``item (tanks +
    artillery)``)."""
    singular = {v: UNIT_ONE[k] for k, v in UNIT.items()}
    if unit in singular:
        return singular[unit]
    if "+" in unit:
        return f"item ({unit})"
    if unit == GENERIC_UNIT:
        return "item of equipment"
    return unit.rstrip("s") if unit.endswith("s") else (unit or "unit")


def unit_of(categories: Iterable[str]) -> str:
    """The unit of a sum over ``categories``: one category's own unit, else the categories
    joined by ``+`` (short names), else ``items of equipment``."""
    found = list(dict.fromkeys(categories))
    if len(found) == 1:
        return category_unit(found[0])
    if not found:
        return GENERIC_UNIT
    return " + ".join(SHORT.get(c, c) for c in found)


def form_categories(form: Mapping[tuple, float]) -> list[str]:
    """The categories a linear form over model variables counts (its keys' category part)."""
    out: list[str] = []
    for key in form:
        category = key[4] if key and key[0] == "equipment" else key[-1]
        if category not in out:
            out.append(str(category))
    return out


def with_unit(value: float, unit: str) -> str:
    """``1,380 ACVs``; a count of one takes the singular where the unit has one."""
    if isinstance(value, float) and math.isnan(value):
        return "—"
    singular = {v: UNIT_ONE[k] for k, v in UNIT.items()}
    if abs(value) == 1 and unit in singular:
        return f"{fmt(value)} {singular[unit]}"
    return f"{fmt(value)} {unit}"


def party_name(code: str, names: Mapping[str, str] | None) -> str:
    """The party's name (as the scenario gives it, a trailing parenthesis left out), else its
    code."""
    name = (names or {}).get(code) or code
    if name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return name


def side_name(side: str | Sequence[str], names: Mapping[str, str] | None) -> str:
    """A side (``TUR+NOR``) by its parties' names: ``Turkey + Norway``."""
    refs = side.replace(",", "+").split("+") if isinstance(side, str) else list(side)
    return " + ".join(party_name(r.strip(), names) for r in refs if r.strip())


def scenario_names(scenario: Any) -> dict[str, str]:
    """Every party's and group's display name, by code (plain data, for table attrs)."""
    spec = scenario.spec
    names = {code: (party.name or code) for code, party in spec.parties.items()}
    for code, group in spec.groups.items():
        names.setdefault(code, getattr(group, "name", None) or code)
    return names


def figure_context(scenario: Any) -> dict[str, Any]:
    """What a figure needs to know of its scenario, as table attrs: the scenario's name, the
    parties in scenario order (each keeps one colour in every figure) and their names."""
    return {"scenario": " ".join(str(scenario.name).split()),
            "party_order": list(scenario.spec.parties),
            "party_names": {code: (party.name or code)
                            for code, party in scenario.spec.parties.items()}}


def render_table(frame: pd.DataFrame, indent: str = "  ",
                 formats: Mapping[str, Any] | None = None) -> str:
    """A table as text: one header line (index columns first), repeated index values left
    blank, every number through ``fmt`` (or a column's own function in ``formats``), text left
    and numbers right aligned."""
    import pandas as pd

    if frame is None or (len(frame.columns) == 0 and len(frame) == 0):
        return f"{indent}(none)"
    flat = frame.reset_index() if _has_named_index(frame) else frame.reset_index(drop=True)
    index_columns = [n for n in frame.index.names if n is not None] if _has_named_index(
        frame) else []
    header = [str(c) for c in flat.columns]
    cells: list[list[str]] = []
    previous: list[str] = []
    for _, row in flat.iterrows():
        line = []
        for column in flat.columns:
            value = row[column]
            function = (formats or {}).get(str(column))
            line.append(function(value) if function is not None else fmt(value))
        shown = list(line)
        for i in range(len(index_columns)):
            if previous and previous[: i + 1] == line[: i + 1]:
                shown[i] = ""
        previous = line
        cells.append(shown)
    numeric = [pd.api.types.is_numeric_dtype(flat[c]) and not pd.api.types.is_bool_dtype(
        flat[c]) for c in flat.columns]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]

    def join(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w)
                 for v, w, num in zip(values, widths, numeric, strict=True)]
        return (indent + "  ".join(parts)).rstrip()

    return "\n".join([join(header), *(join(r) for r in cells)])


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(n is not None for n in frame.index.names)
