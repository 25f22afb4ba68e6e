"""Tracked numbers: every number the model takes from a scenario remembers where it came from.

A compiled model is re-solved for many variants of one scenario (studies, the what-if panel).
A variant that changes only numbers must not rebuild the model, yet the model logic must exist
once. So the model is built once from a *tracked* copy of the scenario, in which every numeric
field (a figure, a target, a weight, a range edge, a ratio) is a ``Num``: a float that also
knows the parameter slots it was computed from. Arithmetic on ``Num`` builds a small expression;
an LP entry (a right-hand side, a coefficient, a cost) that is a ``Num`` is re-evaluated when a
variant sets new values in its slots — the same formula the builder used, not a second copy.

A branch on a number (``a < b``, ``max(a, b)``, ``if a``) is recorded as a *guard*: a variant
for which any guard turns out differently would take another branch, so it is rebuilt instead.
A number that leaves tracking (``float(num)``, formatting, hashing) marks its slots *escaped*:
a variant changing them is rebuilt too. Both rules keep the fast path exact by construction.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

Value = float  # what a Num evaluates to


class Num:
    """A number computed from parameter slots. ``value`` is its value at build time.

    Sums and multiples of slots are kept as one linear node, ``op == "lin"`` with
    ``args = (terms, constant, base)`` (slot → coefficient, the constant, and the slots'
    build-time values by slot: the tracked build's own ``ParamSet.base``, shared by all its
    numbers): long sums stay flat and evaluate in one pass. A linear node's ``deps`` are its
    terms' keys (a view: a scenario has tens of thousands of figures, each a node, and a set
    of its own for each would be a fifth of the model's memory). Anything else is a node of
    its operator over its operands."""

    __slots__ = ("args", "deps", "op", "value")

    def __init__(self, value: float, op: str, args: tuple, deps: Any) -> None:
        self.value = value
        self.op = op  # "lin", or an arithmetic operator name
        self.args = args
        self.deps = deps

    # ---- arithmetic builds expressions ------------------------------------------------------
    def __add__(self, other: Any) -> Any:
        return _binary("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _binary("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return _binary("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _binary("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return _binary("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _binary("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _binary("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _binary("div", other, self)

    def __neg__(self) -> Num:
        if self.op == "lin":
            return _scaled(self, -1.0)
        return Num(-self.value, "neg", (self,), self.deps)

    def __pos__(self) -> Num:
        return self

    def __abs__(self) -> Num:
        return Num(abs(self.value), "abs", (self,), self.deps)

    # ---- branches are guards ---------------------------------------------------------------
    def __lt__(self, other: Any) -> bool:
        return _compare("lt", self, other)

    def __le__(self, other: Any) -> bool:
        return _compare("le", self, other)

    def __gt__(self, other: Any) -> bool:
        return _compare("gt", self, other)

    def __ge__(self, other: Any) -> bool:
        return _compare("ge", self, other)

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return _compare("eq", self, other)

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        return _compare("ne", self, other)

    def __bool__(self) -> bool:
        return _compare("ne", self, 0)

    # ---- leaving tracking escapes ----------------------------------------------------------
    def __float__(self) -> float:
        _escape(self)
        return float(self.value)

    def __int__(self) -> int:
        _escape(self)
        return int(self.value)

    def __index__(self) -> int:
        _escape(self)
        return operator.index(self.value)

    def __round__(self, digits: int | None = None) -> Any:
        _escape(self)
        return round(self.value, digits)

    def __format__(self, spec: str) -> str:
        _escape(self)
        return format(self.value, spec)

    def __hash__(self) -> int:
        _escape(self)
        return hash(self.value)

    def __repr__(self) -> str:
        return f"Num({self.value!r})"

    def __reduce__(self) -> tuple:
        # (a view of a dict does not pickle: the node is rebuilt with its deps as a set)
        return (_rebuilt, (self.value, self.op, self.args, frozenset(self.deps)))

    def is_integer(self) -> bool:
        _escape(self)
        return float(self.value).is_integer()


_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
        "div": operator.truediv}
_COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
            "eq": operator.eq, "ne": operator.ne}


def _rebuilt(value: float, op: str, args: tuple, deps: frozenset[int]) -> Num:
    return Num(value, op, args, args[0].keys() if op == "lin" else deps)


def _plain(x: Any) -> Any:
    return x.value if isinstance(x, Num) else x


_NO_DEPS: frozenset[int] = frozenset()


def _deps(x: Any) -> Any:
    return x.deps if isinstance(x, Num) else _NO_DEPS


def _union(a: Any, b: Any) -> Any:
    """The slots two operands read (one's own when the other reads none)."""
    da, db = _deps(a), _deps(b)
    if not db:
        return da
    if not da:
        return db
    return frozenset(da).union(db)


def _binary(op: str, a: Any, b: Any) -> Any:
    if not isinstance(b, Num | int | float) or not isinstance(a, Num | int | float):
        return NotImplemented
    a_num, b_num = isinstance(a, Num), isinstance(b, Num)
    if op in ("add", "sub"):
        if not a_num and a == 0:
            return b if op == "add" else -b
        if not b_num and b == 0:
            return a
        if (not a_num or a.op == "lin") and (not b_num or b.op == "lin"):
            return _combined(a, b, 1.0 if op == "add" else -1.0)
    elif op == "mul":
        if (not a_num and a == 0) or (not b_num and b == 0):
            return 0.0  # every tracked number is finite
        if not a_num and b.op == "lin":
            return _scaled(b, float(a))
        if not b_num and a.op == "lin":
            return _scaled(a, float(b))
    return Num(_OPS[op](_plain(a), _plain(b)), op, (a, b), _union(a, b))


Base = Any  # the slots' build-time values by slot: a ParamSet's ``base`` (or a dict)
_NO_TERMS: dict[int, float] = {}


def _lin_parts(x: Any) -> tuple[dict[int, float], float, Base]:
    if isinstance(x, Num):
        return x.args
    return _NO_TERMS, float(x), None


def _lin(terms: dict[int, float], const: float, base: Base) -> Any:
    if not terms:
        return const
    value = const
    for slot, coef in terms.items():
        value = value + coef * base[slot]
    return Num(value, "lin", (terms, const, base), terms.keys())


def _merged(terms_a: dict[int, float], base_a: Base, terms_b: dict[int, float],
            base_b: Base) -> Base:
    """The base values of two linear nodes' slots: their shared ``ParamSet.base`` (one tracked
    build), else the two read into one dict."""
    if base_a is None or base_a is base_b:
        return base_b
    if base_b is None:
        return base_a
    return {**{s: base_a[s] for s in terms_a}, **{s: base_b[s] for s in terms_b}}


def _combined(a: Any, b: Any, sign: float) -> Any:
    terms_a, const_a, base_a = _lin_parts(a)
    terms_b, const_b, base_b = _lin_parts(b)
    terms = dict(terms_a)
    for slot, coef in terms_b.items():
        total = terms.get(slot, 0.0) + sign * coef
        if total == 0:
            terms.pop(slot, None)
        else:
            terms[slot] = total
    return _lin(terms, const_a + sign * const_b, _merged(terms_a, base_a, terms_b, base_b))


def _scaled(x: Num, factor: float) -> Any:
    terms, const, base = x.args
    return _lin({s: c * factor for s, c in terms.items()}, const * factor, base)


def total(numbers: Sequence[Any]) -> Any:
    """Σ of many numbers, tracked or not, in one pass: the linear ones summed into one node
    (what ``+`` one by one gives, without copying the growing sum at each step), the others
    added to it pairwise (a balanced tree, not a chain thousands deep)."""
    terms: dict[int, float] = {}
    const = 0.0
    base: Base = None
    others: list[Num] = []
    for x in numbers:
        if not isinstance(x, Num):
            const = const + float(x)
        elif x.op == "lin":
            x_terms, x_const, x_base = x.args
            base = _merged(terms, base, x_terms, x_base)
            for slot, coef in x_terms.items():
                terms[slot] = terms.get(slot, 0.0) + coef
            const = const + x_const
        else:
            others.append(x)
    out: list[Any] = [_lin({s: c for s, c in terms.items() if c != 0}, const, base)]
    out += others
    while len(out) > 1:
        out = [out[k] + out[k + 1] if k + 1 < len(out) else out[k]
               for k in range(0, len(out), 2)]
    return out[0]


@dataclass
class Guard:
    """A comparison made while building: ``op(left, right)`` came out ``result``."""

    op: str
    left: Any
    right: Any
    result: bool


@dataclass
class Recorder:
    """What one tracked build recorded: guards and escaped slots."""

    guards: list[Guard] = field(default_factory=list)
    escaped: set[int] = field(default_factory=set)


_ACTIVE: list[Recorder] = []


@contextlib.contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Record the guards and escapes of the numbers used inside the block."""
    _ACTIVE.append(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.pop()


def _compare(op: str, a: Any, b: Any) -> bool:
    if not isinstance(b, Num | int | float) or (isinstance(b, bool) and not isinstance(a, Num)):
        return NotImplemented  # type: ignore[return-value]
    result = bool(_COMPARE[op](_plain(a), _plain(b)))
    if _ACTIVE and (_deps(a) or _deps(b)):
        _ACTIVE[-1].guards.append(Guard(op, a, b, result))
    return result


def _escape(num: Num) -> None:
    if _ACTIVE:
        _ACTIVE[-1].escaped.update(num.deps)


def plain(x: Any) -> float:
    """The build-time value of a number, tracked or not, without escaping it (for reports of
    the base scenario; never for an LP entry)."""
    return float(x.value) if isinstance(x, Num) else float(x)


def evaluate(x: Any, theta: Sequence[float], memo: dict[int, float] | None = None) -> float:
    """The value of ``x`` when the parameter slots hold ``theta``."""
    if not isinstance(x, Num):
        return float(x)
    if x.op == "lin":
        terms, value, _ = x.args
        for slot, coef in terms.items():
            value = value + coef * theta[slot]
        return value
    if memo is not None:
        key = id(x)
        if key in memo:
            return memo[key]
    if x.op in _OPS:
        value = _OPS[x.op](evaluate(x.args[0], theta, memo), evaluate(x.args[1], theta, memo))
    elif x.op == "neg":
        value = -evaluate(x.args[0], theta, memo)
    elif x.op == "abs":
        value = abs(evaluate(x.args[0], theta, memo))
    else:  # pragma: no cover - every constructor is above
        raise ValueError(f"unknown operation {x.op}")
    if memo is not None:
        memo[id(x)] = value
    return value


def compile_num(x: Any) -> Callable[[Sequence[float]], float]:
    """``x`` as a function of the parameter values: the same arithmetic as ``evaluate``, as
    nested closures (several times faster when evaluated for many variants)."""
    if not isinstance(x, Num):
        value = float(x)
        return lambda theta: value
    if x.op == "lin":
        terms, const, _ = x.args
        pairs = tuple(terms.items())
        if len(pairs) == 1 and const == 0:
            (slot, coef), = pairs
            if coef == 1:
                return lambda theta: 0.0 + theta[slot]
            return lambda theta: 0.0 + coef * theta[slot]

        def linear(theta: Sequence[float]) -> float:
            value = const
            for slot, coef in pairs:
                value = value + coef * theta[slot]
            return value
        return linear
    if x.op == "neg":
        inner = compile_num(x.args[0])
        return lambda theta: -inner(theta)
    if x.op == "abs":
        inner = compile_num(x.args[0])
        return lambda theta: abs(inner(theta))
    a, b = x.args
    op = _OPS[x.op]
    if not isinstance(a, Num):
        fb, ca = compile_num(b), float(a)
        return lambda theta: op(ca, fb(theta))
    if not isinstance(b, Num):
        fa, cb = compile_num(a), float(b)
        return lambda theta: op(fa(theta), cb)
    fa, fb = compile_num(a), compile_num(b)
    return lambda theta: op(fa(theta), fb(theta))


def holds(guard: Guard, theta: Sequence[float], memo: dict[int, float] | None = None) -> bool:
    """Whether the guard's comparison comes out as it did at build time under ``theta``."""
    try:
        left, right = evaluate(guard.left, theta, memo), evaluate(guard.right, theta, memo)
    except (ZeroDivisionError, OverflowError):
        return False
    if not (math.isfinite(left) and math.isfinite(right)):
        return False
    return bool(_COMPARE[guard.op](left, right)) == guard.result


@dataclass
class ParamSet:
    """The parameter slots of a tracked scenario: each numeric field's path and base value."""

    paths: list[str] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # which validator the field's values obey
    slot_of: dict[str, int] = field(default_factory=dict)

    def leaf(self, path: str, value: float, kind: str) -> Num:
        slot = self.slot_of.get(path)
        if slot is None:
            slot = len(self.paths)
            self.slot_of[path] = slot
            self.paths.append(path)
            self.base.append(float(value))
            self.kinds.append(kind)
        terms = {slot: 1.0}
        return Num(float(value), "lin", (terms, 0.0, self.base), terms.keys())
