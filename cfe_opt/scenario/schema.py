"""The scenario file format, as pydantic models.

A scenario is data: parties (states, or aggregates standing for several states) with their
holdings and current ceilings, groups and zones, hard limits (treaty rules, commitments, red lines)
and each party's positions. Every mapping forbids unknown keys; every count is a non-negative
integer no larger than ``MAX_COUNT``. Cross-references (a group naming an unknown party, a position
on an area that has no sub-ceiling…) are checked afterwards, in ``validate.py``.
"""

from __future__ import annotations

import datetime
import math
import re
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
    field_validator,
    model_validator,
)

from cfe_opt.categories import MAX_COUNT, Category

Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(max_length=4000)]
# A party, a group, a zone, or an area written PARTY.area.
Ref = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$",
                                      max_length=130)]
CategoryRef = Category | Literal["all", "ground", "air"]
Sense = Literal["<=", ">=", "=="]
DeploymentKind = Literal["basic", "exceptional"]
CeilingName = Literal["national_ceiling", "territorial_ceiling"]
CUT_FORMS = ("national", "mandated")


def _number_check(low: float | None = None, strict: bool = False):  # type: ignore[no-untyped-def]
    """One validator for a number field: one clear message whatever is wrong."""

    def check(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if abs(value) > MAX_COUNT * 100:
            raise ValueError(f"must be at most {MAX_COUNT * 100:,} in size")
        if low is not None and (value <= low if strict else value < low):
            raise ValueError(f"must be {'greater than' if strict else 'at least'} {low}")
        return value

    return check


Number = Annotated[float, PlainValidator(_number_check(), json_schema_input_type=float)]
PositiveNumber = Annotated[float, PlainValidator(_number_check(0, strict=True),
                                                 json_schema_input_type=float)]
NonNegativeNumber = Annotated[float, PlainValidator(_number_check(0),
                                                    json_schema_input_type=float)]


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _date_check(value: Any) -> str:
    """A date as YYYY (a YAML integer or text), YYYY-MM or YYYY-MM-DD; kept as written."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("a date is written YYYY, YYYY-MM or YYYY-MM-DD")
    text = str(value)
    match = _DATE.match(text)
    if not match:
        raise ValueError("a date is written YYYY, YYYY-MM or YYYY-MM-DD")
    try:
        date_end(text)
    except ValueError:
        raise ValueError(f"{text} is not a date of the calendar") from None
    return text


def date_end(text: str) -> datetime.date:
    """The last day a date written YYYY, YYYY-MM or YYYY-MM-DD covers (the date rule compares a
    partial date as its last day: "1998-12" is after 21 December 1998)."""
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = match.groups()
    if month is None:
        return datetime.date(int(year), 12, 31)
    if day is None:
        first_next = datetime.date(int(year) + int(month) // 12, int(month) % 12 + 1, 1)
        datetime.date(int(year), int(month), 1)  # the month itself must exist
        return first_next - datetime.timedelta(days=1)
    return datetime.date(int(year), int(month), int(day))


Date = Annotated[str, PlainValidator(_date_check, json_schema_input_type=str)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Figure(Strict):
    """A count with where it comes from. Written either as a bare integer or as a mapping."""

    value: Count
    source: Text | None = None
    confidence: Text | None = None
    note: Text | None = None
    assumption: StrictBool = False
    # the date of what the figure describes (as of, in force from, stated on); a figure dated
    # after the scenario's ``as_of`` is a later stand-in and says so
    date: Date | None = None
    stand_in: StrictBool = False

    @model_validator(mode="before")
    @classmethod
    def _from_bare_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {"value": data}

    @model_validator(mode="after")
    def _assumption_needs_reason(self) -> Figure:
        _provenance_checks(self)
        return self


def _provenance_checks(item: Any) -> None:
    """An assumption needs its reasoning; a later stand-in its date and its reason."""
    if item.assumption and not item.note:
        raise ValueError("an assumption needs a note giving its reasoning")
    if item.stand_in and (not item.note or item.date is None):
        raise ValueError("a later stand-in needs its date and a note saying what it stands in "
                         "for")


CategoryFigures = dict[Category, Figure]


class Area(Strict):
    """A part of a party's territory (Russia's flank region, Ukraine's Odessa oblast)."""

    name: Text | None = None
    description: Text | None = None
    source: Text | None = None
    # The party's own ground equipment located here before any change, and of it, in storage.
    holdings: CategoryFigures = {}
    storage: CategoryFigures = {}
    # The current territorial sub-ceiling, if the area has one.
    territorial_subceiling: CategoryFigures = {}
    subceiling: StrictBool = False  # the area carries a sub-ceiling even with no current figure
    # The current sub-ceiling on equipment in active units (the rest of the sub-ceiling is
    # room for equipment in storage); ``true``: an active-unit sub-ceiling with no current figure.
    active_subceiling: CategoryFigures | StrictBool = {}

    @property
    def has_active_subceiling(self) -> bool:
        return self.active_subceiling is True or bool(self.active_subceiling)

    @property
    def active_figures(self) -> dict[str, Figure]:
        return self.active_subceiling if isinstance(self.active_subceiling, dict) else {}


class Term(Strict):
    """One summand of a quantity: a sum of one kind of variable over parties/areas/categories."""

    of: Literal[
        "holdings",
        "national_ceiling",
        "territorial_ceiling",
        "reduction",
        "temporary_deployment",
        "equipment",
        "ceiling_cut",
    ]
    parties: list[Ref] | None = None
    areas: list[Ref] | None = None
    owners: list[Ref] | None = None
    categories: list[CategoryRef] | None = None
    status: Literal["active", "storage", "any"] = "any"
    kinds: list[DeploymentKind] | None = None  # temporary deployments: which kinds
    ceiling: CeilingName | None = None  # ceiling cuts: which ceiling
    form: Literal["national", "mandated", "any"] = "any"  # ceiling cuts: which legal form
    coefficient: Number = 1


class Quantity(Strict):
    """A linear expression: written as one term (its fields inline) or as ``terms: [...]``."""

    terms: list[Term] = Field(min_length=1, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _inline_term(cls, data: Any) -> Any:
        if isinstance(data, dict) and "terms" not in data:
            return {"terms": [data]}
        return data


class LimitBase(Strict):
    owner: Name | None = None
    description: Text | None = None
    source: Text | None = None
    note: Text | None = None
    assumption: StrictBool = False
    date: Date | None = None  # for a limit with no figure of its own (freeze, reciprocity…)
    stand_in: StrictBool = False

    @model_validator(mode="after")
    def _provenance(self) -> LimitBase:
        _provenance_checks(self)
        return self


class SumLimit(LimitBase):
    """quantity  sense  value; with ``per``, one limit for each party and/or category."""

    type: Literal["sum"] = "sum"
    quantity: Quantity
    sense: Sense
    value: Figure | None = None
    values: CategoryFigures | None = None  # one figure per category (with ``per: [category]``)
    per: list[Literal["party", "category"]] = []

    @model_validator(mode="after")
    def _one_value(self) -> SumLimit:
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of 'value' (one figure) or 'values' (per category)")
        if self.values is not None and "category" not in self.per:
            raise ValueError("'values' gives a figure per category, so 'per' must include category")
        return self


class FreezeLimit(LimitBase):
    """Each listed party's ceiling (or holdings) may not rise above its current figure."""

    type: Literal["freeze"]
    of: Literal["national_ceiling", "territorial_ceiling", "holdings"]
    parties: list[Ref] = []
    areas: list[Ref] | None = None
    categories: list[CategoryRef] | None = None
    # for areas: the total sub-ceiling (any), its active-unit part, or its storage part
    status: Literal["active", "storage", "any"] = "any"

    @model_validator(mode="after")
    def _something_to_freeze(self) -> FreezeLimit:
        if not self.parties and not self.areas:
            raise ValueError("give the parties and/or areas whose figures are frozen")
        return self


class ReciprocityLimit(LimitBase):
    """The subject's cut may not exceed ``ratio`` times the reference's cut (shares or units)."""

    type: Literal["reciprocity"]
    subject: Quantity
    reference: Quantity
    ratio: NonNegativeNumber = 1
    measure: Literal["share", "absolute"] = "share"


class EqualTreatmentLimit(LimitBase):
    """No subject party's cut share may exceed any reference party's (rules apply alike)."""

    type: Literal["equal_treatment"]
    of: Literal["national_ceiling", "territorial_ceiling", "holdings"]
    subject: list[Ref] = Field(min_length=1)
    reference: list[Ref] = Field(min_length=1)
    categories: list[CategoryRef] | None = None


def _limit_type(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("type", "sum")
        return kind if isinstance(kind, str) else "?"
    return getattr(value, "type", "sum")


Limit = Annotated[
    Annotated[SumLimit, Tag("sum")]
    | Annotated[FreezeLimit, Tag("freeze")]
    | Annotated[ReciprocityLimit, Tag("reciprocity")]
    | Annotated[EqualTreatmentLimit, Tag("equal_treatment")],
    Discriminator(
        _limit_type,
        custom_error_type="limit_type",
        custom_error_message="'type' must be one of: sum, freeze, reciprocity, equal_treatment",
    ),
]


class Range(Strict):
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Position(Strict):
    """A party's stated position: a target for a quantity, soft (deviations are minimised)."""

    quantity: Quantity
    direction: Literal["at_most", "at_least", "exactly"]
    target: Number
    range: Range | None = None
    weight: PositiveNumber = 1
    priority: StrictInt = Field(default=1, ge=1, le=100)
    scale: PositiveNumber | None = None
    description: Text | None = None
    source: Text | None = None
    note: Text | None = None
    assumption: StrictBool = False
    date: Date | None = None  # when the position was stated
    stand_in: StrictBool = False
    # other parties holding the same position: one deviation, counted once in every objective
    # and for each holder in per-party outcomes
    joint_with: list[Ref] = []

    @model_validator(mode="after")
    def _target_in_range(self) -> Position:
        _provenance_checks(self)
        if self.range is not None:
            if self.range.min is not None and self.target < self.range.min:
                raise ValueError(f"target {self.target} is below the acceptable range's min "
                                 f"{self.range.min}")
            if self.range.max is not None and self.target > self.range.max:
                raise ValueError(f"target {self.target} is above the acceptable range's max "
                                 f"{self.range.max}")
        return self


class Party(Strict):
    """A state party (or an aggregate standing for several states, with sourced group totals)."""

    name: Text
    kind: Literal["state", "aggregate"] = "state"
    territory: StrictBool = True  # False for parties with no territory in the ATTU (USA, Canada)
    weight: PositiveNumber = 1
    description: Text | None = None
    source: Text | None = None
    # The categories this party's equipment is modelled in (default: the scenario's). A party
    # with ``categories: []`` takes part through its positions and red lines only.
    categories: list[Category] | None = None
    holdings: CategoryFigures = {}
    storage: CategoryFigures = {}
    national_ceiling: CategoryFigures = {}
    territorial_ceiling: CategoryFigures = {}
    areas: dict[Name, Area] = {}
    stationed: dict[Ref, CategoryFigures] = {}
    # ceilings cut only from their current figure, each cut made by a legal form: by the
    # party's own decision (national) or by a treaty rule for designated countries (mandated)
    cuts: list[CeilingName] = []
    positions: dict[Name, Position] = {}
    red_lines: dict[Name, Limit] = {}


class Group(Strict):
    name: Text | None = None
    description: Text | None = None
    members: list[Ref] = Field(min_length=1)


class Zone(Strict):
    name: Text | None = None
    description: Text | None = None
    source: Text | None = None
    members: list[Ref] = Field(min_length=1)


class TemporaryDeployment(Strict):
    """How far each host's territorial ceiling (or an area's sub-ceiling) may be exceeded
    temporarily: basic (BTD) or exceptional (ETD) deployments."""

    kind: DeploymentKind = "basic"
    hosts: list[Ref] = Field(min_length=1)
    allowance: CategoryFigures = Field(min_length=1)
    owner: Name | None = None
    description: Text | None = None
    source: Text | None = None
    note: Text | None = None
    assumption: StrictBool = False
    date: Date | None = None
    stand_in: StrictBool = False

    @model_validator(mode="after")
    def _provenance(self) -> TemporaryDeployment:
        _provenance_checks(self)
        return self


class Outcome(Strict):
    """A named quantity whose value every solve reports (and cases, robustness, history read)."""

    quantity: Quantity
    description: Text | None = None


class Case(Strict):
    """One case of the scenario: the file with ``changes`` merged in as an extending file would
    be (mappings merge, other values replace, ``null`` removes)."""

    description: Text | None = None
    changes: dict[str, Any] = {}


class Settings(Strict):
    holdings_may_rise: StrictBool = False
    tie_break: Literal["status_quo", "none"] = "status_quo"


class ScenarioSpec(Strict):
    name: Text
    description: Text | None = None
    # the date the scenario stands at: every input is dated on or before it, or is flagged as a
    # later stand-in
    as_of: Date | None = None
    sources: dict[Name, Text] = {}
    categories: list[Category] = Field(
        default=["tanks", "acv", "artillery", "combat_aircraft", "attack_helicopters"],
        min_length=1,
    )
    settings: Settings = Settings()
    parties: dict[Name, Party] = Field(min_length=1)
    groups: dict[Name, Group] = {}
    zones: dict[Name, Zone] = {}
    limits: dict[Name, Limit] = {}
    temporary_deployments: dict[Name, TemporaryDeployment] = {}
    outcomes: dict[Name, Outcome] = {}
    cases: dict[Name, Case] = {}

    @field_validator("cases")
    @classmethod
    def _some_case(cls, value: dict) -> dict:
        if not value:
            raise ValueError("lists no case (leave 'cases' out, or name at least one)")
        if "cases" in value:
            raise ValueError("'cases' is reserved (solving every case writes cases.csv into a "
                             "folder of that name beside the cases' own): name the case "
                             "otherwise")
        return value

    @field_validator("categories")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists a category twice")
        return value
