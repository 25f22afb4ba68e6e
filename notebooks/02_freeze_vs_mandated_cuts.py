# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Central Europe: freeze and cut by national decision, or mandated cuts?
#
# The letter sets two approaches side by side. The US one: "the commitment of individual
# countries to freeze their territorial ceilings and to undertake reductions in their holdings",
# the size of any reduction being "the prerogative of the individual governments". Russia's, as
# the US reads it: "a new Treaty regulation mandating specified reductions in territorial ceilings
# from designated countries" — which "crosses one of our red lines": "a different set of rules for
# the new NATO members than those that apply to the rest of the Alliance". It adds that "a 'one
# size fits all' reduction for all countries of the region is unlikely to work", and that the new
# members' readiness to reduce "will be influenced by evidence of comparable restraint from other
# states parties, specifically those on their borders and Russia's restraint with regard to
# Kaliningrad".
#
# The model keeps the two legal forms apart: a territorial ceiling falls from today's figure by a
# cut made *by national decision* or a cut *mandated by a treaty rule* — two variables, and the
# US red line names only the second. This notebook answers, with numbers computed here:
#
# 1. What does the US approach give each new member (`talks_1998.yaml`, the base)?
# 2. What happens with Russia's approach (`talks_1998_mandated_cuts.yaml`), and which limits
#    clash?
# 3. What does "one size fits all" (`talks_1998_uniform_cut.yaml`) cost each party against the
#    differentiated cuts of the base?
# 4. What does comparable restraint of the neighbours (`talks_1998_comparable_restraint.yaml`)
#    change, and what can the model not say about Kaliningrad?
#
# Design and hand derivations: `docs/talks-1998-model.md` §5.3–5.5 and §6.5–6.6.

# %% tags=["parameters"]
SCENARIO = "../models/talks_1998.yaml"  # the base: the US approach
MANDATED = "../models/talks_1998_mandated_cuts.yaml"  # Russia's approach
UNIFORM = "../models/talks_1998_uniform_cut.yaml"  # one size fits all
RESTRAINT = "../models/talks_1998_comparable_restraint.yaml"  # comparable restraint
NEW_MEMBERS = ["POL", "CZE"]  # the states whose ceilings are at issue

# %% tags=["budget-60"]
import matplotlib.pyplot as plt
import pandas as pd

from cfe_opt import load_scenario, solve
from cfe_opt.analysis.conflict import conflict_sets
from cfe_opt.analysis.sweep import sweep
from cfe_opt.concession import fair_concession, smallest_concession
from cfe_opt.plots.package import plot_package
from cfe_opt.text import fmt

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)

base = load_scenario(SCENARIO)
mandated = load_scenario(MANDATED)
uniform = load_scenario(UNIFORM)
restraint = load_scenario(RESTRAINT)
# party names as the scenario gives them, without the scope notes in brackets
names = {code: (party.name or code).split(" (")[0] for code, party in base.spec.parties.items()}
MODES = ("weighted", "minimax")
CEILING = ["territorial_ceiling_before", "territorial_ceiling",
           "territorial_ceiling_cut_national", "territorial_ceiling_cut_mandated",
           "temporary_deployment", "holdings_before", "holdings_after", "reduction"]


def ceilings(result) -> pd.DataFrame:
    """The new members' territorial ceilings, the cut in each legal form, the temporary
    deployment and the holdings, by party and category."""
    return result.allocation.loc[NEW_MEMBERS].xs("total", level="area")[CEILING]


def deviations(result) -> pd.Series:
    """Each party's weighted normalised deviation (a joint position counts for each holder)."""
    return result.positions.groupby(level="party", sort=False)["weighted_deviation"].sum()


# %% [markdown]
# ## 1. The US approach: freeze, then cut by national decision
#
# Each new member freezes its territorial ceiling and may cut it by its own decision; NATO wants
# its basic temporary deployments available; Russia's proviso keeps permanent plus temporary
# levels within today's. The question is what each state cuts, in which legal form, and which
# rows do the work.

