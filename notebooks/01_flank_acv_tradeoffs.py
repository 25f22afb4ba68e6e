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
# # 01 · The flank: Russia's active ACVs from 580 through 2,000 to the Moscow figure
#
# The letter of 21 December 1998 does the flank arithmetic in one paragraph: Russia "would seek
# ... 2000 active ACVs for the 'new' flank geography", "a significant increase over the 580 active
# ACVs currently allowed", and "the even higher figures I heard in Moscow would be even harder to
# sell". Turkey and Norway oppose new flank numbers. This notebook puts that paragraph through the
# December 1998 model (`models/talks_1998.yaml`, and `talks_1998_moscow_figure.yaml` for the
# Moscow figure, which the letter does not give: the file flags its number as illustrative) and
# answers, with numbers computed here:
#
# 1. What does each objective mode give Russia, in active units and in total (active plus
#    storage)?
# 2. If Russia's active ACVs were set at each value from 580 to the Moscow figure, who would give
#    what?
# 3. Which limits bind, and what do they cost?
# 4. Where does the 2,140 signed in November 1999 lie on the frontier between Russia and Turkey
#    with Norway?
# 5. Does it lie inside the zone of possible agreement of the December 1998 positions?
#
# Every number printed below is read from a result; the text between the cells says what to look
# for, not what the numbers are. Design and hand derivations: `docs/talks-1998-model.md` §6.

# %% tags=["parameters"]
SCENARIO = "../models/talks_1998.yaml"  # the December 1998 talks (its cases: durable or not, ...)
MOSCOW = "../models/talks_1998_moscow_figure.yaml"  # Russia's higher Moscow figure (flagged)
STEP = 110  # ACVs between the values swept
NOT_DURABLE = "not_durable"  # the case in which Turkey's stance is a red line

# %% tags=["budget-60"]
import copy
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from cfe_opt import load_scenario, scenario_from_dict, solve
from cfe_opt.analysis.agreement import agreement_zone
from cfe_opt.analysis.frontier import mode_packages, solve_frontier
from cfe_opt.analysis.sensitivity import limit_costs, shadow_prices
from cfe_opt.analysis.sweep import sweep
from cfe_opt.history import signed_figures
from cfe_opt.plots.frontier import plot_frontier
from cfe_opt.plots.sweep import plot_sweep
from cfe_opt.plots.zopa import plot_range
from cfe_opt.text import fmt

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)

base = load_scenario(SCENARIO)
moscow = load_scenario(MOSCOW)
not_durable = load_scenario(SCENARIO, case=NOT_DURABLE)

# The inputs the letter gives, read from the scenario (not typed in)
flank = base.spec.parties["RUS"].areas["flank"]
ALLOWED = int(flank.active_subceiling["acv"].value)  # active ACVs currently allowed
STORAGE = int(flank.storage["acv"].value)  # Russia's ACVs in storage in the flank area
SOUGHT = int(base.spec.parties["RUS"].positions["flank_acv_active"].target)
MOSCOW_FIGURE = int(moscow.spec.parties["RUS"].positions["flank_acv_active"].target)
TURKEY = int(base.spec.parties["TUR"].positions["no_new_flank_numbers_acv"].target)

# The figure signed in November 1999, read from the data tables beside the scenarios: it enters
# this notebook only for comparison, never as an input
data_dir = Path(base.files[0]).parent / "data"
SIGNED = next(int(s.value) for s in signed_figures(data_dir) if (s.party, s.figure, s.category)
              == ("RUS", "territorial_subceiling", "acv"))
print(f"Allowed today: {fmt(ALLOWED)} active ACVs ({fmt(ALLOWED + STORAGE)} in total with "
      f"{fmt(STORAGE)} in storage). Russia seeks {fmt(SOUGHT)} active; the Moscow figure in the "
      f"variant is {fmt(MOSCOW_FIGURE)}; Turkey (with Norway) wants at most {fmt(TURKEY)}. "
      f"Signed in 1999: {fmt(SIGNED)} in total.")

# %% [markdown]
# ## 1. What each objective mode gives
#
# *Weighted* sums every party's normalised miss; *minimax* makes the largest one as small as
# possible (the fairest split); *lexicographic* goes by priority. A position without a stated
# range is normalised by its own target (the documented default scale), so a miss of one ACV
# costs each side one over its own target: that convention, not a stated position, decides the
# weighted answer, and the scenario lists it among its assumptions.

