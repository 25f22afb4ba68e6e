"""Several minimal conflict sets, not one: every irreducible set of items (hard limits, stated
ranges) that cannot all hold, up to a bound.

Given a test ``conflicting(kept)`` — do the kept items conflict, the others let go? — a
*deletion filter* shrinks a conflicting set to a minimal one: drop each item in turn and keep it
dropped if the rest still conflict. Further minimal sets come from a hitting-set search
(Reiter's HS-tree, breadth first): for each set found and each of its members, let that member
go as well and look for a conflict among what is left; a conflict found there is a minimal set
the earlier ones do not cover. Every minimal set is reached this way; the search stops after
``max_sets`` sets or ``max_tests`` tests (the result says whether it was complete).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_SETS = 10
MAX_TESTS = 5000


@dataclass(frozen=True)
class MinimalSets:
    """The minimal conflicting sets found, in the order found, each in the items' order."""

    sets: list[list[str]]
    complete: bool  # every minimal set was found (the search ran to its end)


def deletion_filter(items: Sequence[str], conflicting: Callable[[set[str]], bool],
                    kept: set[str] | None = None) -> list[str]:
    """A minimal conflicting subset of ``kept`` (default: all ``items``), which must conflict."""
    current = set(items) if kept is None else set(kept)
    for item in items:
        if item not in current:
            continue
        trial = current - {item}
        if conflicting(trial):
            current = trial
    return [item for item in items if item in current]


def minimal_sets(items: Sequence[str], conflicting: Callable[[set[str]], bool],
                 first: list[str] | None = None, max_sets: int = MAX_SETS,
                 max_tests: int = MAX_TESTS) -> MinimalSets:
    """Minimal conflicting subsets of ``items`` by the hitting-set search (module docstring).

    ``first`` is a minimal set already known (e.g. HiGHS's IIS); ``conflicting(kept)`` must be
    monotone (a superset of a conflicting set conflicts). Empty when the items do not
    conflict at all."""
    tests = 0

    def test(kept: set[str]) -> bool:
        nonlocal tests
        tests += 1
        return conflicting(kept)

    everything = set(items)
    found: list[list[str]] = []
    if first:
        found.append([i for i in items if i in set(first)])
    elif test(everything):
        found.append(deletion_filter(items, test))
    else:
        return MinimalSets([], complete=True)
    queue: list[frozenset[str]] = [frozenset()]
    seen: set[frozenset[str]] = set()
    complete = True
    while queue:
        if len(found) >= max_sets or tests >= max_tests:
            complete = False
            break
        removed = queue.pop(0)
        if removed in seen:
            continue
        seen.add(removed)
        kept = everything - removed
        known = next((s for s in found if set(s) <= kept), None)
        if known is None:
            if not test(set(kept)):
                continue  # letting these go resolves every conflict: a leaf
            known = deletion_filter(items, test, set(kept))
            found.append(known)
        queue.extend(removed | {item} for item in known)
    return MinimalSets(found, complete=complete)
