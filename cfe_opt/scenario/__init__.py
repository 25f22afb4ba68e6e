"""Scenario layer: validated inputs. ``load_scenario`` reads, merges, validates and indexes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cfe_opt.collector import objects_not_collected
from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.scenario.cases import case_names, case_raw
from cfe_opt.scenario.loader import (
    RawScenario,
    SourceMap,
    content_sha256,
    parse_spec,
    read_raw,
)
from cfe_opt.scenario.paths import PathError, check_path, set_path
from cfe_opt.scenario.schema import ScenarioSpec
from cfe_opt.scenario.sets import MAIN, ScenarioIndex, build_index
from cfe_opt.scenario.validate import check_references, check_selections

__all__ = ["MAIN", "Scenario", "ScenarioIndex", "ScenarioSpec", "check_changes", "get_field",
           "load_scenario", "scenario_cases", "scenario_from_dict", "set_field", "with_changes"]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its data, its resolved sets, and where each field came from."""

    spec: ScenarioSpec
    index: ScenarioIndex
    source_map: SourceMap
    files: tuple[str, ...]
    sha256: str
    data: dict = field(repr=False, compare=False, default_factory=dict)  # merged plain data
    case: str | None = None  # the case of the file this scenario is (None: the file as written)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def display(self) -> str:
        return self.files[0] if self.files else "<scenario>"


def load_scenario(path: str | Path, models_root: str | Path | None = None,
                  case: str | None = None) -> Scenario:
    """Read a scenario file (and what it extends), validate it and every case it lists, resolve
    its sets. With ``case``, the scenario of that case (the file with the case's changes).

    Raises ``ScenarioError``/``ScenarioErrors`` (one line per problem) on bad input.
    """
    raw = read_raw(Path(path), Path(models_root) if models_root else None)
    scenario = _finish(raw)
    if case is None:
        return scenario
    return case_scenario(scenario, case)


def case_scenario(scenario: Scenario, case: str) -> Scenario:
    """One case of a scenario file (see ``cfe_opt.scenario.cases``)."""
    names = case_names(scenario.data)
    if case not in names:
        known = ", ".join(names) or "none"
        raise ScenarioError(scenario.display, "cases", f"no case '{case}' (its cases: {known})")
    raw = RawScenario(data=scenario.data, source_map=scenario.source_map,
                      files=scenario.files, root=Path.cwd())
    found = _finish(case_raw(raw, case), check_cases=False)
    return Scenario(spec=found.spec, index=found.index, source_map=found.source_map,
                    files=found.files, sha256=found.sha256, data=found.data, case=case)


def scenario_cases(scenario: Scenario) -> dict[str, Scenario]:
    """Every case of the scenario's file, by name, in the order written (empty if none)."""
    return {name: case_scenario(scenario, name) for name in case_names(scenario.data)}


def scenario_from_dict(data: dict, name: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (used by tests and batch variants)."""
    raw = RawScenario(data=data, source_map=SourceMap({}, top=name), files=(name,),
                      root=Path.cwd())
    return _finish(raw)


def _finish(raw: RawScenario, check_cases: bool = True) -> Scenario:
    with objects_not_collected():
        return _validated(raw, check_cases)


def _validated(raw: RawScenario, check_cases: bool) -> Scenario:
    spec = parse_spec(raw)
    check_references(spec, raw.source_map)
    index = build_index(spec)
    check_selections(spec, index, raw.source_map)
    if check_cases and spec.cases:
        errors: list[ScenarioError] = []
        for name in spec.cases:
            try:
                _finish(case_raw(raw, name), check_cases=False)
            except ScenarioErrors as exc:
                errors.extend(exc.errors)
            except ScenarioError as exc:
                errors.append(exc)
        if errors:
            raise ScenarioErrors(errors)
    return Scenario(
        spec=spec,
        index=index,
        source_map=raw.source_map,
        files=raw.files,
        sha256=content_sha256(raw.data),
        data=raw.data,
    )


def with_changes(scenario: Scenario, changes: dict[str, object]) -> Scenario:
    """A variant: the same scenario with fields set by dotted path, validated afresh.

    ``{"parties.RUS.positions.flank_acv.target": 2400}``. A figure written as a mapping
    (``{value: …, source: …}``) keeps its provenance and takes the new value; a field the file
    leaves at its default (``parties.TUR.weight``) can be set; ``None`` removes a field.
    """
    data = copy.deepcopy(scenario.data)
    for path, value in changes.items():
        set_field(data, path, value, scenario)
    raw = RawScenario(data=data, source_map=scenario.source_map, files=scenario.files,
                      root=Path.cwd())
    return _finish(raw)


def check_changes(scenario: Scenario, changes: Mapping[str, object]) -> None:
    """Every path of ``changes`` names a field of the scenario (as ``with_changes`` would set
    it), else ``ScenarioError`` in one line: the file, the path, the wrong segment and the
    nearest name (``no 'flank_acv' in parties.RUS.positions (did you mean
    'flank_acv_active'?)``), before anything is compiled or solved."""
    for path in changes:
        try:
            check_path(scenario.data, path)
        except PathError as exc:
            raise ScenarioError(scenario.display, str(path), str(exc)) from None


def get_field(data: dict, path: str) -> object:
    node: object = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(part)
        node = node[part]
    return node


def set_field(data: dict, path: str, value: object, scenario: Scenario | None = None) -> None:
    """Set a dotted field path in plain scenario data (``None`` removes the field).

    The path is checked against the schema (``paths.py``): a field left at its default (a
    party's ``weight``) can be set; a wrong segment is an error naming it, with the nearest
    name suggested.
    """
    try:
        set_path(data, path, value)
    except PathError as exc:
        raise ScenarioError(scenario.display if scenario else "<scenario>", path,
                            str(exc)) from None