# %% tags=["budget-30"]
MODES = ("weighted", "minimax", "lexicographic")
runs = {"December 1998 (durable)": base, "not durable": not_durable, "Moscow figure": moscow}
rows = []
for label, scenario in runs.items():
    for mode in MODES:
        result = solve(scenario, objective=mode)
        positions = result.positions
        rows.append({
            "scenario": label, "mode": mode,
            "active": result.outcomes["flank_acv_active"],
            "total": result.outcomes["flank_acv_total"],
            "Russia concedes (ACVs)": positions.loc[("RUS", "flank_acv_active"), "deviation"],
            "Turkey/Norway concede (ACVs)": positions.loc[("TUR", "no_new_flank_numbers_acv"),
                                                          "deviation"],
            "removed from the flank area (ACVs)": result.allocation.loc[
                ("RUS", "total", "acv"), "reduction"]})
modes = pd.DataFrame(rows).set_index(["scenario", "mode"])
modes.round(2)

# %% tags=["budget-30"]
for (label, mode), row in modes.iterrows():
    print(f"{label}, {mode}: Russia gets {fmt(row['active'])} active ACVs "
          f"({fmt(row['total'])} in total); it concedes {fmt(row['Russia concedes (ACVs)'])} of "
          f"what it seeks, Turkey and Norway {fmt(row['Turkey/Norway concede (ACVs)'])}; "
          f"{fmt(row['removed from the flank area (ACVs)'])} ACVs leave the original flank area.")
gap = modes["total"] - SIGNED
reached = bool((gap.abs() < 0.5).any())
print(f"\n{'A mode reaches' if reached else 'No mode reaches'} the signed {fmt(SIGNED)}: the "
      f"nearest is {fmt(modes['total'].iloc[gap.abs().argmin()])} "
      f"({' / '.join(gap.abs().idxmin())}), {fmt(gap.abs().min())} ACVs away.")

# %% [markdown]
# ## 2. Who gives what at each value
#
# The letter's arithmetic, value by value: Russia's active ACVs are held at each value from the
# 580 allowed to the Moscow figure (a probe limit added here, owned by nobody: it is the question,
# not a position), and the model settles the rest. The sweep reports each position's concession
# in ACVs, the ceilings that move with it and the breakpoints — the exact values where another
# limit starts to bind. Both Russian targets are swept: 2,000 (the base) and the Moscow figure.


# %% tags=["budget-60"]
def held(scenario, value: float):
    """The scenario with Russia's active flank ACVs held at ``value`` (a probe: the question
    asked of the model, flagged as such)."""
    data = copy.deepcopy(scenario.data)
    data.setdefault("limits", {})["notebook_active_acv_held"] = {
        "description": "Russia's active flank ACVs held at the value asked about (notebook 01)",
        "owner": "question",
        "quantity": {"of": "territorial_ceiling", "areas": ["RUS.flank"], "categories": ["acv"],
                     "status": "active"},
        "sense": "==",
        "value": {"value": round(value), "assumption": True,
                  "date": str(scenario.spec.as_of),
                  "note": "the value asked about, not a position of any party"}}
    return scenario_from_dict(data, name=f"{scenario.display} (active ACVs held)")


FIELD = "limits.notebook_active_acv_held.value.value"
values = sorted({*range(ALLOWED, MOSCOW_FIGURE + 1, STEP), SOUGHT, MOSCOW_FIGURE,
                 SIGNED - STORAGE})
sweeps = {label: sweep(held(scenario, ALLOWED), FIELD, values)
          for label, scenario in (("Russia seeks 2,000", base), ("Moscow figure", moscow))}
for found in sweeps.values():  # the probe's field in words, for the figure
    for frame in (found.points, found.table, found.breakpoints):
        frame.attrs["field_label"] = "Russia's active flank ACVs held at (ACVs)"


