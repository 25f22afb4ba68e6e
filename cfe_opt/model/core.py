"""The model container: the PuLP problem, its variables by family, and the limit registry.

Every constraint is added through ``Model.add_row`` with a ``RowInfo`` saying what it is (family,
owner, kind, the scenario field its number comes from, its keys), so results, duals and conflict
reports read like the treaty and never parse constraint names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pulp

from cfe_opt.scenario import Scenario, ScenarioIndex

Sense = Literal["<=", ">=", "=="]
VarKey = tuple[Any, ...]  # (family, *domain keys), e.g. ("national_ceiling", "RUS", "tanks")

# The variable families, in build order, with their meaning (see docs/formulation.md).
VARIABLE_FAMILIES = {
    "national_ceiling": "NC[p,c]: the most party p may hold of category c in the ATTU",
    "holdings": "H[p,c]: what party p holds of category c after the change",
    "reduction": "R[p,c]: what party p reduces (destroys or converts) of category c",
    "territorial_ceiling": "TC[p,c]: the most ground TLE of category c on p's territory",
    "territorial_subceiling": "TSC[p,a,c]: the most ground TLE of category c in area a of p",
    "temporary_deployment": "TD[p,c]: temporary deployment on p's territory above its TC",
    "equipment": "X[o,p,a,c,k]: o's ground TLE of category c in area a of p, status k",
    "deviation_under": "U[q,n]: shortfall of party q's position n below its target",
    "deviation_over": "V[q,n]: excess of party q's position n above its target",
    "stage_level": "Z: the largest weighted normalised deviation (minimax)",
    "distance": "D[v]: |v - status quo| for the tie-break",
    "hold_slack": "h[s]: the slack allowed on stage s's held optimum",
    "face_slack": "f[s]: 0 while stage s's optimal face is in force (released: free)",
}

KINDS = ("definition", "treaty_rule", "commitment", "red_line", "position", "objective")
HARD_KINDS = ("treaty_rule", "commitment", "red_line")  # the limits a concession can move


@dataclass(frozen=True)
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


@dataclass
class Row:
    name: str
    info: RowInfo
    lhs: pulp.LpAffineExpression  # variables only; the constant sits in rhs
    sense: Sense
    rhs: float
    constraint: pulp.LpConstraint


@dataclass
class Model:
    """The LP of one scenario. Built by ``build_model``; solved by ``cfe_opt.solve``."""

    scenario: Scenario
    problem: pulp.LpProblem
    integer: bool
    variables: dict[str, dict[tuple[Any, ...], pulp.LpVariable]] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)
    positions: list[Any] = field(default_factory=list)  # PositionTerm, filled by positions.py
    # Elastic mode: every hard limit gets violation variables E (see diagnose); row → [(E, ±1)]
    elastic: bool = False
    elastic_vars: dict[str, list[tuple[pulp.LpVariable, int]]] = field(default_factory=dict)

    @property
    def index(self) -> ScenarioIndex:
        return self.scenario.index

    # ---- variables ----------------------------------------------------------------------------
    def add_variables(self, family: str, keys: list[tuple[Any, ...]], low: float | None = 0,
                      up: dict[tuple[Any, ...], float] | None = None,
                      integer: bool | None = None) -> None:
        """Declare a whole family of variables at once, named ``family.key1.key2…``."""
        if family not in VARIABLE_FAMILIES:
            raise ValueError(f"undeclared variable family {family!r} (see VARIABLE_FAMILIES)")
        cat = "Integer" if (self.integer if integer is None else integer) else "Continuous"
        family_vars = self.variables.setdefault(family, {})
        for key in keys:
            family_vars[key] = self.problem.add_variable(
                _name(family, key), lowBound=low, upBound=(up or {}).get(key), cat=cat
            )

    def var(self, key: VarKey) -> pulp.LpVariable:
        return self.variables[key[0]][tuple(key[1:])]

    def has_var(self, key: VarKey) -> bool:
        return tuple(key[1:]) in self.variables.get(key[0], {})

    def expression(self, form: dict[VarKey, float]) -> pulp.LpAffineExpression:
        """A linear form over variable keys → a PuLP expression."""
        return pulp.lpSum(c * self.var(k) for k, c in form.items() if c != 0)

    # ---- rows ---------------------------------------------------------------------------------
    def add_row(self, name_parts: tuple[Any, ...], lhs: pulp.LpAffineExpression, sense: Sense,
                rhs: float, info: RowInfo) -> Row:
        """Add ``lhs sense rhs`` under a unique, readable name and register what it is."""
        name = _name(info.family, name_parts)
        if name in self.rows:
            raise ValueError(f"duplicate constraint name {name}")
        if self.elastic and info.kind in HARD_KINDS:
            lhs = self._elasticise(name, lhs, sense)
        if sense == "<=":
            constraint = lhs <= rhs
        elif sense == ">=":
            constraint = lhs >= rhs
        else:
            constraint = lhs == rhs
        self.problem.addConstraint(constraint, name=name)
        row = Row(name=name, info=info, lhs=lhs, sense=sense, rhs=float(rhs),
                  constraint=constraint)
        self.rows[name] = row
        return row

    def _elasticise(self, name: str, lhs: pulp.LpAffineExpression,
                    sense: Sense) -> pulp.LpAffineExpression:
        """lhs − E⁺ ≤ b  /  lhs + E⁻ ≥ b  /  lhs + E⁻ − E⁺ = b, with E ≥ 0 the violation."""
        signs = {"<=": (-1,), ">=": (1,), "==": (1, -1)}[sense]
        pairs = []
        for sign in signs:
            var = self.problem.add_variable(f"violation.{'down' if sign > 0 else 'up'}.{name}",
                                            lowBound=0)
            pairs.append((var, sign))
            lhs = lhs + sign * var
        self.elastic_vars[name] = pairs
        return lhs

    def hard_rows(self) -> list[Row]:
        return [r for r in self.rows.values() if r.info.kind not in ("position", "objective")]


_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def _name(family: str, parts: tuple[Any, ...]) -> str:
    return ".".join([family, *(_UNSAFE.sub("_", str(p)) for p in parts)])
