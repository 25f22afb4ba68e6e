"""The model container: columns by family, rows with their registry, stored as arrays.

The LP of a scenario is declared here once, by the constraint families, as plain arrays: column
bounds, row bounds and the matrix as (row, column, value) triplets that only grow. The solve
layer hands these arrays to HiGHS in one call and keeps the solver in step with later changes
(rows an analysis adds, bounds it moves, numbers a study variant sets).

Every row is added through ``Model.add_row`` with a ``RowInfo`` saying what it is (family,
owner, kind, the scenario field its number comes from, its keys), so results, duals and conflict
reports read like the treaty and never parse names. A right-hand side or coefficient that is a
tracked number (``params.Num``) is recorded, so a variant can reset it without a rebuild.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from typing import Any, Literal

from cfe_opt.model.linear import Lin, lin_sum
from cfe_opt.model.params import Num, ParamSet, Recorder, compile_num, evaluate
from cfe_opt.scenario import Scenario, ScenarioIndex

Sense = Literal["<=", ">=", "=="]
VarKey = tuple[Any, ...]  # (family, *domain keys), e.g. ("national_ceiling", "RUS", "tanks")
INF = math.inf

# The variable families, in build order, with their meaning (see docs/formulation.md).
VARIABLE_FAMILIES = {
    "national_ceiling": "NC[p,c]: the most party p may hold of category c in the ATTU",
    "holdings": "H[p,c]: what party p holds of category c after the change",
    "reduction": "R[p,c]: what party p reduces (destroys or converts) of category c",
    "territorial_ceiling": "TC[p,c]: the most ground TLE of category c on p's territory",
    "territorial_subceiling": "TSC[p,a,c]: the most ground TLE of category c in area a of p",
    "active_subceiling": "TSCa[p,a,c]: the most of it in active units (the rest: storage room)",
    "ceiling_cut": "CUT[f,v,p,c]: the part of p's cut of ceiling v made in legal form f",
    "temporary_deployment": "TD[k,p,a,c]: temporary deployment of kind k permitted above the "
                            "ceiling of p (a = total) or of its area a",
    "equipment": "X[o,p,a,c,k]: o's ground TLE of category c in area a of p, status k",
    "deviation_under": "U[q,n]: shortfall of party q's position n below its target",
    "deviation_over": "V[q,n]: excess of party q's position n above its target",
    "stage_level": "Z: the largest weighted normalised deviation (minimax)",
    "distance": "B[v]: how far figure v is below its status quo, for the tie-break",
    "violation": "E[r]: how far hard limit r is moved (the elastic model of a concession)",
}

KINDS = ("definition", "treaty_rule", "commitment", "red_line", "position", "objective")
HARD_KINDS = ("treaty_rule", "commitment", "red_line")  # the limits a concession can move


@dataclass(frozen=True, slots=True)
class RowInfo:
    """What a constraint is, for reports: every hard limit knows its owner and its family."""

    family: str
    owner: str
    kind: str
    label: str
    keys: tuple[Any, ...] = ()
    field: str = ""  # scenario field path the right-hand side comes from ("" if structural)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown row kind {self.kind!r}")


@dataclass(slots=True)
class Row:
    """One row: ``lower ≤ Σ a·x ≤ upper`` as declared by ``lhs sense rhs``."""

    name: str
    index: int
    info: RowInfo
    sense: Sense
    rhs: float  # the number at the current parameter values
    source: Any = None  # the tracked number the right-hand side is (None if a plain number)


@dataclass
class Model:
    """The LP of one scenario, as arrays. Built by ``build_model``; solved by ``cfe_opt.solve``.

    ``theta`` holds the current values of the scenario's parameter slots (``params``); a study
    variant changes them through ``cfe_opt.solve.compiled``, never by rebuilding.
    """

    scenario: Scenario
    integer: bool
    index: ScenarioIndex  # the (tracked) index the model was built from
    params: ParamSet = field(default_factory=ParamSet)
    recorder: Recorder = field(default_factory=Recorder)
    theta: list[float] = field(default_factory=list)
    theta_version: int = 0  # counts changes of theta
    theta_touched: frozenset[int] = frozenset()  # slots the last change of theta touched
    variables: dict[str, dict[tuple[Any, ...], int]] = field(default_factory=dict)
    col_names: list[str] = field(default_factory=list)
    col_keys: list[VarKey] = field(default_factory=list)
    # numbers as typed arrays (``array``: 8 bytes a float, 4 an index, not a Python object
    # each), which numpy reads without converting element by element
    col_lower: array = field(default_factory=lambda: array("d"))
    col_upper: array = field(default_factory=lambda: array("d"))
    col_integer: list[bool] = field(default_factory=list)
    rows: dict[str, Row] = field(default_factory=dict)
    row_list: list[Row] = field(default_factory=list)
    row_lower: array = field(default_factory=lambda: array("d"))
    row_upper: array = field(default_factory=lambda: array("d"))
    # the matrix as triplets, in the order entries were declared
    entry_row: array = field(default_factory=lambda: array("i"))
    entry_col: array = field(default_factory=lambda: array("i"))
    entry_value: array = field(default_factory=lambda: array("d"))
    # tracked numbers in the LP: (row, Num) right-hand sides, (entry, Num) coefficients
    tracked_rhs: list[tuple[int, Num]] = field(default_factory=list)
    tracked_coef: list[tuple[int, Num]] = field(default_factory=list)
    positions: list[Any] = field(default_factory=list)  # PositionTerm, filled by positions.py
    # where changes since the solver last saw the model are (cfe_opt.solve keeps in step)
    changed_cols: set[int] = field(default_factory=set)
    changed_rows: set[int] = field(default_factory=set)
    changed_entries: set[int] = field(default_factory=set)
    # the elastic model: hard row → [(violation column, sign)] (cfe_opt.concession)
    elastic_cols: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    _compiled: dict[int, tuple[Num, Any]] = field(default_factory=dict, repr=False)

    # ---- numbers ------------------------------------------------------------------------------
    def number(self, x: Any) -> float:
        """A (tracked or plain) number's value at the current parameter values."""
        if not isinstance(x, Num):
            return float(x)
        if self.theta_version == 0:
            # no variant has set the slots: they hold the build-time values, and a Num's
            # ``value`` is the same arithmetic on them in the same order (``evaluate``)
            return x.value
        if x.op == "lin":
            return evaluate(x, self.theta)
        found = self._compiled.get(id(x))
        if found is None or found[0] is not x:  # (the Num is kept, so its id stays its own)
            found = self._compiled[id(x)] = (x, compile_num(x))
        return found[1](self.theta)

    @property
    def num_cols(self) -> int:
        return len(self.col_names)

    @property
    def num_rows(self) -> int:
        return len(self.row_list)

    # ---- variables ----------------------------------------------------------------------------
    def add_variables(self, family: str, keys: list[tuple[Any, ...]], low: float | None = 0,
                      up: dict[tuple[Any, ...], float] | None = None,
                      integer: bool | None = None, names: list[str] | None = None) -> None:
        """Declare a whole family of variables at once, named ``family.key1.key2…`` (``names``:
        those names, made already)."""
        if family not in VARIABLE_FAMILIES:
            raise ValueError(f"undeclared variable family {family!r} (see VARIABLE_FAMILIES)")
        whole = self.integer if integer is None else integer
        family_vars = self.variables.setdefault(family, {})
        lower = -INF if low is None else float(low)
        start, count = len(self.col_names), len(keys)
        if names is not None and len(names) != count:
            raise ValueError(f"add_variables: {len(names)} names for {count} {family} keys")
        new = dict(zip(keys, range(start, start + count), strict=True))
        if len(new) != count or not family_vars.keys().isdisjoint(new):
            seen = set(family_vars)
            for key in keys:
                if key in seen:
                    raise ValueError(f"duplicate variable {_name(family, key)}")
                seen.add(key)
        family_vars.update(new)
        self.col_names.extend([_name(family, key) for key in keys] if names is None else names)
        self.col_keys.extend([(family, *key) for key in keys])
        self.col_lower.extend([lower] * count)
        if up:
            self.col_upper.extend([INF if (bound := up.get(key)) is None else float(bound)
                                   for key in keys])
        else:
            self.col_upper.extend([INF] * count)
        self.col_integer.extend([whole] * count)

    def col(self, key: VarKey) -> int:
        return self.variables[key[0]][tuple(key[1:])]

    def var(self, key: VarKey) -> Lin:
        """The variable as an expression (for arithmetic)."""
        return Lin({self.variables[key[0]][tuple(key[1:])]: 1.0})

    def has_var(self, key: VarKey) -> bool:
        return tuple(key[1:]) in self.variables.get(key[0], {})

    def expression(self, form: dict[VarKey, Any]) -> Lin:
        """A linear form over variable keys → an expression over columns."""
        terms: dict[int, Any] = {}
        for key, coef in form.items():
            col = self.variables[key[0]][tuple(key[1:])]
            terms[col] = terms[col] + coef if col in terms else coef
        return Lin(terms)

    def set_col_bounds(self, col: int, lower: float, upper: float) -> None:
        self.col_lower[col] = lower
        self.col_upper[col] = upper
        self.changed_cols.add(col)

    # ---- rows ---------------------------------------------------------------------------------
    def add_row(self, name_parts: tuple[Any, ...], lhs: Lin, sense: Sense, rhs: Any,
                info: RowInfo) -> Row:
        """Add ``lhs sense rhs`` under a unique, readable name and register what it is."""
        name = _name(info.family, name_parts)
        if name in self.rows:
            raise ValueError(f"duplicate constraint name {name}")
        i = len(self.row_list)
        if lhs.constant is not None and not (isinstance(lhs.constant, int | float)
                                             and lhs.constant == 0):
            rhs = rhs - lhs.constant
        terms = lhs.terms
        coefs = terms.values()
        if Num not in set(map(type, coefs)):  # (Num has no subclasses)
            # plain numbers only (most rows): the non-zero ones, appended at once
            cols = [col for col, coef in terms.items() if coef != 0]
            self.entry_col.extend(cols)
            self.entry_row.extend([i] * len(cols))
            self.entry_value.extend([float(coef) for coef in coefs if coef != 0])
        else:
            for col, coef in terms.items():
                if isinstance(coef, Num):
                    self.tracked_coef.append((len(self.entry_value), coef))
                    value = self.number(coef)
                else:
                    value = float(coef)
                    if value == 0:
                        continue
                self.entry_row.append(i)
                self.entry_col.append(col)
                self.entry_value.append(value)
        source = rhs if isinstance(rhs, Num) else None
        if source is not None:
            self.tracked_rhs.append((i, source))
        value = self.number(rhs)
        row = Row(name=name, index=i, info=info, sense=sense, rhs=value, source=source)
        self.rows[name] = row
        self.row_list.append(row)
        lower, upper = sense_bounds(sense, value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return row

    def add_rows(self, names: list[str], cols: list[tuple[int, ...]], coefs: tuple[float, ...],
                 sense: Sense, rhs: list[Any], infos: list[RowInfo]) -> None:
        """Many rows of one shape at once: row k is ``Σ_j coefs[j]·x[cols[k][j]] sense rhs[k]``
        under the name ``names[k]`` (made by the caller as ``add_row`` would make it). For a
        family of thousands of rows with plain coefficients (the tie-break's distances)."""
        i = len(self.row_list)
        width = len(coefs)
        if any(c == 0 for c in coefs):
            raise ValueError("add_rows: a coefficient is 0")
        rows, row_list = self.rows, self.row_list
        for name, terms, number, info in zip(names, cols, rhs, infos, strict=True):
            if name in rows:
                raise ValueError(f"duplicate constraint name {name}")
            source = number if isinstance(number, Num) else None
            if source is not None:
                self.tracked_rhs.append((i, source))
            value = self.number(number)
            row = Row(name=name, index=i, info=info, sense=sense, rhs=value, source=source)
            rows[name] = row
            row_list.append(row)
            lower, upper = sense_bounds(sense, value)
            self.row_lower.append(lower)
            self.row_upper.append(upper)
            self.entry_row.extend([i] * width)
            self.entry_col.extend(terms)
            self.entry_value.extend(coefs)
            i += 1

    def set_row_bounds(self, i: int, lower: float, upper: float) -> None:
        self.row_lower[i] = lower
        self.row_upper[i] = upper
        self.changed_rows.add(i)

    def set_rhs(self, row: Row, value: float) -> None:
        """Move a row's number (a study variant, an ε-constraint)."""
        row.rhs = value
        self.set_row_bounds(row.index, *sense_bounds(row.sense, value))

    def add_entry(self, row: int, col: int, value: float) -> int:
        """One more matrix entry (a column added to existing rows); returns its position."""
        self.entry_row.append(row)
        self.entry_col.append(col)
        self.entry_value.append(value)
        return len(self.entry_value) - 1

    def hard_rows(self) -> list[Row]:
        return [r for r in self.row_list if r.info.kind in HARD_KINDS
                or r.info.kind == "definition"]


def sense_bounds(sense: str, rhs: float) -> tuple[float, float]:
    if sense == "<=":
        return -INF, rhs
    if sense == ">=":
        return rhs, INF
    return rhs, rhs


_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")
_SAFE: dict[Any, str] = {}  # each name part once made safe (parties, areas, categories repeat)


def _safe(part: Any) -> str:
    text = _SAFE.get(part)
    if text is None:
        text = _UNSAFE.sub("_", str(part))
        if len(_SAFE) < 1_000_000:
            _SAFE[part] = text
    return text


def _name(family: str, parts: tuple[Any, ...]) -> str:
    try:  # every part seen before (most names): the cached texts, looked up without a call
        return ".".join([family, *map(_SAFE.__getitem__, parts)])
    except KeyError:
        return ".".join([family, *map(_safe, parts)])


__all__ = ["HARD_KINDS", "KINDS", "VARIABLE_FAMILIES", "Lin", "Model", "Row", "RowInfo",
           "Sense", "lin_sum", "sense_bounds"]