def who_gives_what(found) -> pd.DataFrame:
    table = found.table.reset_index()
    concession = table[table["measure"] == "concession"].pivot_table(
        index="value", columns="item", values="number")
    ceiling = table[table["measure"] == "ceiling"].pivot_table(
        index="value", columns="item", values="number")
    out = pd.DataFrame({
        "Russia concedes": concession["RUS.flank_acv_active"],
        "Turkey/Norway concede": concession["TUR.no_new_flank_numbers_acv"],
        "total sub-ceiling": ceiling["TSC RUS.flank acv"],
        "objective": found.points["objective"]})
    out.index.name = "active ACVs held at"
    return out


def where(b) -> str:
    """Where a breakpoint lies: ``after`` is the last value with the old active set, ``before``
    the first with the new one, ``at`` the value itself when the two meet."""
    if pd.notna(b["at"]):
        return f"at {fmt(b['at'])}"
    return f"between {fmt(b['after'])} and {fmt(b['before'])}"


def change(b) -> str:
    parts = [f"{b['entered']}" if b["entered"] else "", f"no longer: {b['left']}" if b["left"]
             else ""]
    return "; ".join(p for p in parts if p)


tables = {label: who_gives_what(found) for label, found in sweeps.items()}
pd.concat(tables, axis=1).round(1)

# %% tags=["budget-30"]
for label, found in sweeps.items():
    table = tables[label]
    best = table["objective"].idxmin()
    print(f"{label}: the least total concession (weighted) is at {fmt(best)} active ACVs; the "
          "active set changes")
    for _, b in found.breakpoints.iterrows():
        print(f"  {where(b)}: {change(b)}")
    at_signed = table.loc[SIGNED - STORAGE]
    print(f"  at {fmt(SIGNED - STORAGE)} active (the signed {fmt(SIGNED)} less the "
          f"{fmt(STORAGE)} in storage): Russia concedes {fmt(at_signed['Russia concedes'])}, "
          f"Turkey and Norway {fmt(at_signed['Turkey/Norway concede'])}, total sub-ceiling "
          f"{fmt(at_signed['total sub-ceiling'])}.")

# %% tags=["budget-30"]
plot_sweep(sweeps["Moscow figure"])
plt.show()

# %% [markdown]
# ### Russia's target itself moving
#
# The other way to read "from 2,000 to the Moscow figure": Russia asks more, and each mode
# answers. Weighted, Russia's answer should not move at all (a unit of Russia's miss weighs one
# over its target, less than a unit of Turkey's, one over Turkey's own figure, whenever Russia
# asks for more than that); minimax splits the difference so that the two normalised misses are
# equal. Minimax has one level for the whole package, so at low targets, where the flank's misses
# are small, the Czech readiness positions set that level and Central European rows appear among
# the breakpoints: the blocks share no row, but they share the level.

# %% tags=["budget-60"]
target_field = "parties.RUS.positions.flank_acv_active.target"
targets = sorted({*range(ALLOWED, MOSCOW_FIGURE + 1, 2 * STEP), SOUGHT, MOSCOW_FIGURE})
demand = {}
for mode in ("weighted", "minimax"):
    found = sweep(moscow, target_field, targets, objective=mode)
    achieved = found.table.xs("achieved", level="measure")["number"].unstack("item")
    demand[mode] = achieved["RUS.flank_acv_active"]
    for _, b in found.breakpoints.iterrows():
        print(f"{mode}: Russia's target {where(b)}: {change(b)}")
demand = pd.DataFrame(demand)
demand.index.name = "Russia's target"
demand["minimax, 2·580·T/(580 + T)"] = [2 * TURKEY * t / (TURKEY + t) for t in demand.index]
print(f"weighted: Russia's active ACVs from {fmt(demand['weighted'].min())} to "
      f"{fmt(demand['weighted'].max())} over the targets swept")
print("minimax agrees with the hand derivation at every target:",
      bool(((demand["minimax"] - demand["minimax, 2·580·T/(580 + T)"]).abs() < 1e-4).all()))
demand.round(2)

# %% [markdown]
# ## 3. Which limits bind, and what they cost
#
# In the durable base the flank answer is a trade between two *positions* (Russia's and Turkey's
# with Norway), not a hard limit: the list of binding hard limits below should hold no flank row
# with a price. The cost of the flank trade shows on the probe: the price of one more active ACV
# held, and whom it costs. When the obligations are not durable, Turkey's "no new flank numbers"
# becomes a red line, and its price says what durability is worth to Russia.

