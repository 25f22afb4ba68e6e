"""Scenario layer: validated inputs. ``load_scenario`` reads, merges, validates and indexes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cfe_opt.scenario.loader import (
    RawScenario,
    SourceMap,
    content_sha256,
    parse_spec,
    read_raw,
)
from cfe_opt.scenario.schema import ScenarioSpec
from cfe_opt.scenario.sets import MAIN, ScenarioIndex, build_index
from cfe_opt.scenario.validate import check_references

__all__ = ["MAIN", "Scenario", "ScenarioIndex", "ScenarioSpec", "load_scenario",
           "scenario_from_dict"]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its data, its resolved sets, and where each field came from."""

    spec: ScenarioSpec
    index: ScenarioIndex
    source_map: SourceMap
    files: tuple[str, ...]
    sha256: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def display(self) -> str:
        return self.files[0] if self.files else "<scenario>"


def load_scenario(path: str | Path, models_root: str | Path | None = None) -> Scenario:
    """Read a scenario file (and what it extends), validate it, resolve its sets.

    Raises ``ScenarioError``/``ScenarioErrors`` (one line per problem) on bad input.
    """
    raw = read_raw(Path(path), Path(models_root) if models_root else None)
    return _finish(raw)


def scenario_from_dict(data: dict, name: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (used by tests and batch variants)."""
    raw = RawScenario(data=data, source_map=SourceMap({}, top=name), files=(name,),
                      root=Path.cwd())
    return _finish(raw)


def _finish(raw: RawScenario) -> Scenario:
    spec = parse_spec(raw)
    check_references(spec, raw.source_map)
    return Scenario(
        spec=spec,
        index=build_index(spec),
        source_map=raw.source_map,
        files=raw.files,
        sha256=content_sha256(raw.data),
    )