# %% tags=["budget-30"]
us = {mode: solve(base, objective=mode) for mode in MODES}
table = ceilings(us["weighted"])
table

# %% tags=["budget-30"]
result = us["weighted"]
for party in NEW_MEMBERS:
    rows = table.loc[party]
    print(f"{names[party]}: territorial ceilings " + ", ".join(
        f"{c} {fmt(r['territorial_ceiling_before'])} → {fmt(r['territorial_ceiling'])}"
        for c, r in rows.iterrows())
        + f"; cut by national decision {fmt(rows['territorial_ceiling_cut_national'].sum())}, "
        f"mandated {fmt(rows['territorial_ceiling_cut_mandated'].sum())}; holdings fall by "
        f"{fmt(rows['reduction'].sum())} (all three categories).")
same = all((ceilings(us[m]) - table).abs().max().max() < 1e-6 for m in MODES)
print(f"The same ceilings under every mode: {same}.")
rows = result.constraints
work = rows[rows.index.str.contains("freeze|proviso|no_separate_rules")]
print("\nThe rows that decide it (binding, with the objective's change per unit):")
for name, row in work.iterrows():
    print(f"  {name}: {fmt(row['lhs'])} {row['sense']} {fmt(row['rhs'])} {row['unit']} — "
          + ("binds" if row["binding"] else f"slack {fmt(row['slack'])}")
          + (f", price {fmt(row['shadow_price'])}" if row["binding"] else ""))

# %% [markdown]
# In the base the US red line holds at zero with no price: the cuts are made by national
# decision, and nothing pushes towards a mandated one. The freezes are slack (nobody in the data
# asks for a higher ceiling); what moves the ceilings is Russia's proviso against NATO's
# deployments.
#
# Russia also "accepts" NATO's exceptional temporary deployments outside the flank, *provided*
# the permanent plus temporary levels stay acceptable. The file's cases `etd_accepted` and
# `etd_refused` show what that acceptance is worth to Poland and the Czech Republic.

# %% tags=["budget-30"]
etd = {case: solve(load_scenario(SCENARIO, case=case)) for case in ("etd_accepted",
                                                                     "etd_refused")}
for case, found in etd.items():
    t = ceilings(found)
    print(f"{case}: " + "; ".join(
        f"{names[p]} " + " / ".join(fmt(v) for v in t.loc[p, "territorial_ceiling"])
        for p in NEW_MEMBERS) + " (tanks / ACVs / artillery); mandated cut "
        f"{fmt(t['territorial_ceiling_cut_mandated'].sum())}")
loss = (ceilings(etd["etd_accepted"])["territorial_ceiling"]
        - ceilings(etd["etd_refused"])["territorial_ceiling"])
print(f"Russia's acceptance of the exceptional levels is worth {fmt(loss.sum())} units of "
      "territorial ceiling to the new members: " + ", ".join(
          f"{p} {c} {fmt(v)}" for (p, c), v in loss.items()))

# %% [markdown]
# ## 2. Russia's approach: mandated cuts for designated countries
#
# The variant demands, as a treaty rule, the very cuts the base reaches by national decision —
# same numbers, different legal form. If the red line is about the form, no package exists and
# `diagnose` names the clash.

# %% tags=["budget-30"]
demand = mandated.spec.parties["RUS"].red_lines["mandated_cuts_designated"].values
national = table["territorial_ceiling_cut_national"]
print("Russia demands mandated cuts of " + ", ".join(
    f"{c} {fmt(f.value)}" for c, f in demand.items()) + " for each new member; the base cuts, "
    "by national decision, " + "; ".join(
        f"{p} " + ", ".join(f"{c} {fmt(national.loc[(p, c)])}" for c in demand)
        for p in NEW_MEMBERS) + ".")
