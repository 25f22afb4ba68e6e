"""Two stores of one study design compared: which variants changed status or outcome beyond a
tolerance after a model or data change (``cfe-opt study diff STORE_A STORE_B``).

Variants are matched by their place in the design — the sample number, every axis value and
the objective mode — not by key (a key hashes the base scenario, which is what changed). Two
stores whose designs have different columns are refused. For each matched pair:

* **status** changed: optimal → infeasible, infeasible → optimal, …;
* **outcome** changed: both optimal, and some outcome column the two stores share (objective,
  each party's deviation, each position's achieved value and deviation, each kept ceiling)
  differs by more than ``tolerance`` × max(1, |A's value|);
* **same** otherwise.

Design points in one store only are counted apart (``only in A`` / ``only in B``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cfe_opt.errors import CfeOptError
from cfe_opt.study.results import StudyResults

NOT_MATCHED_ON = ("point", "key")
OUTCOME_PREFIXES = ("party_deviation.", "achieved.", "deviation.", "normalised_deviation.",
                    "NC.", "TC.", "TSC.", "TD.")
CHANGES = ("status", "outcome", "same", "only in A", "only in B")


@dataclass
class StoreDiff:
    table: pd.DataFrame  # one row per design point that changed or is in one store only
    counts: Counter  # change → variants
    transitions: Counter  # (status in A, status in B) → variants
    matched: int
    tolerance: float
    keys: list[str]  # the design columns variants are matched on
    compared: list[str]  # the outcome columns compared
    pairs: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)  # objective A, B

    def text(self) -> str:
        return "\n".join(diff_sentences(self))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def diff_stores(a: StudyResults, b: StudyResults, tolerance: float = 1e-6) -> StoreDiff:
    """Compare two stores (see the module docstring)."""
    if not (tolerance >= 0) or tolerance == float("inf"):
        raise CfeOptError("--tolerance must be a number of at least 0")
    keys_a = [c for c in a.relation("design").columns if c not in NOT_MATCHED_ON]
    keys_b = [c for c in b.relation("design").columns if c not in NOT_MATCHED_ON]
    if set(keys_a) != set(keys_b):
        only_a = sorted(set(keys_a) - set(keys_b))
        only_b = sorted(set(keys_b) - set(keys_a))
        raise CfeOptError(f"{a.store.root} and {b.store.root}: not the same design (columns "
                          f"only in A: {', '.join(only_a) or 'none'}; only in B: "
                          f"{', '.join(only_b) or 'none'}); diff compares two runs of one "
                          "study")
    compared = [c for c in a.columns if c in b.columns and (
        c == "objective" or c.startswith(OUTCOME_PREFIXES))]
    columns = [*keys_a, "status", *compared]
    frame_a = a.df(columns=columns)
    frame_b = b.df(columns=columns)
    for frame, store in ((frame_a, a), (frame_b, b)):
        if frame.duplicated(keys_a).any():
            raise CfeOptError(f"{store.store.root}: two design points with the same axis "
                              "values and mode; cannot match them")
    merged = frame_a.merge(frame_b, on=keys_a, how="outer", suffixes=(" A", " B"),
                           indicator=True, sort=False)
    rows = []
    counts: Counter = Counter()
    transitions: Counter = Counter()
    pairs = []
    for record in merged.to_dict("records"):
        where = record.pop("_merge")
        base = {k: record[k] for k in keys_a}
        if where != "both":
            change = "only in A" if where == "left_only" else "only in B"
            counts[change] += 1
            rows.append({**base, "change": change, "status A": record.get("status A"),
                         "status B": record.get("status B")})
            continue
        status_a, status_b = record["status A"], record["status B"]
        transitions[(status_a, status_b)] += 1
        row = {**base, "change": "same", "status A": status_a, "status B": status_b,
               "objective A": record.get("objective A"),
               "objective B": record.get("objective B")}
        if status_a != status_b:
            row["change"] = "status"
        elif status_a == "optimal":
            pairs.append((record.get("objective A"), record.get("objective B")))
            moved = []
            for column in compared:
                va, vb = record[f"{column} A"], record[f"{column} B"]
                if _missing(va) and _missing(vb):
                    continue
                if _missing(va) or _missing(vb):
                    moved.append((column, np.nan))
                    continue
                if abs(vb - va) > tolerance * max(1.0, abs(va)):
                    moved.append((column, vb - va))
            if moved:
                row["change"] = "outcome"
                biggest = max(moved, key=lambda m: -1 if np.isnan(m[1]) else abs(m[1]))
                row["columns changed"] = len(moved)
                row["largest"] = biggest[0]
                row["largest change"] = biggest[1]
                row["first columns"] = "; ".join(c for c, _ in moved[:4])
        counts[row["change"]] += 1
        if row["change"] != "same":
            rows.append(row)
    table = pd.DataFrame(rows, columns=[*keys_a, "change", "status A", "status B",
                                        "objective A", "objective B", "columns changed",
                                        "largest", "largest change", "first columns"])
    order = {c: i for i, c in enumerate(CHANGES)}
    table = table.sort_values("change", key=lambda s: s.map(order), kind="stable")
    table = table.reset_index(drop=True)
    return StoreDiff(table=table, counts=counts, transitions=transitions,
                     matched=sum(transitions.values()), tolerance=tolerance, keys=keys_a,
                     compared=compared,
                     pairs=pd.DataFrame(pairs, columns=["objective A", "objective B"]))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def summary_table(diff: StoreDiff) -> pd.DataFrame:
    """Variants by change, and by status in A → status in B."""
    rows = [{"what": "change", "from": c, "to": "", "variants": diff.counts.get(c, 0)}
            for c in CHANGES]
    rows += [{"what": "status", "from": a, "to": b, "variants": n}
             for (a, b), n in sorted(diff.transitions.items())]
    return pd.DataFrame(rows).set_index(["what", "from", "to"])


def diff_sentences(diff: StoreDiff) -> list[str]:
    """The comparison in sentences."""
    counts = diff.counts
    lines = [f"{diff.matched:,} variants matched by design point (sample, axis values, "
             f"objective mode); {counts['only in A']:,} only in A, {counts['only in B']:,} "
             "only in B."]
    moved = [(a, b, n) for (a, b), n in sorted(diff.transitions.items()) if a != b]
    if moved:
        lines.append(f"{counts['status']:,} changed status: " + ", ".join(
            f"{n:,} {a} → {b}" for a, b, n in moved) + ".")
    else:
        lines.append("No variant changed status.")
    outcome = diff.table[diff.table["change"] == "outcome"]
    if len(outcome):
        top = outcome.reindex(outcome["largest change"].abs().sort_values(
            ascending=False, kind="stable").index).iloc[0]
        lines.append(f"{len(outcome):,} kept their status but changed outcome beyond "
                     f"{diff.tolerance:g} (relative); the largest change: {top['largest']} "
                     f"by {top['largest change']:+.6g}.")
    else:
        lines.append(f"No optimal variant changed outcome beyond {diff.tolerance:g}.")
    lines.append(f"{counts['same']:,} are the same.")
    return lines
