"""The objective modes by name (a module of its own, so the command line can list them without
importing the model)."""

from __future__ import annotations

from typing import Literal

ObjectiveMode = Literal["weighted", "minimax", "lexicographic"]
OBJECTIVE_MODES: tuple[ObjectiveMode, ...] = ("weighted", "minimax", "lexicographic")
