"""The row schema of a study: which columns a variant's row has, fixed by the base scenario.

Columns are named ``family.key…`` with the scenario's own names (which never hold a dot), so
they are unambiguous: ``party_deviation.RUS``, ``achieved.RUS.flank_acv``,
``TSC.RUS.flank.acv``, ``price_up.limit.sufficiency_usa.tanks``. Every column is
documented in ``docs/studies.md``. The compiled evaluator uses the same layout, so both give
rows of one schema.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cfe_opt.model.build import build_model
from cfe_opt.model.core import HARD_KINDS
from cfe_opt.scenario import Scenario

CEILING_FAMILIES = {  # column prefix → model variable family
    "NC": "national_ceiling",
    "TC": "territorial_ceiling",
    "TSC": "territorial_subceiling",
    "TSCa": "active_subceiling",
    "TD": "temporary_deployment",
}
STATUSES = ("optimal", "infeasible", "invalid", "not_solved", "error")
FAILED = ("invalid", "not_solved", "error")  # "failed" in progress and summaries

CONCESSION_TYPE = pa.list_(pa.struct([("name", pa.string()), ("owner", pa.string()),
                                      ("change", pa.float64())]))
CONFLICT_TYPE = pa.list_(pa.struct([("name", pa.string()), ("owner", pa.string()),
                                    ("kind", pa.string())]))
# the package itself, when ``keep.detail``: the allocation and positions tables as lists
DETAIL_ALLOCATION = ("national_ceiling", "territorial_ceiling", "temporary_deployment",
                     "holdings_after", "reduction", "on_territory_after", "active_after",
                     "storage_after")
_AREA_AS = {"territorial_ceiling": "territorial_subceiling",
            "on_territory_after": "in_area_after", "active_after": "active_in_area_after",
            "storage_after": "storage_in_area_after"}  # area rows: their own columns
DETAIL_POSITIONS = ("target", "achieved", "deviation", "normalised_deviation",
                    "weighted_deviation")
ALLOCATION_TYPE = pa.list_(pa.struct(
    [("party", pa.string()), ("area", pa.string()), ("category", pa.string())]
    + [(c, pa.float64()) for c in DETAIL_ALLOCATION]))
POSITIONS_TYPE = pa.list_(pa.struct(
    [("party", pa.string()), ("position", pa.string())]
    + [(c, pa.float64()) for c in DETAIL_POSITIONS]))
RUN_COLUMNS = ("run.evaluator", "run.rebuilt", "run.cold_check",
               "run.seconds")  # not canonical: how a row was computed, not what it is
HEAD_COLUMNS = (("key", pa.string()), ("mode", pa.string()), ("status", pa.string()),
                ("reason", pa.string()), ("objective", pa.float64()))
TAIL_COLUMNS = (("concession_total", pa.float64()), ("concession", CONCESSION_TYPE),
                ("conflict", CONFLICT_TYPE), ("solver", pa.string()),
                ("solver_version", pa.string()), ("cfe_opt_version", pa.string()),
                ("base_sha256", pa.string()), ("model_version", pa.string()),
                ("run.evaluator", pa.string()), ("run.rebuilt", pa.bool_()),
                ("run.cold_check", pa.bool_()), ("run.seconds", pa.float64()))


@dataclass(frozen=True)
class RowLayout:
    """The variable part of the schema: parties, positions, ceilings and priced limits."""

    parties: tuple[str, ...]  # parties with positions, in scenario order
    positions: tuple[tuple[str, str], ...]  # (party, position), in scenario order
    ceilings: tuple[tuple[str, tuple[str, ...]], ...]  # (column, (family, *keys))
    prices: tuple[str, ...]  # row names whose shadow prices are kept
    detail: bool = False  # the whole package as list columns (keep.detail)

    def columns(self) -> list[tuple[str, pa.DataType]]:
        out = list(HEAD_COLUMNS)
        out += [(f"party_deviation.{p}", pa.float64()) for p in self.parties]
        for p, n in self.positions:
            out += [(f"achieved.{p}.{n}", pa.float64()), (f"deviation.{p}.{n}", pa.float64()),
                    (f"normalised_deviation.{p}.{n}", pa.float64())]
        out += [(name, pa.float64()) for name, _ in self.ceilings]
        out.append(("binding", pa.list_(pa.string())))
        for r in self.prices:
            out += [(f"price_up.{r}", pa.float64()), (f"price_down.{r}", pa.float64())]
        if self.detail:
            out += [("detail.allocation", ALLOCATION_TYPE), ("detail.positions", POSITIONS_TYPE)]
        out += list(TAIL_COLUMNS)
        return out

    def schema(self) -> pa.Schema:
        return pa.schema(self.columns())

    def canonical_columns(self) -> list[str]:
        return [name for name, _ in self.columns() if name not in RUN_COLUMNS]


def base_rows(base: Scenario) -> tuple[list[str], list[tuple[str, tuple[str, ...]]]]:
    """The base model's hard-limit row names and ceiling columns (model order)."""
    model = build_model(base)
    hard = [name for name, row in model.rows.items() if row.info.kind in HARD_KINDS]
    ceilings = []
    for prefix, family in CEILING_FAMILIES.items():
        for key in model.variables.get(family, {}):
            ceilings.append((_column(prefix, key), (family, *map(str, key))))
    return hard, ceilings


