"""Linear expressions over the model's columns: ``Σ coef·column + constant``.

A coefficient or the constant may be a tracked number (``params.Num``), so an expression built
from a scenario's weights or scales re-evaluates when a variant changes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Coef = Any  # float | Num


class Lin:
    """A linear expression: ``terms`` maps a column index to its coefficient."""

    __slots__ = ("constant", "terms")

    def __init__(self, terms: dict[int, Coef] | None = None, constant: Coef = 0.0) -> None:
        self.terms = terms if terms is not None else {}
        self.constant = constant

    @staticmethod
    def column(col: int) -> Lin:
        return Lin({col: 1.0})

    def copy(self) -> Lin:
        return Lin(dict(self.terms), self.constant)

    def _iadd(self, other: Any, sign: float) -> Lin:
        if isinstance(other, Lin):
            terms = self.terms
            for col, coef in other.terms.items():
                add = coef if sign > 0 else -coef
                terms[col] = terms[col] + add if col in terms else add
            self.constant = self.constant + (other.constant if sign > 0 else -other.constant)
        else:
            self.constant = self.constant + (other if sign > 0 else -other)
        return self

    def __add__(self, other: Any) -> Lin:
        return self.copy()._iadd(other, 1.0)

    def __radd__(self, other: Any) -> Lin:
        return self.copy()._iadd(other, 1.0)

    def __sub__(self, other: Any) -> Lin:
        return self.copy()._iadd(other, -1.0)

    def __rsub__(self, other: Any) -> Lin:
        return (-self)._iadd(other, 1.0)

    def __neg__(self) -> Lin:
        return Lin({c: -v for c, v in self.terms.items()}, -self.constant)

    def __mul__(self, factor: Any) -> Lin:
        if isinstance(factor, Lin):
            raise TypeError("a product of two expressions is not linear")
        return Lin({c: v * factor for c, v in self.terms.items()}, self.constant * factor)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Any) -> Lin:
        return self * (1 / divisor)

    def __repr__(self) -> str:
        return f"Lin({self.terms!r}, {self.constant!r})"


def lin_sum(items: Iterable[Any]) -> Lin:
    """Σ of expressions and numbers, accumulated in place (no quadratic copying)."""
    out = Lin()
    for item in items:
        out._iadd(item, 1.0)
    return out