same_numbers = all(abs(national.loc[(p, c)] - f.value) < 1e-6
                   for p in NEW_MEMBERS for c, f in demand.items())
print("Same numbers:", same_numbers)
clash = solve(mandated)
print(f"\nWith the cuts mandated: {clash.status.value}.")

# %% tags=["budget-30"]
sets = conflict_sets(mandated)
limits = sets[sets["kind"] != "definition"]
print(f"{sets.index.get_level_values('set').nunique()} minimal sets of limits that cannot hold "
      f"together (search complete: {sets.attrs['complete']}); each is:")
for number, members in limits.groupby(level="set"):
    print(f"  {number}: " + "  AGAINST  ".join(
        f"{names.get(r['owner'], r['owner'])}'s {r['kind'].replace('_', ' ')} "
        f"{name.split('.', 2)[2]} ({r['sense']} {fmt(r['rhs'])} {r['unit']})"
        for name, r in members.droplevel("set").iterrows()))
owners = limits.groupby(level="set")["owner"].apply(lambda s: tuple(sorted(set(s))))
print("Every set sets Russia's demand against the US red line:",
      bool((owners == ("RUS", "USA")).all()))

# %% tags=["budget-30"]
cheapest = smallest_concession(mandated)
fair = fair_concession(mandated)
for label, moves in (("cheapest", cheapest), ("fair split", fair)):
    by_owner = moves.groupby("owner")["change"].apply(lambda s: s.abs().sum())
    print(f"{label}: " + "; ".join(
        f"{names.get(r['owner'], r['owner'])} moves {name.split('.', 2)[2]} from "
        f"{fmt(r['rhs'])} to {fmt(r['relaxed_rhs'])} {r['unit']}" for name, r in moves.iterrows())
        + f" — in all {fmt(by_owner.sum())} units (" + ", ".join(
            f"{names.get(o, o)} {fmt(v)}" for o, v in by_owner.items()) + ")")

# %% [markdown]
# ## 3. "One size fits all" against cuts scaled to each military
#
# The variant adds a uniform-percentage rule: each new member cuts its territorial ceilings by
# the same share, per category. The base is the differentiated answer: each cuts what its own
# situation needs. Each party's deviation is compared, under both modes.

# %% tags=["budget-30"]
one_size = {mode: solve(uniform, objective=mode) for mode in MODES}
compare = {}
for mode in MODES:
    compare[(mode, "differentiated")] = deviations(us[mode])
    compare[(mode, "one size")] = deviations(one_size[mode])
    compare[(mode, "difference")] = compare[(mode, "one size")] - compare[(mode, "differentiated")]
compare = pd.DataFrame(compare).fillna(0.0)
compare.round(6)

# %% tags=["budget-30"]
u = ceilings(one_size["weighted"])
shares = (u["territorial_ceiling_before"] - u["territorial_ceiling"]) / u[
    "territorial_ceiling_before"]
base_shares = (table["territorial_ceiling_before"] - table["territorial_ceiling"]) / table[
    "territorial_ceiling_before"]
print("The uniform share, per category: " + ", ".join(
    f"{c} {shares.loc[(NEW_MEMBERS[0], c)]:.4%}" for c in shares.loc[NEW_MEMBERS[0]].index))
print("The differentiated shares of the base: " + "; ".join(
    f"{names[p]} " + ", ".join(f"{c} {v:.4%}" for c, v in base_shares.loc[p].items())
    for p in NEW_MEMBERS))
setter = [p for p in NEW_MEMBERS if (base_shares.loc[p] - shares.loc[p]).abs().max() < 1e-9]
print("The uniform share is the one the base gives " + (", ".join(names[p] for p in setter)
                                                        or "no state") + ".")
for mode in MODES:
    diff = compare[(mode, "difference")]
    moved = diff[diff.abs() > 1e-9]
    print(f"{mode}: " + ("; ".join(f"{names[p]} {'+' if v > 0 else ''}{fmt(v)}"
                                   for p, v in moved.items()) or "no party's deviation moves")
          + f"; every other party unchanged. Objective {fmt(us[mode].objective)} → "
          f"{fmt(one_size[mode].objective)}.")
