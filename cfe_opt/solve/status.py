"""What a solve produced: statuses, each solver's capabilities (as data), stage results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

SolverName = Literal["highs", "cbc"]

FACE_TOL = 1e-9  # a reduced cost or dual this small counts as zero
FACE_AT = 1e-7  # a value this close to its bound (or a row to its number) is at it


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NOT_SOLVED = "not_solved"
    ERROR = "error"


@dataclass(frozen=True)
class SolverCapabilities:
    name: str
    duals: bool  # row duals for LPs
    iis: bool  # irreducible infeasible subsystem
    ranging: bool  # sensitivity ranges
    in_process: bool


def _pulp_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("pulp").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


SOLVERS: dict[str, SolverCapabilities] = {
    "highs": SolverCapabilities("HiGHS", duals=True, iis=True, ranging=True, in_process=True),
    # PuLP 4 reads CBC's row duals back wrongly (x + y ≥ 10, x ≤ 4, min 2x + 3y gives duals
    # 2 and 0 instead of 3 and −1; tests/test_optima.py pins it), so they are not used there.
    "cbc": SolverCapabilities("CBC", duals=_pulp_major() < 4, iis=False, ranging=False,
                              in_process=False),
}


@dataclass(frozen=True)
class StageResult:
    name: str
    main: bool
    status: SolveStatus
    objective: float | None
    seconds: float
    hold_tolerance: float = 0.0  # relative slack the held optima had when this stage solved


@dataclass
class SolveRun:
    """What solving one model in stages produced: the final package as arrays (``x`` by
    column, ``activity`` by row), and the defining stage's optimum, row duals (the shadow
    prices, by row) and, if asked, right-hand-side ranges (by row)."""

    status: SolveStatus
    stages: list[StageResult] = field(default_factory=list)
    objective: float | None = None  # optimum of the defining (first main) stage
    x: np.ndarray | None = None
    activity: np.ndarray | None = None
    row_dual: np.ndarray | None = None  # defining stage; LP only; None if not trusted
    range_low: np.ndarray | None = None  # row → lowest rhs over which its price holds
    range_high: np.ndarray | None = None
    cost: np.ndarray | None = None  # the last stage's objective (for --write-model)
    solver: str = ""
    solver_version: str = ""
    solve_seconds: float = 0.0

    @property
    def optimal(self) -> bool:
        return self.status is SolveStatus.OPTIMAL
