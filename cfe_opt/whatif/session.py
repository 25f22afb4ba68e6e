"""A what-if session: a scenario's compiled model kept warm, re-solved for each change.

``WhatIf(scenario).solve({path: value, ...}, objective=...)`` gives the usual ``Result``
(``cfe_opt.api.solve`` on a ``CompiledModel``): the settings are the scenario's fields by dotted
path (``parties.RUS.positions.flank_acv.target``, ``parties.TUR.weight``), each replacing the
scenario's value (fields not named return to it); ``None`` removes a field (a red line switched
off). Numbers the model tracks are set in place (``CompiledModel.apply``) and the LP re-solved
from the previous basis; a change that alters the model's shape (a removed red line, a number
the model does not track, a value that changes a branch of the model) is compiled for that
shape — once per shape for removals, kept for later changes (up to ``KEEP``).

This is the one path of the live panel (``cfe_opt.whatif.live``), of its benchmark and of a
notebook that wants the same answers without widgets.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cfe_opt.objectives import ObjectiveMode
from cfe_opt.results import Result
from cfe_opt.scenario import Scenario, check_changes, with_changes
from cfe_opt.solve import CompiledModel

KEEP = 8  # compiled models kept, one per shape (set of removed fields)


@dataclass
class Outcome:
    """One re-solve: its result and how it was reached."""

    result: Result
    settings: dict[str, Any]
    objective: str
    in_place: bool  # numbers set in the kept model, not compiled afresh
    reason: str  # why a compile was needed ("" when in place)
    seconds: float  # apply + solve + the Result (its tables are built when first read)


@dataclass
class WhatIf:
    """A scenario's what-if session (see the module docstring)."""

    scenario: Scenario
    solver: str = "highs"
    objective: ObjectiveMode = "weighted"
    settings: dict[str, Any] = field(default_factory=dict)
    last: Outcome | None = None

    def __post_init__(self) -> None:
        self._models: OrderedDict[str, CompiledModel] = OrderedDict()

    # ---- the one call ----------------------------------------------------------------------
    def solve(self, settings: Mapping[str, Any] | None = None,
              objective: ObjectiveMode | None = None) -> Result:
        """Re-solve under ``settings`` (field path → value; None removes the field; the
        session's current settings when not given) and ``objective``; the result."""
        return self.outcome(settings, objective).result

    def outcome(self, settings: Mapping[str, Any] | None = None,
                objective: ObjectiveMode | None = None) -> Outcome:
        from cfe_opt.api import solve

        start = time.perf_counter()
        wanted = dict(settings) if settings is not None else dict(self.settings)
        check_changes(self.scenario, wanted)  # a wrong path: one line, the nearest name
        mode = objective if objective is not None else self.objective
        removed = {k: None for k, v in wanted.items() if v is None}
        numbers = {k: v for k, v in wanted.items() if v is not None}
        model, new = self._model(removed)
        applied = model.apply(numbers)
        in_place, reason = applied.in_place and not new, applied.reason
        if new and applied.in_place:
            reason = (f"compiled once for the model without {', '.join(sorted(removed))}"
                      if removed else "the scenario compiled (the session's first solve)")
        if not applied.in_place:  # a number this shape cannot take in place: compile it
            model = CompiledModel(with_changes(self.scenario, wanted), solver=self.solver,
                                  variants=True)  # a value the scenario refuses raises here
        result = solve(model, objective=mode)
        self.settings, self.objective = wanted, mode  # only what was solved is the state
        self.last = Outcome(result=result, settings=dict(self.settings),
                            objective=self.objective, in_place=in_place, reason=reason,
                            seconds=time.perf_counter() - start)
        return self.last

    def set(self, path: str, value: Any, objective: ObjectiveMode | None = None) -> Result:
        """Change one setting (the others stay) and re-solve."""
        return self.solve({**self.settings, path: value}, objective)

    def reset(self) -> Result:
        """Back to the scenario as written."""
        return self.solve({}, self.objective)

    # ---- compiled models, one per shape ------------------------------------------------------
    def _model(self, removed: dict[str, None]) -> tuple[CompiledModel, bool]:
        """The compiled model of the shape (the fields removed), and whether it is new."""
        shape = json.dumps(sorted(removed))
        kept = self._models.get(shape)
        if kept is not None:
            self._models.move_to_end(shape)
            return kept, False
        variant = with_changes(self.scenario, removed) if removed else self.scenario
        kept = self._models[shape] = CompiledModel(variant, solver=self.solver, variants=True)
        while len(self._models) > KEEP:
            self._models.popitem(last=False)
        return kept, True

    # ---- what can be changed -----------------------------------------------------------------
    def positions(self) -> list[tuple[str, str]]:
        """Every (party, position) of the scenario, in order."""
        return [(p, n) for p, party in self.scenario.spec.parties.items()
                for n in party.positions]

    def red_lines(self) -> list[tuple[str, str]]:
        """Every (party, red line) of the scenario, in order."""
        return [(p, n) for p, party in self.scenario.spec.parties.items()
                for n in party.red_lines]

    def value(self, path: str) -> Any:
        """The value a setting has now: the session's, else the scenario's (its default when
        the file leaves it out)."""
        from cfe_opt.scenario.paths import MISSING, effective_value

        if path in self.settings:
            return self.settings[path]
        value = effective_value(self.scenario.data, self.scenario.spec, path)
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        return None if value is MISSING else value
