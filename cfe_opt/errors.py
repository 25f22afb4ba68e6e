"""Errors that reach the user as one line each (the CLI turns them into exit codes)."""

from __future__ import annotations


class CfeOptError(Exception):
    """Base class: every error cfe-opt raises on purpose."""

    exit_code = 2


class ScenarioError(CfeOptError):
    """Bad input: names the file, the field path and the reason, in one line."""

    exit_code = 2

    def __init__(self, file: str, field: str, reason: str, line: int | None = None) -> None:
        # one line, whatever the input held (a key or a value with a line break in it)
        field = field.replace("\n", "\\n").replace("\r", "\\r")
        reason = reason.replace("\n", "\\n").replace("\r", "\\r")
        self.file = file
        self.field = field
        self.reason = reason
        self.line = line
        where = f"{file}:{line}" if line else file
        field_part = f" {field}:" if field else ""
        super().__init__(f"{where}:{field_part} {reason}")


class ScenarioErrors(CfeOptError):
    """Several bad-input errors found at once; each prints as its own line."""

    exit_code = 2

    def __init__(self, errors: list[ScenarioError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class InfeasibleError(CfeOptError):
    """The hard limits admit no solution."""

    exit_code = 1


class SolverError(CfeOptError):
    """The solver failed or is not available."""

    exit_code = 3
