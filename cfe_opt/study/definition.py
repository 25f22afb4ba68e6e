"""The study file: a base scenario, the axes that vary it, the objective modes, what to keep.

Read by the scenario reader (``yaml_safe``: plain data only, no aliases, no duplicate keys) and
validated with pydantic the same way as scenarios: unknown keys refused, every problem one line
``file:line: field.path: reason``. The format is documented in ``docs/studies.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)

from cfe_opt.errors import ScenarioError, ScenarioErrors
from cfe_opt.objectives import ObjectiveMode
from cfe_opt.scenario.yaml_safe import Path_, format_path, read_yaml

MAX_VARIANTS = 10_000_000  # design points of one study (grid × sample × objective modes)
MAX_AXIS_VALUES = 100_000
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(max_length=4000)]
FieldPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\[\]]+$", max_length=500)]


def _number(positive: bool = False):  # type: ignore[no-untyped-def]
    def check(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if positive and value <= 0:
            raise ValueError("must be greater than 0")
        return value
    return check


Number = Annotated[float, PlainValidator(_number(), json_schema_input_type=float)]
PositiveNumber = Annotated[float, PlainValidator(_number(True), json_schema_input_type=float)]


def _scalar(value: Any) -> Any:
    """An axis value: a number, text, true/false, or null (null removes the field)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    raise ValueError("must be a number, text, true/false or null (one value, not a "
                     "mapping or a list)")