# %% tags=["budget-30"]
prices = shadow_prices(base)
binding = prices[prices["binding"]]
flank_rows = binding[binding.index.str.contains("crf_|flank", regex=True)]  # Russia's flank
print(f"Binding hard limits in the base (weighted): {len(binding)}; on the flank: "
      f"{len(flank_rows)}, with prices "
      f"{sorted({fmt(v) for v in flank_rows['shadow_price']})}")
binding[["owner", "kind", "rhs", "unit", "shadow_price", "raise_one", "lower_one"]]

# %% tags=["budget-30"]
# Norway holds Turkey's stance jointly: one position, counted once in the objective, but
# reported for each holder in per-party tables
joint = set(base.spec.parties["TUR"].positions["no_new_flank_numbers_acv"].joint_with)
unit_costs = {}
for at in (SOUGHT, SIGNED - STORAGE):
    probe = held(base, at)
    probe_prices = shadow_prices(probe)
    row = probe_prices.loc["limit.notebook_active_acv_held"]
    split = limit_costs(probe, probe_prices, top=20)
    mine = split.xs("limit.notebook_active_acv_held", level="limit")["per_unit"]
    shares = {p: v for p, v in mine.items() if abs(v) > 1e-12 and p not in joint}
    unit_costs[at] = shares
    print(f"Held at {fmt(at)} active ACVs: one more costs the package {fmt(row['raise_one'])} "
          "normalised units; by party (Norway's share is Turkey's joint stance): " + ", ".join(
              f"{p} {fmt(v)}" for p, v in shares.items())
          + f"; the shares add up to {fmt(sum(shares.values()))}, and with Norway listed again "
          f"to {fmt(sum(v for v in mine))}.")
print(f"(Turkey's miss per ACV is 1/{fmt(TURKEY)} = {fmt(1 / TURKEY)}, Russia's gain per ACV "
      f"1/{fmt(SOUGHT)} = {fmt(1 / SOUGHT)}.)")

# %% tags=["budget-30"]
for mode in ("weighted", "minimax"):
    nd = shadow_prices(not_durable, objective=mode)
    red = nd[nd["binding"] & (nd["owner"] == "TUR")]
    for name, row in red.iterrows():
        if abs(row["raise_one"]) > 1e-12 or abs(row["lower_one"]) > 1e-12:
            print(f"not durable, {mode}: {name} (≤ {fmt(row['rhs'])} {row['unit']}) binds: one "
                  f"more ACV would change the objective by {fmt(row['raise_one'])}, one less by "
                  f"{fmt(row['lower_one'])}")
gained = (modes.loc["December 1998 (durable)", "active"] - modes.loc["not durable", "active"])
worth = gained["minimax"]
print("What durability is worth to Russia, in active ACVs: " + ", ".join(
    f"{mode} {fmt(v)}" for mode, v in gained.items()))

# %% [markdown]
# ## 4. The signed 2,140 on the frontier
#
# The exact Pareto frontier between Russia and Turkey with Norway (their joint stance counted
# once): every package on it is one where neither side can gain without the other losing. The
# 2,140 signed in 1999 is a *total*; the frontier's packages keep Russia's storage, so the total
# maps to active units as 2,140 less the storage they keep (read from the packages below). The
# 2,140 is then placed on the frontier, and each mode's answer beside it.

