"""Temporary deployments above territorial ceilings (basic / exceptional)."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo


def add_temporary_deployment_allowances(model: Model) -> None:
    """TD[p,c] ≤ A[e,c] for each host p of temporary-deployment entry e, ground c."""
    index = model.index
    spec = index.spec
    for (p, c), allowance in index.td_allowance.items():
        entry = index.td_entry[p]
        model.add_row((p, c), model.var(("temporary_deployment", p, c)) + 0, "<=", allowance,
                      RowInfo(family="temporary_deployment", owner=(
                          spec.temporary_deployments[entry].owner or "treaty"),
                          kind="treaty_rule", label=f"{p} {c}: {entry} temporary deployment",
                          keys=(p, c),
                          field=f"temporary_deployments.{entry}.allowance.{c}"))