Scalar = Annotated[Any, PlainValidator(_scalar)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---- grid axes ------------------------------------------------------------------------------

class ValuesAxis(Strict):
    """One field takes each listed value."""

    field: FieldPath
    values: list[Scalar] = Field(min_length=1, max_length=MAX_AXIS_VALUES)
    description: Text | None = None


class RangeSpec(Strict):
    from_: Number = Field(alias="from")
    to: Number
    step: PositiveNumber


def _range(value: Any) -> Any:
    """``"FROM:TO:STEP"`` (quote it in YAML) or ``{from:, to:, step:}``."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([^:]+):([^:]+):([^:]+)\s*", value)
        if not match:
            raise ValueError("expected 'FROM:TO:STEP', e.g. '1380:2400:100'")
        try:
            start, stop, step = (float(match.group(i)) for i in (1, 2, 3))
        except ValueError:
            raise ValueError("FROM, TO and STEP must be numbers (e.g. '1380:2400:100')") from None
        value = {"from": start, "to": stop, "step": step}
    if isinstance(value, dict):
        try:
            return RangeSpec.model_validate(value)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]).replace("from_", "from")
            raise ValueError(f"{where}: {first['msg'][0].lower()}{first['msg'][1:]}".replace(
                "Value error, ", "").replace("value error, ", "")) from None
    raise ValueError("expected 'FROM:TO:STEP' or a mapping {from:, to:, step:}")


class RangeAxis(Strict):
    """One field takes FROM, FROM+STEP, … up to TO (inclusive)."""

    field: FieldPath
    range: Annotated[RangeSpec, PlainValidator(_range)]
    description: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RangeAxis:
        if self.range.to < self.range.from_:
            raise ValueError(f"TO ({self.range.to:g}) is below FROM "
                             f"({self.range.from_:g})")
        count = math.floor((self.range.to - self.range.from_) / self.range.step + 1e-9) + 1
        if count > MAX_AXIS_VALUES:
            raise ValueError(f"{count:,} values; at most {MAX_AXIS_VALUES:,} per axis")
        return self

    def values(self) -> list[float | int]:
        r = self.range
        count = math.floor((r.to - r.from_) / r.step + 1e-9) + 1
        out = [r.from_ + i * r.step for i in range(count)]
        return [int(v) if float(v).is_integer() else round(v, 12) for v in out]


class ZipMember(Strict):
    field: FieldPath
    values: list[Scalar] = Field(min_length=1, max_length=MAX_AXIS_VALUES)


class ZipAxis(Strict):
    """Several fields move together: the i-th value of each, for each i."""

    zip: dict[Name, ZipMember] = Field(min_length=1)
    description: Text | None = None

    @model_validator(mode="after")
    def _same_length(self) -> ZipAxis:
        lengths = {name: len(m.values) for name, m in self.zip.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k} {v}" for k, v in lengths.items())
            raise ValueError(f"zipped fields must have as many values each ({shown})")
        return self


class CasesAxis(Strict):
    """Named cases, each a set of field changes (``{}`` is the base scenario)."""

    cases: dict[Name, dict[FieldPath, Scalar]] = Field(min_length=1)
    description: Text | None = None


_AXIS_KEYS = {"values": "values", "range": "range", "zip": "zip", "cases": "cases"}


def _axis_kind(value: Any) -> str:
    if not isinstance(value, dict):
        return "?"
    found = [k for k in _AXIS_KEYS if k in value]
    return f"{found[0]} axis" if len(found) == 1 else "?"


GridAxis = Annotated[
    Annotated[ValuesAxis, Tag("values axis")]
    | Annotated[RangeAxis, Tag("range axis")]
    | Annotated[ZipAxis, Tag("zip axis")]
    | Annotated[CasesAxis, Tag("cases axis")],
    Discriminator(_axis_kind, custom_error_type="axis_kind",
                  custom_error_message="an axis gives exactly one of: values, range, zip, cases"),
]


# ---- sampled axes ---------------------------------------------------------------------------

class SampledBase(Strict):
    field: FieldPath
    description: Text | None = None


class Uniform(SampledBase):
    """Uniform on [low, high]; with ``integer``, each whole number low..high equally likely."""

    distribution: Literal["uniform"]
    low: Number
    high: Number
    integer: StrictBool = False

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        _check_bounds(self.low, self.high, self.integer)
        return self


class LogUniform(SampledBase):
    """Uniform in log(value) on [low, high] (low > 0); with ``integer``, rounded."""

    distribution: Literal["log_uniform"]
    low: PositiveNumber
    high: PositiveNumber
    integer: StrictBool = False

    @model_validator(mode="after")
    def _ordered(self) -> LogUniform:
        _check_bounds(self.low, self.high, self.integer)
        return self


class Normal(SampledBase):
    """Normal(mean, sd) truncated to [low, high]; with ``integer``, rounded."""

    distribution: Literal["normal"]
    mean: Number
    sd: PositiveNumber
    low: Number
    high: Number
    integer: StrictBool = False

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        _check_bounds(self.low, self.high, self.integer)
        return self


class Choice(SampledBase):
    """One of ``values``, each equally likely or in proportion to ``weights``."""

    distribution: Literal["choice"]
    values: list[Scalar] = Field(min_length=1, max_length=MAX_AXIS_VALUES)
    weights: list[PositiveNumber] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None and len(self.weights) != len(self.values):
            raise ValueError(f"weights: {len(self.weights)} weights for {len(self.values)} "
                             "values")
        return self


def _check_bounds(low: float, high: float, integer: bool) -> None:
    if not low < high:
        raise ValueError(f"low ({low:g}) must be below high ({high:g})")
    if integer and math.floor(high) < math.ceil(low):
        raise ValueError(f"no whole number lies between low ({low:g}) and high ({high:g})")


def _distribution(value: Any) -> str:
    kind = value.get("distribution", "?") if isinstance(value, dict) else "?"
    return f"{kind} distribution" if isinstance(kind, str) else "?"


SampledAxis = Annotated[
    Annotated[Uniform, Tag("uniform distribution")]
    | Annotated[LogUniform, Tag("log_uniform distribution")]
    | Annotated[Normal, Tag("normal distribution")]
    | Annotated[Choice, Tag("choice distribution")],
    Discriminator(_distribution, custom_error_type="distribution",
                  custom_error_message="'distribution' must be one of: uniform, log_uniform, "
                                       "normal, choice"),
]


class Sample(Strict):
    """Draws of the sampled axes (crossed with the grid axes).

    ``size`` is the number of draws, except for the designs of sensitivity analysis:
    ``saltelli`` takes ``size`` base points (N·(D+2) draws for D axes) and ``morris``
    ``size`` trajectories (N·(D+1) draws).
    """

    size: StrictInt = Field(ge=1, le=MAX_VARIANTS)
    seed: StrictInt = Field(ge=0, le=2**32 - 1)
    method: Literal["random", "latin_hypercube", "sobol", "saltelli", "morris"] = "random"
    block: StrictInt = Field(default=1024, ge=2, le=MAX_VARIANTS)  # latin_hypercube only
    levels: StrictInt = Field(default=4, ge=2, le=100)  # morris only: grid levels
    axes: dict[Name, SampledAxis] = Field(min_length=1)

    @property
    def draws(self) -> int:
        d = len(self.axes)
        if self.method == "saltelli":
            return self.size * (d + 2)
        if self.method == "morris":
            return self.size * (d + 1)
        return self.size


class Keep(Strict):
    """What each row keeps beyond the status, objective, deviations and positions."""

    # ceilings: all, none, or a list of column prefixes ("NC.USA", "TSC.RUS.flank")
    ceilings: Literal["all", "none"] | list[Annotated[str, StringConstraints(
        pattern=r"^(NC|TC|TSCa|TSC|ETD|TD)(\.[A-Za-z0-9_]+)*$", max_length=200)]] = "all"
    # shadow prices of these hard limits: row names or patterns (limit.sufficiency_usa.*)
    shadow_prices: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.*?\[\]]+$",
                                                         max_length=300)]] = []
    # the variant's whole package as well: allocation and positions tables as list columns
    detail: StrictBool = False


class StudySpec(Strict):
    name: Text
    description: Text | None = None
    base: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    objectives: list[ObjectiveMode] = Field(default=["weighted"], min_length=1)
    solver: Literal["highs", "cbc"] = "highs"
    axes: dict[Name, GridAxis] = {}
    sample: Sample | None = None
    keep: Keep = Keep()


# ---- reading --------------------------------------------------------------------------------

@dataclass(frozen=True)
class StudyFile:
    """A parsed, schema-checked study file and where each of its fields is written."""

    spec: StudySpec
    display: str
    path: Path
    text_sha256: str
    lines: dict[Path_, int] = field(repr=False, compare=False, default_factory=dict)

    def error(self, path: Path_, reason: str) -> ScenarioError:
        return ScenarioError(self.display, format_path(path), reason, line=self.line(path))

    def line(self, path: Path_) -> int | None:
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def read_study_file(path: str | Path) -> StudyFile:
    """Read and schema-check a study file; every problem is one ``file:line: field: reason``."""
    from cfe_opt.scenario.loader import display_name

    path = Path(path)
    display = display_name(path)
    doc = read_yaml(path, display)
    if not isinstance(doc.data, dict):
        raise ScenarioError(display, "", "a study file must be a mapping of fields")
    try:
        spec = StudySpec.model_validate(doc.data)
    except ValidationError as exc:
        errors: dict[str, ScenarioError] = {}
        for err in exc.errors(include_url=False):
            problem = _convert(err, doc.data, doc.lines, display)
            errors.setdefault(str(problem), problem)
        raise ScenarioErrors(list(errors.values())) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return StudyFile(spec=spec, display=display, path=path, text_sha256=digest, lines=doc.lines)


def _convert(err: Any, data: Any, lines: dict[Path_, int], display: str) -> ScenarioError:
    kind = err["type"]
    loc = tuple(err["loc"])
    path = _user_path(loc, data, keep_missing_last=kind == "missing")
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        hint = difflib.get_close_matches(name, _FIELD_NAMES, n=1)
        reason = f"unknown field '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    elif kind == "missing":
        reason = "required field is missing"
    else:
        reason = err["msg"] or "invalid value"
        reason = reason[0].lower() + reason[1:]
        reason = reason.replace("Value error, ", "").replace("value error, ", "")
        given = _walk(data, path)
        if given is not _MISSING and not isinstance(given, dict | list):
            shown = repr(given)
            reason += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    line = None
    for cut in range(len(path), -1, -1):
        line = lines.get(tuple(path[:cut]))
        if line is not None:
            break
    return ScenarioError(display, format_path(path), reason, line=line)


_MISSING = object()


def _walk(data: Any, path: Path_) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return _MISSING
    return data


def _user_path(loc: tuple[Any, ...], data: Any, keep_missing_last: bool) -> Path_:
    """Pydantic's location as written in the file (tags and normalisation steps dropped)."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if part == "from_":
            part = "from"
        if isinstance(node, dict):
            if part in node:
                out.append(part)
                node = node[part]
            elif last and keep_missing_last:
                out.append(part)
        elif isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                out.append(part)
                node = node[part]
        else:
            break
    return tuple(out)


def _field_names() -> list[str]:
    names: set[str] = set()
    for model in (StudySpec, ValuesAxis, RangeAxis, RangeSpec, ZipAxis, ZipMember, CasesAxis,
                  Uniform, LogUniform, Normal, Choice, Sample, Keep):
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return sorted(names)


_FIELD_NAMES = _field_names()
