"""The design of a study: every point (grid setting × sample draw × objective mode) and the
variant each point resolves to.

Order: the grid axes in the order the file lists them (the last varies fastest), then the
sample draw, then the objective mode. ``point`` numbers the design in that order; it is how the
final table is sorted, never how a variant is identified (that is its key).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cfe_opt.study.definition import CasesAxis, RangeAxis, ValuesAxis, ZipAxis
from cfe_opt.study.load import Study
from cfe_opt.study.sampling import sample_values
from cfe_opt.study.variant import Variant, normalise, variant_key

# one setting of a grid axis: (its column values, its field changes)
Setting = tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]


def _settings(name: str, axis: Any) -> list[Setting]:
    if isinstance(axis, ValuesAxis | RangeAxis):
        values = axis.values if isinstance(axis, ValuesAxis) else axis.values()
        return [(((name, normalise(v)),), ((axis.field, normalise(v)),)) for v in values]
    if isinstance(axis, ZipAxis):
        members = list(axis.zip.items())
        count = len(members[0][1].values)
        return [(tuple((f"{name}.{m}", normalise(z.values[i])) for m, z in members),
                 tuple((z.field, normalise(z.values[i])) for _, z in members))
                for i in range(count)]
    assert isinstance(axis, CasesAxis)
    return [(((name, case),), tuple((p, normalise(v)) for p, v in changes.items()))
            for case, changes in axis.cases.items()]


@dataclass
class Design:
    """All points of a study, with their variants' keys (computed once)."""

    study: Study
    columns: list[str]  # axis columns, in order
    grid: list[list[Setting]]
    sample: dict[str, list[Any]] | None  # sampled axis → its draws
    sample_fields: dict[str, str]
    modes: tuple[str, ...]

    @classmethod
    def of(cls, study: Study) -> Design:
        spec = study.spec
        grid = [_settings(name, axis) for name, axis in spec.axes.items()]
        columns: list[str] = []
        for settings in grid:
            columns += [c for c, _ in settings[0][0]]
        sample = sample_fields = None
        if spec.sample is not None:
            sample = {name: [normalise(v) for v in values]
                      for name, values in sample_values(spec.sample).items()}
            sample_fields = {name: axis.field for name, axis in spec.sample.axes.items()}
            columns += list(spec.sample.axes)
        return cls(study=study, columns=columns, grid=grid, sample=sample,
                   sample_fields=sample_fields or {}, modes=tuple(spec.objectives))

    @property
    def sample_size(self) -> int:
        return len(next(iter(self.sample.values()))) if self.sample else 1

    def __len__(self) -> int:
        size = len(self.modes) * self.sample_size
        for settings in self.grid:
            size *= len(settings)
        return size

    def points(self, keys: bool = True) -> Iterator[tuple[int | None, dict[str, Any], Variant]]:
        """(sample draw or None, axis values, variant) for every point, in design order
        (without ``keys``, each variant's key is left empty: for a caller that has them)."""
        study = self.study
        sha = study.base.sha256
        draws = range(self.sample_size)
        for combo in itertools.product(*self.grid):
            axis_values: dict[str, Any] = {}
            grid_changes: dict[str, Any] = {}
            for columns, changes in combo:
                axis_values.update(columns)
                grid_changes.update(changes)
            for i in draws:
                values = dict(axis_values)
                changes = dict(grid_changes)
                if self.sample is not None:
                    for name, column in self.sample.items():
                        values[name] = column[i]
                        changes[self.sample_fields[name]] = column[i]
                kept = {p: v for p, v in changes.items() if not study.same_as_base(p, v)}
                for mode in self.modes:
                    yield ((i if self.sample is not None else None), values,
                           Variant(key=variant_key(sha, kept, mode) if keys else "",
                                   changes=kept, mode=mode, axes=tuple(values.items())))

    def schema(self) -> pa.Schema:
        """The design table's columns, typed from the axes' values (the same whatever part of
        the design a batch holds)."""
        fields = [pa.field("point", pa.int64())]
        if self.sample is not None:
            fields.append(pa.field("sample", pa.int64()))
        values: dict[str, list[Any]] = {c: [] for c in self.columns}
        for settings in self.grid:
            for columns, _changes in settings:
                for c, v in columns:
                    values[c].append(v)
        for name, column in (self.sample or {}).items():
            values[name] = column
        fields += [pa.field(c, _column(values[c]).type) for c in self.columns]
        return pa.schema([*fields, pa.field("mode", pa.string()), pa.field("key", pa.string())])

    def batches(self, size: int = 4096) -> Iterator[pa.Table]:
        """The design table (point, sample if sampled, axis columns, mode, key) in batches of
        ``size`` points, in design order: only one batch is ever held."""
        schema = self.schema()
        rows: dict[str, list[Any]] = {f.name: [] for f in schema}

        def table() -> pa.Table:
            arrays = [_typed(rows[f.name], f.type) for f in schema]
            for column in rows.values():
                column.clear()
            return pa.Table.from_arrays(arrays, schema=schema)

        for point, (draw, values, variant) in enumerate(self.points()):
            rows["point"].append(point)
            if self.sample is not None:
                rows["sample"].append(draw)
            for c in self.columns:
                rows[c].append(values[c])
            rows["mode"].append(variant.mode)
            rows["key"].append(variant.key)
            if len(rows["key"]) >= size:
                yield table()
        if rows["key"]:
            yield table()

    def table(self) -> pa.Table:
        """The whole design table (for small designs and tests; a run streams ``batches``)."""
        return pa.concat_tables([*self.batches(), self.schema().empty_table()])


def _typed(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_floating(kind):
        return pa.array([None if v is None else float(v) for v in values], kind)
    return pa.array(values, kind)


def _column(values: list[Any]) -> pa.Array:
    if all(v is None for v in values):
        return pa.array(values, pa.float64())
    if any(isinstance(v, float) for v in values):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array(values)
