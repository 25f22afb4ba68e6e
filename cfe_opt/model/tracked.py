"""A tracked copy of a validated scenario: every numeric field a ``Num`` on its own slot.

The model is built from this copy, so each LP number knows the fields it came from (see
``params``). Fields tracked, by the path a study or sweep names them with:

* every figure — ``parties.RUS.holdings.tanks``, ``limits.x.value``, ``limits.x.values.acv``,
  ``temporary_deployments.basic.allowance.tanks``, area figures …;
* ``parties.P.weight``; a position's ``target``, ``weight``, ``scale``, ``range.min``,
  ``range.max``; a reciprocity limit's ``ratio``.

Any other field (a priority, a quantity's coefficient, a name or a list) is structure: a
variant changing it is rebuilt.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cfe_opt.model.params import ParamSet
from cfe_opt.scenario.schema import (
    Figure,
    Party,
    Position,
    Range,
    ReciprocityLimit,
    ScenarioSpec,
)

# the numeric fields tracked, per model, with the kind of value they take
TRACKED: dict[type, dict[str, str]] = {
    Figure: {"value": "count"},
    Party: {"weight": "positive"},
    Position: {"target": "number", "weight": "positive", "scale": "positive"},
    Range: {"min": "number", "max": "number"},
    ReciprocityLimit: {"ratio": "nonnegative"},
}


def track(spec: ScenarioSpec) -> tuple[ScenarioSpec, ParamSet]:
    """The scenario with its numeric fields as tracked numbers, and their parameter slots."""
    params = ParamSet()
    tracked = _copy(spec, (), params)
    return tracked, params


def _copy(node: Any, path: tuple[str, ...], params: ParamSet) -> Any:
    if isinstance(node, BaseModel):
        numeric = TRACKED.get(type(node), {})
        values = {}
        for name in type(node).model_fields:
            value = getattr(node, name)
            if name in numeric and value is not None and not isinstance(value, bool):
                # a figure is named by its own path (``…holdings.tanks``), other fields by theirs
                where = path if isinstance(node, Figure) else (*path, name)
                values[name] = params.leaf(".".join(where), value, numeric[name])
            else:
                values[name] = _copy(value, (*path, name), params)
        return type(node).model_construct(_fields_set=set(node.model_fields_set), **values)
    if isinstance(node, dict):
        return {key: _copy(value, (*path, str(key)), params) for key, value in node.items()}
    if isinstance(node, list):
        return [_copy(value, (*path, str(i)), params) for i, value in enumerate(node)]
    return node


def model_checks(spec: ScenarioSpec) -> None:
    """Run every pydantic model validator of the (tracked) scenario again, so their branches on
    numbers are recorded as guards (a variant that would fail one is rebuilt and refused)."""
    _run_checks(spec)


def _run_checks(node: Any) -> None:
    if isinstance(node, BaseModel):
        decorators = type(node).__pydantic_decorators__.model_validators
        for decorator in decorators.values():
            if decorator.info.mode == "after":
                decorator.func(node)
        for name in type(node).model_fields:
            _run_checks(getattr(node, name))
    elif isinstance(node, dict):
        for value in node.values():
            _run_checks(value)
    elif isinstance(node, list):
        for value in node:
            _run_checks(value)
