"""Ceiling cuts by legal form: a party's own decision, or a treaty rule for designated countries."""

from __future__ import annotations

from cfe_opt.model.core import Model, RowInfo


def add_cuts_by_form(model: Model) -> None:
    """v[p,c] + CUT[national,v,p,c] + CUT[mandated,v,p,c] = v⁰[p,c] for each ceiling v a party p
    cuts (``cuts``): the ceiling falls from its current figure only, and every unit of the cut
    is made in one legal form. A red line or demand then names the form (``ceiling_cut``)."""
    index = model.index
    for (v, p, c) in index.cut_keys:
        lhs = (model.var((v, p, c)) + model.var(("ceiling_cut", "national", v, p, c))
               + model.var(("ceiling_cut", "mandated", v, p, c)))
        model.add_row((v, p, c), lhs, "==", index.ceiling_now(v, p, c), RowInfo(
            family="cut_by_form", owner=p, kind="definition",
            label=f"{p} {c}: {v.replace('_', ' ')} + national cut + mandated cut = current",
            keys=(v, p, c), field=f"parties.{p}.{v}.{c}"))
