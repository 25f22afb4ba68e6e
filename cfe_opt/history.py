"""History check: a solved December 1998 scenario against the figures signed in November 1999.

``history(result_dir)`` reads what ``cfe-opt solve`` wrote (``summary.json``: the scenario's
files, case and digest; ``allocation.csv``: the package), re-loads the scenario and refuses it if
it changed since, and pairs each figure of the package with the figure signed in 1999 where the
data has one, state by state and category by category:

* national ceilings (``national_ceilings_1999.csv``, status final), territorial ceilings and
  Russia's flank sub-ceiling (``territorial_ceilings_1999.csv``), and Poland's Final Act targets
  (a political commitment, ``signed_kind`` political). Each is cross-checked with the signed
  treaty as a scenario (``adapted_1999.yaml``): a figure the two give differently is an error.
* A pair is **compared** when the 1998 scenario determines the figure (it has a current figure,
  or a hard limit or position names it), **circular** when its 1998 input is a later stand-in
  equal to the signed figure, and **not determined** otherwise (the value is the tie-break's).
* The **zone** is the figure's min and max over every package meeting every hard limit and
  keeping every position with a stated acceptable range inside that range (sides with no
  range are open); ``inside`` says whether the signed figure lies in it.
* ``face_min`` / ``face_max``: the figure's range over the packages optimal in every main stage
  of the solve's objective mode (before the tie-breaks): how much of the model value is the
  tie-break's rather than the positions'.
* ``later_inputs``: the later stand-ins (``stand_in: true``) that feed the figure's *block* —
  the variables linked to it through the scenario's rows (definitions, hard limits, positions;
  not the objective) — by a row's number or coefficient or a variable's status quo. Empty:
  the figure is answered from inputs dated on or before ``as_of`` alone.

The answer is never read into the inputs: the signed figures enter only this table.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cfe_opt.analysis.zopa import quantity_range
from cfe_opt.check import read_solution
from cfe_opt.errors import CfeOptError
from cfe_opt.model.core import Model
from cfe_opt.model.params import Num
from cfe_opt.objectives import stages
from cfe_opt.results import clean, later_stand_ins
from cfe_opt.scenario import Scenario, load_scenario
from cfe_opt.scenario.quantities import status_quo
from cfe_opt.scenario.sets import TOTAL
from cfe_opt.solve import HOLD_LADDER, CompiledModel, SolveStatus

COLUMNS = ["party", "figure", "area", "category", "model", "signed", "signed_kind", "gap",
           "zone_min", "zone_max", "inside", "face_min", "face_max", "later_inputs", "status",
           "source_row"]
INSIDE_TOL = 1e-6
_FIGURE_COLUMN = {"national_ceiling": "national_ceiling",
                  "territorial_ceiling": "territorial_ceiling",
                  "territorial_subceiling": "territorial_subceiling"}


@dataclass(frozen=True)
class Signed:
    """One figure signed in 1999 (or promised politically), with the data row it comes from."""

    party: str
    figure: str  # national_ceiling | territorial_ceiling | territorial_subceiling
    area: str  # total, or the sub-ceiling area (flank)
    category: str
    value: float
    kind: str  # treaty | political
    row: str  # file and row number (the header is row 1)


def signed_figures(data_dir: Path) -> list[Signed]:
    """The signed figures in the data tables: final national ceilings, territorial ceilings,
    Russia's flank sub-ceiling and Poland's Final Act targets (political)."""
    out: list[Signed] = []
    for i, row in _rows(data_dir / "national_ceilings_1999.csv"):
        if row.get("ceiling_type") == "NC" and row.get("status", "").startswith("final"):
            out.append(Signed(row["iso3"], "national_ceiling", TOTAL, row["category"],
                              float(row["value"]), "treaty",
                              f"national_ceilings_1999.csv row {i}"))
    kinds = {"territorial_ceiling": ("territorial_ceiling", TOTAL, "treaty"),
             "territorial_subceiling_flank": ("territorial_subceiling", "flank", "treaty"),
             "final_act_target": ("territorial_ceiling", TOTAL, "political")}
    for i, row in _rows(data_dir / "territorial_ceilings_1999.csv"):
        kind = kinds.get(row.get("kind", ""))
        final = row.get("status", "").startswith(("final", "political"))
        if kind is None or not final:
            continue
        figure, area, signed_kind = kind
        out.append(Signed(row["state_iso3"], figure, area, row["category"], float(row["value"]),
                          signed_kind, f"territorial_ceilings_1999.csv row {i}"))
    return out


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return [(i, row) for i, row in enumerate(csv.DictReader(handle), start=2)]
    except OSError as exc:
        raise CfeOptError(f"{path}: cannot read the signed figures ({exc.strerror or exc})"
                          ) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CfeOptError(f"{path}: not a readable CSV table ({exc})") from None


def cross_check(signed: list[Signed], treaty: Scenario) -> None:
    """Every signed figure the signed-treaty scenario also gives must be the same number."""
    for s in signed:
        if s.kind != "treaty" or s.party not in treaty.spec.parties:
            continue
        party = treaty.spec.parties[s.party]
        if s.figure == "territorial_subceiling":
            area = party.areas.get(s.area)
            figures = area.territorial_subceiling if area is not None else {}
        else:
            figures = getattr(party, s.figure)
        fig = figures.get(s.category)
        if fig is not None and float(fig.value) != s.value:
            raise CfeOptError(f"{treaty.display}: parties.{s.party}.{s.figure}.{s.category} is "
                              f"{fig.value} but {s.row} gives {s.value:g}: the signed figures "
                              "disagree")


# ---- the command ------------------------------------------------------------------------------
def history(result_dir: Path | str, data_dir: Path | str | None = None,
            signed: Path | str | None = None) -> pd.DataFrame:
    """The history table of a solved scenario (see the module docstring), one row per paired
    figure, indexed by (party, figure, area, category). ``attrs``: ``scenario``, ``case``,
    ``objective_mode``, ``as_of``, ``later_stand_ins`` (count)."""
    return history_of(result_dir, data_dir, signed)[0]


def history_of(result_dir: Path | str, data_dir: Path | str | None = None,
               signed: Path | str | None = None) -> tuple[pd.DataFrame, Scenario]:
    """``history`` and the solved scenario it re-loaded."""
    result_dir = Path(result_dir)
    summary = _summary(result_dir)
    scenario = _reload(result_dir, summary)
    root = Path(scenario.files[0]).parent
    data = Path(data_dir) if data_dir is not None else root / "data"
    figures = signed_figures(data)
    treaty_path = Path(signed) if signed is not None else root / "adapted_1999.yaml"
    if treaty_path.exists() or signed is not None:
        cross_check(figures, load_scenario(treaty_path))
    allocation, _equipment = read_solution(result_dir, scenario)
    mode = summary.get("objective_mode", "weighted")
    zone_scenario = _with_ranges_as_limits(scenario)
    cm = CompiledModel(scenario)
    model = cm.model
    named = _named_columns(model)
    blocks = _blocks(model)
    stand_ins = later_stand_ins(scenario)
    rows = []
    for s in figures:
        key = _key(scenario, s)
        if key is None or not model.has_var(key):
            continue
        col = model.col(key)
        current = status_quo(scenario.index, key)
        if current is not None and _is_stand_in(scenario, s) and float(current) == s.value:
            status = "circular"
        elif current is not None or col in named:
            status = "compared"
        else:
            status = "not determined"
        value = _model_value(allocation, s)
        zone = _zone(zone_scenario, s)
        face = _face(cm, mode, key)
        rows.append({
            "party": s.party, "figure": s.figure, "area": s.area, "category": s.category,
            "model": value, "signed": s.value, "signed_kind": s.kind,
            "gap": clean(value - s.value), "zone_min": zone[0], "zone_max": zone[1],
            "inside": _inside(s.value, zone), "face_min": face[0], "face_max": face[1],
            "later_inputs": "; ".join(_later_inputs(model, blocks, col, stand_ins)),
            "status": status, "source_row": s.row})
    frame = pd.DataFrame(rows, columns=COLUMNS).set_index(["party", "figure", "area",
                                                           "category"])
    frame.attrs.update({"scenario": scenario.name, "case": scenario.case,
                        "objective_mode": mode, "as_of": scenario.spec.as_of,
                        "later_stand_ins": len(stand_ins)})
    return frame, scenario


def _summary(result_dir: Path) -> dict[str, Any]:
    path = result_dir / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CfeOptError(f"{path}: cannot read the solve's summary ({exc.strerror or exc}); "
                          "give a folder written by 'cfe-opt solve'") from None
    except ValueError as exc:
        raise CfeOptError(f"{path}: not a readable summary ({exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("scenario"), dict):
        raise CfeOptError(f"{path}: not a summary written by 'cfe-opt solve'")
    if summary.get("status") != "optimal":
        raise CfeOptError(f"{path}: the solve ended {summary.get('status')}: there is no "
                          "package to compare")
    return summary


def _reload(result_dir: Path, summary: dict[str, Any]) -> Scenario:
    record = summary["scenario"]
    files = record.get("files") or []
    if not files or not isinstance(files[0], str):
        raise CfeOptError(f"{result_dir / 'summary.json'}: names no scenario file")
    scenario = load_scenario(files[0], case=record.get("case"))
    if scenario.sha256 != record.get("sha256"):
        raise CfeOptError(f"{files[0]}: the scenario changed since {result_dir} was solved "
                          "(its sha256 differs from summary.json's): solve it again")
    return scenario


def _key(scenario: Scenario, s: Signed) -> tuple | None:
    spec = scenario.spec
    if s.party not in spec.parties:
        return None
    if s.figure == "territorial_subceiling":
        return ("territorial_subceiling", s.party, s.area, s.category)
    return (s.figure, s.party, s.category)


def _is_stand_in(scenario: Scenario, s: Signed) -> bool:
    party = scenario.spec.parties[s.party]
    if s.figure == "territorial_subceiling":
        figures = party.areas[s.area].territorial_subceiling
    else:
        figures = getattr(party, s.figure)
    fig = figures.get(s.category)
    return fig is not None and fig.stand_in


def _model_value(allocation: pd.DataFrame, s: Signed) -> float:
    try:
        return clean(float(allocation.at[(s.party, s.area, s.category), _FIGURE_COLUMN[s.figure]]))
    except KeyError:
        return math.nan


def _quantity(s: Signed) -> dict[str, Any]:
    if s.figure == "territorial_subceiling":
        return {"of": "territorial_ceiling", "areas": [f"{s.party}.{s.area}"],
                "categories": [s.category]}
    return {"of": s.figure, "parties": [s.party], "categories": [s.category]}


def _with_ranges_as_limits(scenario: Scenario) -> Scenario:
    """The scenario with every stated acceptable range a hard limit on its position's quantity
    (sides with no range stay open)."""
    data = scenario.data
    limits = dict(data.get("limits") or {})
    added = 0
    for code, party in scenario.spec.parties.items():
        for name, position in party.positions.items():
            if position.range is None:
                continue
            raw = data["parties"][code]["positions"][name]
            for edge, sense in (("min", ">="), ("max", "<=")):
                value = getattr(position.range, edge)
                if value is None:
                    continue
                limits[f"history_range_{code}_{name}_{edge}"] = {
                    "owner": code, "quantity": raw["quantity"], "sense": sense,
                    "value": value, "description": f"{code} {name}: acceptable range {edge}"}
                added += 1
    if not added:
        return scenario
    merged = {**{k: v for k, v in data.items() if k != "cases"}, "limits": limits}
    from cfe_opt.scenario import scenario_from_dict

    return scenario_from_dict(merged, name=scenario.display)


def _zone(scenario: Scenario, s: Signed) -> tuple[float, float]:
    table = quantity_range(scenario, _quantity(s))
    return float(table["minimum"].iloc[0]), float(table["maximum"].iloc[0])


def _inside(value: float, zone: tuple[float, float]) -> str:
    low, high = zone
    if not (low - INSIDE_TOL * max(1.0, abs(low)) <= value <= high + INSIDE_TOL
            * max(1.0, abs(high))):
        return "no"
    return "yes, unbounded" if math.isinf(low) or math.isinf(high) else "yes"


def _face(cm: CompiledModel, mode: str, key: tuple) -> tuple[float, float]:
    """min and max of the figure over the packages optimal in every main stage of ``mode``."""
    model = cm.model
    main = [stage for stage in stages(mode, model) if stage.main]  # type: ignore[arg-type]
    values: list[tuple[Any, float]] = []
    held: list[tuple] = []
    try:
        for i, stage in enumerate(main):
            expr = stage.build(model)
            for tau in HOLD_LADDER:  # the tightest hold the solver can meet
                for tag, (held_expr, held_value) in zip(held, values, strict=True):
                    cm.set_limit(tag, held_expr, "<=", held_value + tau * max(1.0, abs(
                        held_value)), "hold an optimum")
                status, value = cm.minimise(expr)
                if status is SolveStatus.OPTIMAL:
                    break
            if status is not SolveStatus.OPTIMAL or value is None:
                raise CfeOptError(f"{cm.scenario.display}: stage {stage.name} ended "
                                  f"{status.value}")
            tag = ("history", "hold", i)
            cm.set_limit(tag, expr, "<=", value + HOLD_LADDER[0] * max(1.0, abs(value)),
                         f"hold the {stage.name} optimum")
            held.append(tag)
            values.append((expr, value))
        figure = model.var(key)
        bounds = []
        for maximise in (False, True):
            status, value = cm.minimise(figure, maximise=maximise)
            if status is SolveStatus.OPTIMAL and value is not None:
                bounds.append(clean(value))
            elif status in (SolveStatus.UNBOUNDED, SolveStatus.INFEASIBLE):
                bounds.append(math.inf if maximise else -math.inf)
            else:
                raise CfeOptError(f"{cm.scenario.display}: the face of {key} ended "
                                  f"{status.value}")
        return bounds[0], bounds[1]
    finally:
        for tag in held:
            cm.free_limit(tag)


# ---- blocks and later inputs ------------------------------------------------------------------
def _named_columns(model: Model) -> set[int]:
    """Columns a hard limit or a position names (their rows' entries)."""
    rows = {row.index for row in model.row_list
            if row.info.kind in ("treaty_rule", "commitment", "red_line", "position")}
    return {model.entry_col[e] for e, r in enumerate(model.entry_row) if r in rows}


def _blocks(model: Model) -> list[int]:
    """Each column's block (union-find over the scenario's rows, objective rows left out)."""
    parent = list(range(model.num_cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first: dict[int, int] = {}
    kind = [row.info.kind for row in model.row_list]
    for r, c in zip(model.entry_row, model.entry_col, strict=True):
        if kind[r] == "objective" or model.col_keys[c][0] == "violation":
            continue
        if r in first:
            a, b = find(first[r]), find(c)
            if a != b:
                parent[a] = b
        else:
            first[r] = c
    return [find(c) for c in range(model.num_cols)]


def _later_inputs(model: Model, blocks: list[int], col: int,
                  stand_ins: list[dict[str, str]]) -> list[str]:
    if not stand_ins:
        return []
    block = blocks[col]
    cols = {c for c in range(len(blocks)) if blocks[c] == block}
    rows: set[int] = set()
    for r, c in zip(model.entry_row, model.entry_col, strict=True):
        if c in cols:
            rows.add(r)
    paths: set[str] = set()
    names: list[str] = []
    for c in cols:  # the variables' status quo (what the tie-break and the cuts measure from)
        now = status_quo(model.index, model.col_keys[c])
        if isinstance(now, Num):
            paths.update(model.params.paths[slot] for slot in now.deps)
    for r in rows:
        row = model.row_list[r]
        if row.info.kind == "objective":
            continue
        names.append(row.name)
        if row.info.field:
            paths.add(row.info.field)
        if isinstance(row.source, Num):
            paths.update(model.params.paths[slot] for slot in row.source.deps)
    for e, num in model.tracked_coef:
        if model.entry_row[e] in rows:
            paths.update(model.params.paths[slot] for slot in num.deps)
    found = []
    for item in stand_ins:
        field = item["field"]
        hit = any(p == field or p.startswith(field + ".") for p in paths)
        parts = field.split(".")
        if not hit and ((len(parts) == 2 and parts[0] == "limits") or (len(parts) == 4
                        and parts[2] == "red_lines")):
            # a limit with no figure of its own (a freeze, a reciprocity): its rows carry its
            # name, after the family (and the owner, for a red line)
            hit = any(f".{parts[-1]}." in f"{n}." for n in names)
        if hit:
            found.append(field)
    return found
