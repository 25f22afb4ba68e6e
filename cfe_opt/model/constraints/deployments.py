"""Temporary deployments above territorial ceilings (basic / exceptional)."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo
from cfe_opt.scenario.sets import TOTAL


def add_temporary_deployment_allowances(model: Model) -> None:
    """TD[k,p,a,c] ≤ A[e,c] for each host p (or area a of p) of temporary-deployment entry e of
    kind k, ground category c. TD is a permitted level, read by quantities: it is no room for
    permanent equipment (no ceiling row counts it)."""
    index = model.index
    spec = index.spec
    for key, allowance in index.td_allowance.items():
        kind, p, a, c = key
        entry = index.td_entry[(kind, p, a)]
        where = p if a == TOTAL else f"{p}.{a}"
        parts = (*(() if kind == "basic" else (kind,)), p, *(() if a == TOTAL else (a,)), c)
        model.add_row(parts, model.var(("temporary_deployment", *key)) + 0, "<=", allowance,
                      RowInfo(family="temporary_deployment", owner=(
                          spec.temporary_deployments[entry].owner or "treaty"),
                          kind="treaty_rule",
                          label=f"{where} {c}: {entry} ({kind}) temporary deployment",
                          keys=key, field=f"temporary_deployments.{entry}.allowance.{c}"))