# %% tags=["budget-30"]
frontiers = {}
for label, scenario in (("Russia seeks 2,000", base), ("Moscow figure", moscow)):
    found = solve_frontier(scenario, "RUS", "TUR+NOR")
    points, positions = mode_packages(scenario, "RUS", "TUR+NOR")
    acv = found.allocation.xs(("RUS", "flank", "acv"), level=("party", "area", "category"))
    kept = (acv["territorial_subceiling"] - acv["active_subceiling"]).round(6)
    assert kept.nunique() == 1, kept  # the frontier's packages keep one storage level
    active = float(SIGNED - kept.iloc[0])
    # the frontier is the segment between its breakpoints: place the signed figure on it
    ends = found.points.assign(active=acv["active_subceiling"].to_numpy())
    share = (active - ends["active"].iloc[-1]) / (ends["active"].iloc[0] - ends["active"].iloc[-1])
    d_rus = ends["deviation_a"].iloc[-1] + share * (ends["deviation_a"].iloc[0]
                                                     - ends["deviation_a"].iloc[-1])
    d_tur = ends["deviation_b"].iloc[-1] + share * (ends["deviation_b"].iloc[0]
                                                     - ends["deviation_b"].iloc[-1])
    check = solve(held(scenario, active))  # the package at that value, solved, not interpolated
    dev = check.positions["weighted_deviation"]
    on_line = (abs(dev.loc[("RUS", "flank_acv_active")] - d_rus) < 1e-6
               and abs(dev.loc[("TUR", "no_new_flank_numbers_acv")] - d_tur) < 1e-6)
    frontiers[label] = (found, points, positions, active, d_rus, d_tur)
    print(f"{label}: the frontier has {len(found.points)} breakpoints, from Russia's "
          f"{fmt(ends['active'].iloc[0])} to Turkey's {fmt(ends['active'].iloc[-1])} active "
          f"ACVs, with {fmt(kept.iloc[0])} in storage. The signed {fmt(SIGNED)} is "
          f"{fmt(active)} active: Russia's miss {fmt(d_rus)}, Turkey's and Norway's "
          f"{fmt(d_tur)} (normalised); on the frontier: {on_line}. Ratio of the sides' "
          f"weights that would make it the minimax answer: "
          f"{fmt(d_tur / d_rus)} (default: 1).")
    for mode, row in points.iterrows():
        print(f"   {mode}: Russia {fmt(row['deviation_a'])}, Turkey/Norway "
              f"{fmt(row['deviation_b'])}")

# %% tags=["budget-30"]
for found, points, positions, active, d_rus, d_tur in frontiers.values():
    ax = plot_frontier(found, points, mode_positions=positions)
    ax.plot([d_rus], [d_tur], marker="*", markersize=14, color="black", linestyle="none",
            label=f"signed 1999: {fmt(SIGNED)} in total ({fmt(active)} active)")
    ax.legend(loc="upper right", fontsize=8)
    plt.show()

# %% [markdown]
# ## 5. The zone of possible agreement
#
# The zone is every value of Russia's total flank ACVs that meets every hard limit and lies inside
# every party's *stated* acceptable range. The December 1998 positions state no ranges, so with
# durable obligations only the hard limits bound the zone; when they are not durable, Turkey's
# red line does.

# %% tags=["budget-30"]
quantity = {"of": "territorial_ceiling", "areas": ["RUS.flank"], "categories": ["acv"]}
zones = {"durable (base)": agreement_zone(base, quantity),
         "not durable": agreement_zone(not_durable, quantity)}
for label, zone in zones.items():
    stated = zone.ranges.loc["stated ranges"]
    low, high = float(stated["minimum"]), float(stated["maximum"])
    inside = low <= SIGNED <= high
    print(f"{label}: the zone of Russia's total flank ACVs is [{fmt(low)}, {fmt(high)}]; the "
          f"signed {fmt(SIGNED)} is {'inside' if inside else 'outside'}"
          + (" (nothing bounds the zone above: inside trivially)" if inside and high == float(
              "inf") else "") + ".")
# the figure for the bounded zone (an unbounded one has nothing to draw beyond its open end)
for zone in zones.values():
    if float(zone.ranges.loc["stated ranges", "maximum"]) == float("inf"):
        continue
    ax = plot_range(zone)
    ax.axvline(SIGNED, color="black", linestyle=":", label=f"signed 1999 ({fmt(SIGNED)})")
    low, high = ax.get_xlim()
    ax.set_xlim(low, max(high, SIGNED * 1.08))
    ax.legend(loc="lower right", fontsize=8)
    plt.show()

# %% [markdown]
# ## What this says
#
# The five answers, in this notebook's own numbers (each sentence is printed from the results
# above).

# %% tags=["budget-30"]
w = modes.loc[("December 1998 (durable)", "weighted")]
m = modes.loc[("December 1998 (durable)", "minimax")]
mm = modes.loc[("Moscow figure", "minimax")]
lex = modes.loc[("December 1998 (durable)", "lexicographic")]
mw = modes.loc[("Moscow figure", "weighted")]
storage_kept = sorted({round(t - a, 6) for label, table in tables.items()
                       for a, t in table["total sub-ceiling"].items()})
positions_only = ("flank_acv_active", "no_new_flank_numbers_acv")
others = sorted({text for found in sweeps.values() for _, b in found.breakpoints.iterrows()
                 for text in (b["entered"], b["left"])
                 if text and not any(name in text for name in positions_only)})
