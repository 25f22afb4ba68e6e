"""Position deviations (goal programming): how far each stated position is missed.

Each position n of party q has a quantity F, a direction and a target T. Deviation variables
U (shortfall) and V (excess) measure the miss in the directions the party cares about; the
objectives in ``cfe_opt.objectives`` weigh them after normalising by a per-position scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.model.linear import Lin
from cfe_opt.scenario.quantities import LinearForm, linear_form
from cfe_opt.scenario.scales import position_scales, scale_sources
from cfe_opt.scenario.schema import Position


@dataclass(frozen=True)
class PositionTerm:
    """One position in the model: its deviation variables, scales and weight."""

    party: str
    name: str
    position: Position
    form: LinearForm
    under: int | None  # column of the shortfall below target (at_least, exactly)
    over: int | None  # column of the excess above target (at_most, exactly)
    scale_under: Any  # s⁻ (a tracked number)
    scale_over: Any  # s⁺
    weight: Any  # party weight × position weight
    columns: tuple[tuple[int, Any], ...] = ()  # the form as (column, coefficient)
    holders: tuple[str, ...] = ()  # the owner and every party holding it jointly
    scale_sources: tuple[str, str] = ("default", "default")  # s⁻, s⁺: scale | range | default

    @property
    def joint_with(self) -> tuple[str, ...]:
        return tuple(p for p in self.holders if p != self.party)

    def normalised(self) -> Lin:
        """U/s⁻ + V/s⁺: the deviation in units of the position's scale."""
        terms = {}
        if self.under is not None:
            terms[self.under] = 1 / self.scale_under
        if self.over is not None:
            terms[self.over] = 1 / self.scale_over
        return Lin(terms)

    def weighted(self) -> Lin:
        """w·(U/s⁻ + V/s⁺)."""
        return self.normalised() * self.weight


def add_position_deviations(model: Model) -> None:
    """F + U ≥ T (at_least, exactly) and F − V ≤ T (at_most, exactly); U, V ≥ 0.

    A position held jointly (``joint_with``) is one position: one U, V and one weight (its
    owner's), counted once in every objective and for each holder in per-party outcomes.
    """
    index = model.index
    for q, party in index.spec.parties.items():
        for n, position in party.positions.items():
            form = linear_form(index, position.quantity)  # non-empty: check_selections
            expr = model.expression(form)
            target = position.target
            under = over = None
            field = f"parties.{q}.positions.{n}.target"
            if position.direction in ("at_least", "exactly"):
                model.add_variables("deviation_under", [(q, n)], integer=False)
                under = model.col(("deviation_under", q, n))
                model.add_row(("under", q, n), expr + Lin({under: 1.0}), ">=", target, RowInfo(
                    family="position", owner=q, kind="position",
                    label=f"{q} position {n}: shortfall below its target", keys=(q, n),
                    field=field))
            if position.direction in ("at_most", "exactly"):
                model.add_variables("deviation_over", [(q, n)], integer=False)
                over = model.col(("deviation_over", q, n))
                model.add_row(("over", q, n), expr - Lin({over: 1.0}), "<=", target, RowInfo(
                    family="position", owner=q, kind="position",
                    label=f"{q} position {n}: excess above its target", keys=(q, n),
                    field=field))
            low, high = position_scales(position)
            joint = [p for p in index.parties_of(position.joint_with) if p != q]
            model.positions.append(PositionTerm(
                party=q, name=n, position=position, form=form, under=under, over=over,
                scale_under=low, scale_over=high,
                weight=party.weight * position.weight,
                columns=tuple((model.col(key), coef) for key, coef in form.items()),
                holders=(q, *joint), scale_sources=scale_sources(position)))