def _column(prefix: str, key: tuple) -> str:
    """``TSC.RUS.flank.acv``; a temporary deployment ``TD.P.c`` (basic, on P's territory),
    ``TD.P.a.c`` (into area a), ``ETD.P.c`` / ``ETD.P.a.c`` (exceptional)."""
    if prefix == "TD":
        kind, party, area, category = key
        return ".".join(["ETD" if kind == "exceptional" else "TD", party,
                         *(() if area == "total" else (area,)), category])
    return ".".join([prefix, *map(str, key)])


def make_layout(base: Scenario, keep_ceilings: str | list[str],
                price_patterns: list[str], detail: bool = False) -> RowLayout:
    """The layout for a base scenario and a study's ``keep`` (patterns already checked)."""
    hard, ceilings = base_rows(base)
    if keep_ceilings == "none":
        ceilings = []
    elif keep_ceilings != "all":
        ceilings = [c for c in ceilings if any(_under(c[0], p) for p in keep_ceilings)]
    prices = [name for name in hard if any(fnmatch.fnmatchcase(name, p) for p in price_patterns)]
    positions = tuple((p, n) for p, party in base.spec.parties.items() for n in party.positions)
    holders = {(p, n): [p, *base.index.parties_of(position.joint_with)]
               for p, party in base.spec.parties.items()
               for n, position in party.positions.items()}
    parties = tuple(dict.fromkeys(h for key in positions for h in holders[key]))
    return RowLayout(parties=parties, positions=positions, ceilings=tuple(ceilings),
                     prices=tuple(prices), detail=detail)


def detail_columns(allocation: Any, positions: Any) -> dict[str, list[dict[str, Any]]]:
    """The package's tables as the ``detail.*`` list columns (NaN as null)."""
    def number(value: Any) -> float | None:
        return None if value is None or value != value else float(value)

    rows = []
    for (party, area, category), rec in allocation.iterrows():
        # an area row's figures are in the allocation table's area columns; the store keeps
        # one struct for both levels
        names = _AREA_AS if area != "total" else {}
        rows.append({"party": party, "area": area, "category": category,
                     **{c: number(rec[names.get(c, c)]) for c in DETAIL_ALLOCATION}})
    kept = []
    for (party, name), rec in positions.iterrows():
        kept.append({"party": party, "position": name,
                     **{c: number(rec[c]) for c in DETAIL_POSITIONS}})
    return {"detail.allocation": rows, "detail.positions": kept}


def _under(column: str, prefix: str) -> bool:
    return column == prefix or column.startswith(prefix + ".")