def moves_one_for_one(table: pd.DataFrame, target: float) -> bool:
    """Turkey's concession rises, and Russia's falls, by the value's step, below the target."""
    below = table[table.index <= target]
    step = pd.Series(below.index, index=below.index).diff().dropna()
    return bool(((below["Turkey/Norway concede"].diff().dropna() - step).abs() < 1e-6).all()
                and ((below["Russia concedes"].diff().dropna() + step).abs() < 1e-6).all())


one_for_one = (moves_one_for_one(tables["Russia seeks 2,000"], SOUGHT)
               and moves_one_for_one(tables["Moscow figure"], MOSCOW_FIGURE))
priced_flank = flank_rows[(flank_rows["raise_one"].abs() > 1e-12)
                          | (flank_rows["lower_one"].abs() > 1e-12)]
found, points, positions, active, d_rus, d_tur = frontiers["Russia seeks 2,000"]
zone_base = zones["durable (base)"].ranges.loc["stated ranges"]
zone_nd = zones["not durable"].ranges.loc["stated ranges"]
print("\n\n".join([
    f"1. Weighted gives Russia {fmt(w['active'])} active ACVs ({fmt(w['total'])} in total), "
    + ("Turkey's figure, and the same with the Moscow figure"
       if w["active"] == TURKEY == mw["active"] else f"{fmt(mw['active'])} with the Moscow "
       "figure") + f"; lexicographic {fmt(lex['active'])}. "
    f"Minimax gives {fmt(m['active'])} ({fmt(m['total'])} in total), {fmt(mm['active'])} "
    f"({fmt(mm['total'])}) with the Moscow figure. "
    + (f"None gives the {fmt(SIGNED)} signed in 1999; the nearest answer is "
       f"{fmt(gap.abs().min())} ACVs away." if not reached else
       f"One gives the {fmt(SIGNED)} signed in 1999."),
    f"2. Between {fmt(ALLOWED)} and the Moscow figure "
    + ("every active ACV granted is one ACV conceded by Turkey and Norway and one less conceded "
       "by Russia, up to Russia's target" if one_for_one else "the concessions do not move one "
       "for one with the value held (see the table)")
    + f"; the total sub-ceiling is the active figure plus "
    f"{' or '.join(fmt(v) for v in storage_kept)} in storage. Other limits that start or stop "
    "binding in between: " + ("; ".join(others) if others else "none") + ".",
    f"3. In the durable base {len(flank_rows)} hard limits on Russia's flank bind "
    f"({', '.join(flank_rows.index)}), {len(priced_flank)} of them with a price: "
    + ("the flank answer is set by the positions, not by a hard limit. " if not len(priced_flank)
       else "") + f"At {fmt(SIGNED - STORAGE)} active ACVs one more costs "
    + ", ".join(f"{p} {fmt(v)}" for p, v in unit_costs[SIGNED - STORAGE].items())
    + " (normalised; negative: a gain). If the obligations are not durable, Turkey's red line "
    f"binds and the modes give {' / '.join(fmt(v) for v in modes.loc['not durable', 'active'])}"
    f" active ACVs: durability is worth {fmt(worth)} active ACVs to Russia under minimax.",
    f"4. The signed {fmt(SIGNED)} is {fmt(active)} active ACVs with the storage kept; it lies "
    f"on the Russia-Turkey/Norway frontier (Russia's normalised miss {fmt(d_rus)}, Turkey's "
    f"and Norway's {fmt(d_tur)}), "
    + ("nearer Russia's end than" if d_rus < points.loc["minimax", "deviation_a"]
       else "nearer Turkey's end than") + " the minimax answer; minimax would land on it only "
    f"if Russia's weight were {fmt(d_tur / d_rus)} times Turkey's.",
    f"5. Zone of agreement for the total: [{fmt(float(zone_base['minimum']))}, "
    f"{fmt(float(zone_base['maximum']))}] with durable obligations — {fmt(SIGNED)} inside only "
    f"because nothing bounds it above — and [{fmt(float(zone_nd['minimum']))}, "
    f"{fmt(float(zone_nd['maximum']))}] without: {fmt(SIGNED)} outside.",
]))