for party in NEW_MEMBERS:
    print(f"{names[party]}: ceilings " + ", ".join(
        f"{c} {fmt(table.loc[(party, c), 'territorial_ceiling'])} → "
        f"{fmt(u.loc[(party, c), 'territorial_ceiling'])}" for c in u.loc[party].index)
        + f"; holdings cut {fmt(table.loc[party, 'reduction'].sum())} → "
        f"{fmt(u.loc[party, 'reduction'].sum())}")

# %% tags=["budget-30"]
fig, axs = plt.subplots(1, 2, figsize=(13, 4.6))
for ax, (label, found) in zip(axs, (("differentiated (base)", us["weighted"]),
                                    ("one size fits all", one_size["weighted"])), strict=True):
    plot_package(found.positions.loc[NEW_MEMBERS], ax=ax,
                 title=f"Who concedes what: {label}")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Comparable restraint of the neighbours, and Kaliningrad
#
# The variant ties Poland's cut share of each territorial ceiling to its neighbours' cut share
# of their holdings (ratio 1: "comparable"). The neighbours with figures dated before the
# letter are Germany (three categories) and Ukraine (tanks only); each is assumed to want to keep
# its holdings (their stances are not in the data). Russia's restraint in Kaliningrad cannot be
# a term: the data has no Kaliningrad figure (the scenario file says so and where it would go).

# %% tags=["budget-30"]
tied = {mode: solve(restraint, objective=mode) for mode in MODES}
r = tied["weighted"]
rows = r.constraints[r.constraints["family"] == "reciprocity"]
for name, row in rows.iterrows():
    print(f"{name}: " + ("binds" if row["binding"] else f"slack {fmt(row['slack'])}")
          + f", price {fmt(row['shadow_price'])} per unit of cut share")
neighbours = [p for p in ("DEU", "UKR") if p in restraint.spec.parties]
cuts = r.allocation.loc[neighbours].xs("total", level="area")["reduction"]
print("Neighbours' cuts: " + ", ".join(f"{names[p]} {fmt(v)} {c}" for (p, c), v in cuts.items()
                                       if v > 1e-9))
moved = (ceilings(r)["territorial_ceiling"] - table["territorial_ceiling"]).abs().max()
print(f"Poland's and the Czech Republic's ceilings move by at most {fmt(moved)} against the base.")
for mode in MODES:
    diff = (deviations(tied[mode]) - deviations(us[mode]).reindex(deviations(tied[mode]).index,
                                                                   fill_value=0.0))
    print(f"{mode}: deviation against the base: " + ", ".join(
        f"{names[p]} {'+' if v > 0 else ''}{fmt(v)}" for p, v in diff.items() if abs(v) > 1e-9)
        + f"; objective {fmt(us[mode].objective)} → {fmt(tied[mode].objective)}")

# %% [markdown]
# Why do the neighbours cut rather than NATO give up deployments, or Poland cut less? Per unit,
# a neighbour's cut costs its holdings position less than a unit of deployment costs NATO's
# position: that compares default scales (each position normalised by its own target), not
# anything a party stated. How much more would each neighbour have to care for its holdings
# before the answer changes? Its weight is swept, and the breakpoints say where.

# %% tags=["budget-60"]
weights = [1, 2, 4, 6, 8, 10, 12]
flips = {}
for party in neighbours:
    found = sweep(restraint, f"parties.{party}.weight", weights)
    flips[party] = found.breakpoints
    for _, b in found.breakpoints.iterrows():
        where = (f"at {fmt(b['at'])}" if pd.notna(b["at"])
                 else f"between {fmt(b['after'])} and {fmt(b['before'])}")
        print(f"{names[party]}'s weight {where}: {b['entered']}"
              + (f" — no longer: {b['left']}" if b["left"] else ""))

