"""Solve layer: engines (HiGHS in-process, CBC through PuLP), the stage runner, and the
compiled model every solve goes through (``CompiledModel``)."""

from cfe_opt.solve.compiled import Applied, CompiledModel, make_engine, solver_version
from cfe_opt.solve.stages import HOLD_LADDER, dense_cost, run
from cfe_opt.solve.status import (
    FACE_AT,
    FACE_TOL,
    SOLVERS,
    SolverCapabilities,
    SolverName,
    SolveRun,
    SolveStatus,
    StageResult,
)

__all__ = ["FACE_AT", "FACE_TOL", "HOLD_LADDER", "SOLVERS", "Applied", "CompiledModel",
           "SolveRun", "SolveStatus", "SolverCapabilities", "SolverName", "StageResult",
           "dense_cost", "make_engine", "run", "solver_version"]
