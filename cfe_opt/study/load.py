"""Load a study: the file checked against its base scenario, ready to design and evaluate.

Beyond the schema (``definition.py``), a study must make sense for its base scenario: every
field path names a field of the base (a wrong segment is named, with the nearest name), no
field moves on two axes, a whole-number field (a count) gets whole numbers, an axis lists no
value twice, no two cases are the same variant, every kept shadow price and ceiling names
something the base model has. Each problem is one line ``file:line: field.path: reason``.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.scenario import Scenario, load_scenario
from cfe_opt.scenario.paths import MISSING, FieldInfo, PathError, check_path, effective_value
from cfe_opt.study.definition import (
    MAX_VARIANTS,
    CasesAxis,
    Choice,
    RangeAxis,
    StudyFile,
    ValuesAxis,
    ZipAxis,
    read_study_file,
)
from cfe_opt.study.layout import RowLayout, base_rows, make_layout
from cfe_opt.study.variant import normalise

# column names of the design and the rows that an axis may not take
RESERVED = {"point", "sample", "key", "mode", "status", "reason", "objective", "binding",
            "concession_total", "concession", "conflict", "solver", "solver_version",
            "cfe_opt_version", "base_sha256", "model_version", "run"}


@dataclass(frozen=True)
class Study:
    """A checked study: its file, its base scenario, and what each varied field is."""

    file: StudyFile
    base: Scenario
    fields: dict[str, FieldInfo]  # every varied field path → what it is
    base_values: dict[str, Any]  # field path → its normalised value in the base (or MISSING)
    layout: RowLayout = field(repr=False)

    @property
    def spec(self):  # type: ignore[no-untyped-def]
        return self.file.spec

    @property
    def name(self) -> str:
        return self.file.spec.name

    def same_as_base(self, path: str, value: Any) -> bool:
        """Is ``value`` (normalised) what the base already has at ``path``?"""
        base = self.base_values[path]
        if base is MISSING:
            return value is None
        if type(value) in (int, float) and type(base) in (int, float):
            return value == base  # normalised (a float is never whole): equal iff their JSON
        return _canonical(value) == _canonical(base)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def load_study(path: str | Path) -> Study:
    """Read a study file and its base scenario; check one against the other."""
    sf = read_study_file(path)
    spec = sf.spec
    base_file = sf.path.parent / Path(spec.base)  # relative to the study file (or absolute)
    if not base_file.is_file():
        reason = "is a folder, not a scenario file" if base_file.is_dir() else "does not exist"
        raise sf.error(("base",), f"'{spec.base}' {reason} (relative to the study file)")
    base = load_scenario(base_file)
    checker = _Checker(sf, base)
    checker.run()
    if checker.errors:
        raise ScenarioErrors(checker.errors)
    layout = make_layout(base, spec.keep.ceilings, spec.keep.shadow_prices, spec.keep.detail)
    return Study(file=sf, base=base, fields=checker.fields, base_values=checker.base_values,
                 layout=layout)


class _Checker:
    def __init__(self, sf: StudyFile, base: Scenario) -> None:
        self.sf = sf
        self.base = base
        self.errors: list[ScenarioError] = []
        self.fields: dict[str, FieldInfo] = {}
        self.base_values: dict[str, Any] = {}
        self.owner: dict[str, str] = {}  # field → the axis that varies it

    def fail(self, where: tuple, reason: str) -> None:
        self.errors.append(self.sf.error(where, reason))

    def run(self) -> None:
        spec = self.sf.spec
        if len(set(spec.objectives)) != len(spec.objectives):
            self.fail(("objectives",), "lists an objective mode twice")
        columns: dict[str, tuple] = {}
        for name, axis in spec.axes.items():
            where = ("axes", name)
            if isinstance(axis, ValuesAxis | RangeAxis):
                values = axis.values if isinstance(axis, ValuesAxis) else axis.values()
                info = self.field(axis.field, (*where, "field"), name)
                self.values(values, info, (*where, "values" if isinstance(axis, ValuesAxis)
                                             else "range"))
                self.column(columns, name, where)
            elif isinstance(axis, ZipAxis):
                for member, zipped in axis.zip.items():
                    mw = (*where, "zip", member)
                    info = self.field(zipped.field, (*mw, "field"), name)
                    self.values(zipped.values, info, (*mw, "values"), unique=False)
                    self.column(columns, f"{name}.{member}", mw)
                rows = list(zip(*(m.values for m in axis.zip.values()), strict=True))
                seen: dict[str, int] = {}
                for i, row in enumerate(rows):
                    text = _canonical([normalise(v) for v in row])
                    if text in seen:
                        self.fail((*where, "zip"), f"values {seen[text]} and {i} are the same "
                                  "in every zipped field (one variant twice)")
                        break
                    seen[text] = i
            elif isinstance(axis, CasesAxis):
                self.cases(name, axis, where)
                self.column(columns, name, where)
        if spec.sample is not None:
            for name, axis in spec.sample.axes.items():
                where = ("sample", "axes", name)
                info = self.field(axis.field, (*where, "field"), name)
                self.sampled(axis, info, where)
                self.column(columns, name, where)
        self.keep()
        size = len(spec.objectives) * (spec.sample.draws if spec.sample else 1)
        for axis in spec.axes.values():
            size *= _axis_length(axis)
        if size > MAX_VARIANTS:
            self.fail(("axes",) if spec.axes else ("sample", "size"),
                      f"the design has {size:,} variants; at most {MAX_VARIANTS:,}")

    def field(self, path: str, where: tuple, axis: str) -> FieldInfo | None:
        try:
            info = check_path(self.base.data, path)
        except PathError as exc:
            self.fail(where, f"{path}: {exc}")
            return None
        if path in self.owner and self.owner[path] != axis:
            self.fail(where, f"{path} is already varied by axis '{self.owner[path]}' (a field "
                      "moves on one axis; zip fields that move together)")
            return None
        self.owner[path] = axis
        self.fields[path] = info
        value = effective_value(self.base.data, self.base.spec, path)
        self.base_values[path] = value if value is MISSING else normalise(value)
        return info

    def values(self, values: list[Any], info: FieldInfo | None, where: tuple,
               unique: bool = True) -> None:
        kinds = {_kind(v) for v in values if v is not None}
        if len(kinds) > 1:
            self.fail(where, f"mixes {' and '.join(sorted(kinds))} values (one axis holds one "
                      "kind)")
            return
        seen: dict[str, int] = {}
        for i, value in enumerate(values):
            if info is not None and info.integer and isinstance(value, float) and not (
                    value.is_integer()):
                self.fail((*where, i) if where[-1] == "values" else where,
                          f"{info.path} takes whole numbers (got {value!r})")
                return
            text = _canonical(normalise(value))
            if unique and text in seen:
                self.fail((*where, i) if where[-1] == "values" else where,
                          f"lists {value!r} twice (positions {seen[text]} and {i})")
                return
            seen[text] = i

    def cases(self, name: str, axis: CasesAxis, where: tuple) -> None:
        resolved: dict[str, str] = {}
        for case, changes in axis.cases.items():
            cw = (*where, "cases", case)
            effective = {}
            for path, value in changes.items():
                info = self.field(path, (*cw, path), name)
                if info is None:
                    continue
                if info.integer and isinstance(value, float) and not value.is_integer():
                    self.fail((*cw, path), f"{path} takes whole numbers (got {value!r})")
                    continue
                value = normalise(value)
                if self.base_values.get(path, MISSING) is MISSING and value is None:
                    continue
                if self.base_values.get(path) is not MISSING and _canonical(value) == (
                        _canonical(self.base_values[path])):
                    continue
                effective[path] = value
            text = _canonical(effective)
            if text in resolved:
                self.fail(cw, f"case '{case}' is the same variant as case '{resolved[text]}'")
            resolved[text] = case

    def sampled(self, axis: Any, info: FieldInfo | None, where: tuple) -> None:
        if info is None:
            return
        if isinstance(axis, Choice):
            self.values(axis.values, info, (*where, "values"))
            return
        if not info.numeric:
            self.fail((*where, "distribution"), f"{info.path} is not a number field; use "
                      "distribution: choice")
        elif info.integer and not axis.integer:
            self.fail((*where, "distribution"), f"{info.path} takes whole numbers: add "
                      "'integer: true' to draw them")

    def column(self, columns: dict[str, tuple], name: str, where: tuple) -> None:
        if name in RESERVED:
            self.fail(where, f"'{name}' is a column of every row; choose another axis name")
        elif name in columns:
            self.fail(where, f"axis name '{name}' is used twice (grid and sample axes share "
                      "one set of columns)")
        columns[name] = where

    def keep(self) -> None:
        keep = self.sf.spec.keep
        if not keep.shadow_prices and keep.ceilings in ("all", "none"):
            return
        hard, ceilings = base_rows(self.base)
        for i, pattern in enumerate(keep.shadow_prices):
            if not any(fnmatch.fnmatchcase(name, pattern) for name in hard):
                hint = difflib.get_close_matches(pattern, hard, n=1, cutoff=0.4)
                self.fail(("keep", "shadow_prices", i), f"'{pattern}' names no hard limit of "
                          "the base model" + (f" (did you mean '{hint[0]}'?)" if hint else
                                              " (see 'cfe-opt prices' for their names)"))
        if isinstance(keep.ceilings, list):
            names = [c for c, _ in ceilings]
            for i, prefix in enumerate(keep.ceilings):
                if not any(c == prefix or c.startswith(prefix + ".") for c in names):
                    hint = difflib.get_close_matches(prefix, names, n=1, cutoff=0.4)
                    self.fail(("keep", "ceilings", i), f"'{prefix}' names no ceiling of the "
                              "base model" + (f" (did you mean '{hint[0]}'?)" if hint else ""))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _axis_length(axis: Any) -> int:
    if isinstance(axis, ValuesAxis):
        return len(axis.values)
    if isinstance(axis, RangeAxis):
        r = axis.range
        return math.floor((r.to - r.from_) / r.step + 1e-9) + 1
    if isinstance(axis, ZipAxis):
        return len(next(iter(axis.zip.values())).values)
    return len(axis.cases)