# %% [markdown]
# ## What this says

# %% tags=["budget-30"]
def handover(party: str, breaks: pd.DataFrame) -> str:
    """The first weight of ``party`` at which NATO or a new member starts to carry a cut the
    neighbours carried, from the weight sweep's breakpoints."""
    carriers = tuple(names[p] for p in ("USA", *NEW_MEMBERS))
    for _, b in breaks.iterrows():
        if any(b["entered"].startswith(c) for c in carriers):
            return (f"Only at {fmt(b['at'])} times its weight does {names[party]}'s cut pass "
                    f"to NATO or a new member ({b['entered']}).")
    return (f"Up to {fmt(max(weights))} times {names[party]}'s weight its cut never passes to "
            "NATO or a new member" + (f" (from {fmt(breaks['at'].iloc[0])} it passes to another "
                                      "neighbour)." if len(breaks) else "."))


pol = table.loc["POL"]
w = compare[("weighted", "difference")]
freezes = work[work.index.str.startswith("freeze.")]
provisos = work[work.index.str.contains("proviso")]
red_line = work[work.index.str.contains("no_separate_rules")]
mechanism = "; ".join([
    "the US red line holds" + (" at zero" if (red_line["lhs"].abs() < 1e-9).all() else ""),
    "the freezes are " + ("slack" if (~freezes["binding"]).all() else "binding"),
    "Russia's proviso " + ("binds in every category" if provisos["binding"].all()
                           else "binds in part"),
])
print("\n\n".join([
    "1. The US approach: each new member's ceiling falls by national decision ("
    + "; ".join(f"{names[p]} " + " / ".join(fmt(v) for v in table.loc[p,
                "territorial_ceiling_cut_national"]) for p in NEW_MEMBERS)
    + " tanks / ACVs / artillery), mandated cuts "
    f"{fmt(table['territorial_ceiling_cut_mandated'].sum())}: {mechanism}. Refusing the "
    f"exceptional levels would cost the new members {fmt(loss.sum())} more units of ceiling.",
    f"2. Russia's approach, with the same numbers mandated: {clash.status.value}. Every one of "
    f"the {owners.size} conflict sets is a Russian mandated-cut row against the US red line; "
    f"the cheapest way out moves {fmt(cheapest['change'].abs().sum())} units of the two sides' "
    "numbers." + (" Russia's demand uses the very numbers the base reaches by national "
                  "decision, so the clash is about the legal form, not the size of the cuts."
                  if same_numbers else ""),
    "3. One size fits all: " + "; ".join(f"{names[p]} {'+' if v > 0 else ''}{fmt(v)}"
                                         for p, v in w.items() if abs(v) > 1e-9)
    + " in deviation (weighted; "
    + "; ".join(f"{names[p]} {'+' if v > 0 else ''}{fmt(v)}"
                for p, v in compare[("minimax", "difference")].items() if abs(v) > 1e-9)
    + " under minimax), every other party unchanged: the uniform share is "
    + (", ".join(names[p] for p in setter) or "no state") + "'s share in the base, imposed on "
    "the others. Poland's ceilings fall to " + " / ".join(
        fmt(v) for v in u.loc["POL", "territorial_ceiling"]) + " instead of " + " / ".join(
        fmt(v) for v in pol["territorial_ceiling"]) + ".",
    "4. Comparable restraint binds (" + ", ".join(
        f"{n.rsplit('_', 1)[-1]} {'binds' if b else 'slack'}" for n, b in rows["binding"].items())
    + "): the neighbours cut (" + ", ".join(f"{names[p]} {fmt(v)} {c}"
                                           for (p, c), v in cuts.items() if v > 1e-9)
    + f") and the new members' ceilings move by {fmt(moved)}. "
    + " ".join(handover(p, b) for p, b in flips.items())
    + " Russia's restraint in Kaliningrad is not in the model: no figure for it is in the data.",
]))
