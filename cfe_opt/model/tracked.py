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


_PLAIN = (str, bool, int, float, type(None))


_FIELDS: dict[type, list[tuple[str, str | None]]] = {}


def _fields(kind: type) -> list[tuple[str, str | None]]:
    """A model's fields, each with the kind of value it is tracked as (None: not tracked)."""
    found = _FIELDS.get(kind)
    if found is None:
        numeric = TRACKED.get(kind, {})
        found = _FIELDS[kind] = [(name, numeric.get(name)) for name in kind.model_fields]
    return found


def _copy(node: Any, path: tuple[str, ...], params: ParamSet) -> Any:
    if type(node) is Figure:
        # most of a scenario (66,611 of 3,000 parties' nodes): its count tracked, named by its
        # own path; the rest is plain (text, flags, a date string)
        values = dict(node.__dict__)
        values["value"] = params.leaf(".".join(path), values["value"], "count")
        return _construct(node, values)
    if isinstance(node, BaseModel):
        values = {}
        fields = node.__dict__
        for name, numeric in _fields(type(node)):
            value = fields[name]
            if numeric is not None and value is not None and not isinstance(value, bool):
                # a figure is named by its own path (``…holdings.tanks``), other fields by theirs
                where = path if isinstance(node, Figure) else (*path, name)
                values[name] = params.leaf(".".join(where), value, numeric)
            elif isinstance(value, _PLAIN):
                values[name] = value
            else:
                values[name] = _copy(value, (*path, name), params)
        return _construct(node, values)
    if isinstance(node, dict):
        return {key: value if isinstance(value, _PLAIN) else
                _copy(value, (*path, str(key)), params) for key, value in node.items()}
    if isinstance(node, list):
        return [value if isinstance(value, _PLAIN) else _copy(value, (*path, str(i)), params)
                for i, value in enumerate(node)]
    return node


def _construct(node: BaseModel, values: dict[str, Any]) -> BaseModel:
    """A copy of a validated model with some field values replaced, without validating again
    (what ``model_construct`` does, without its per-field bookkeeping)."""
    new = object.__new__(type(node))
    object.__setattr__(new, "__dict__", values)
    # the models are frozen: the copy may share the original's set of fields given
    object.__setattr__(new, "__pydantic_fields_set__", node.__pydantic_fields_set__)
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new


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
