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
# # 04 · History check: the December 1998 model against what was signed in November 1999
#
# The model is built from what was on the table on 21 December 1998: the positions the letter
# reports, the figures of the time, and a few later stand-ins, each flagged. Eleven months later,
# at Istanbul, the states parties signed the Agreement on Adaptation: national and territorial
# ceilings, Russia's flank sub-ceiling, and Poland's political pledge in the Final Act. This
# notebook sets every answer the model gives — each objective mode, and each bargaining solution
# — against those signed figures, state by state and category by category, and says plainly
# where the model is close, where it is not, and why. The headline question: **does Russia's
# signed 2,140 flank ACVs fall inside the zone of possible agreement computed from December 1998
# inputs alone?**
#
# The signed figures enter only here, for comparison: never as inputs (`cfe_opt.history`, the
# API of `cfe-opt history`, reads them from `models/data/` and cross-checks them with
# `adapted_1999.yaml`). Each row of the history table is
#
# * **compared** when the 1998 scenario determines the figure (a current figure, or a limit or
#   position naming it);
# * **circular** when its 1998 input is a later stand-in equal to the signed figure (nothing is
#   learnt from the match);
# * **not determined** when nothing in the scenario bears on it: the value is the tie-break's
#   (mostly today's holdings kept), so its gap says nothing about the positions.
#
# `face_min`…`face_max` is the figure's range over every package that is optimal in the mode's
# main stages: how much of the model's value the tie-break, not the positions, chose.
# `later_inputs` lists the later stand-ins that feed the figure: empty means the answer rests on
# December 1998 inputs alone.

# %% tags=["parameters"]
SCENARIO = "../models/talks_1998.yaml"  # the December 1998 talks with their cases
CASES = ["base", "not_durable"]  # durable flank obligations, and not
OUT = "../out/notebooks/04_history"  # where the solves are written (history reads them there)
CLOSE = 0.05  # a gap within this share of the signed figure counts as close

# %% tags=["budget-60"]
import contextlib
import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from cfe_opt import load_scenario
from cfe_opt.analysis.bargaining import solve_bargaining
from cfe_opt.cli import main as cfe_opt_command
from cfe_opt.history import history
from cfe_opt.text import fmt

pd.set_option("display.width", 180)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_rows", 60)

MODES = ("weighted", "minimax", "lexicographic")
base = load_scenario(SCENARIO)
names = {code: (party.name or code).split(" (")[0] for code, party in base.spec.parties.items()}

# %% [markdown]
# ## 1. Solve each case under each mode, and read the history table
#
# `cfe-opt solve` writes each answer (its tables and `summary.json`, with the scenario's digest);
# `history` re-reads it, refuses it if the scenario changed since, and pairs it with the signed
# figures.

# %% tags=["budget-90"]
tables = {}
for case in CASES:
    for mode in MODES:
        out = Path(OUT) / case / mode
        said = io.StringIO()
        with contextlib.redirect_stdout(said):
            code = cfe_opt_command(["solve", SCENARIO, "--case", case, "--objective", mode,
                                    "--out", str(out), "--quiet"])
        if code != 0:
            raise RuntimeError(f"cfe-opt solve {case} {mode}: exit {code}\n{said.getvalue()}")
        tables[(case, mode)] = history(out)
first = tables[(CASES[0], MODES[0])]
print(f"{first.attrs['scenario']}: {len(first)} signed figures paired, as of "
      f"{first.attrs['as_of']}; " + ", ".join(
          f"{n} {s}" for s, n in first["status"].value_counts().items())
      + f"; {first.attrs['later_stand_ins']} inputs are later stand-ins.")

# %% [markdown]
# ## 2. State by state: the figures the model determines
#
# One row per signed figure that the 1998 scenario determines (or feeds circularly), one column
# per mode: the model's value, the signed figure, the gap (model − signed) and the zone of
# possible agreement over the stated ranges. The zone does not depend on the mode, only on the
# case.

# %% tags=["budget-30"]
KEYS = ["party", "figure", "area", "category"]
rows = []
for (case, mode), table in tables.items():
    kept = table[table["status"] != "not determined"].reset_index()
    for _, r in kept.iterrows():
        rows.append({"case": case, "mode": mode, **{k: r[k] for k in KEYS},
                     "model": r["model"], "signed": r["signed"], "signed_kind": r["signed_kind"],
                     "gap": r["gap"], "zone": f"[{fmt(r['zone_min'])}, {fmt(r['zone_max'])}]",
                     "inside": r["inside"], "face": f"[{fmt(r['face_min'])}, {fmt(r['face_max'])}]",
                     "later_inputs": r["later_inputs"], "status": r["status"]})
long = pd.DataFrame(rows)
wide = long.pivot_table(index=["case", *KEYS], columns="mode", values="model",
                        aggfunc="first")[list(MODES)]
facts = long[long["mode"] == MODES[0]].set_index(["case", *KEYS])[
    ["signed", "signed_kind", "zone", "inside", "face", "status"]]  # face: the first mode's
determined = wide.join(facts)
determined

# %% [markdown]
# ## 3. The bargaining solutions against the same figures
#
# Utilitarian, Kalai–Smorodinsky and Nash, each a package; their figures are read from the
# package's allocation, as `history` reads a solve's. Three sets of bargainers:
#
# * *every party* with a position (the default). Norway holds Turkey's flank stance jointly and
#   no position of its own, so the two have the same outcome in every package and bargain as one
#   side, "Turkey + Norway": the stance has one vote, as the objective modes count it once;
# * *each holder apart* (`merge_identical=False`, `--separate-holders`): Norway bargains as a
#   party of its own with Turkey's utility, so the flank stance has two votes in the Nash
#   product — shown to see what that double count would do;
# * *flank alone*: only the parties with a position on Russia's flank area. The flank is a block
#   of its own (no row links it to Central Europe), but a bargaining solution over every party
#   ties the blocks together through its common level (Kalai–Smorodinsky); the Nash product and
#   the sum split into the blocks.
#
# Unlike the weighted and minimax modes, Kalai–Smorodinsky and Nash do not depend on how each
# miss is scaled: they compare each party's gain between its worst and its ideal outcome.

# %% tags=["budget-30"]
base_case = load_scenario(SCENARIO, case=CASES[0])
joint = {holder for party in base_case.spec.parties.values()
         for position in party.positions.values() for holder in position.joint_with}
flank_parties = [code for code, party in base_case.spec.parties.items()
                 if any("RUS.flank" in str(position.quantity.model_dump())
                        for position in party.positions.values()) and code not in joint]
bargains = {"every party": solve_bargaining(base_case),
            "each holder apart": solve_bargaining(base_case, merge_identical=False),
            "flank alone": solve_bargaining(base_case, parties=flank_parties)}
print("flank alone: " + ", ".join(names[p] for p in flank_parties))
for why in bargains["every party"].table.attrs["merged"]:
    print(why)
COLUMN = {"territorial_subceiling": "territorial_subceiling"}  # an area's row has its own column
compared = determined.loc[CASES[0]]
compared = compared[compared["status"] == "compared"]
bargain_rows = {}
for label, found in bargains.items():
    for solution in found.table.index.get_level_values("solution").unique():
        allocation = found.allocation.xs(solution, level="solution")
        bargain_rows[(label, solution)] = {
            key: float(allocation.at[(key[0], key[2], key[3]), COLUMN.get(key[1], key[1])])
            for key in compared.index if (key[0], key[2], key[3]) in allocation.index}
bargained = pd.DataFrame(bargain_rows)
bargained.index.names = KEYS
bargained.columns.names = ["bargainers", "solution"]
pd.concat([bargained, compared["signed"].rename(("", "signed"))], axis=1).round(2)

# %% [markdown]
# ## 4. Close, or not, and why
#
# A figure is *close* when every mode's gap is within `CLOSE` of the signed figure. The reasons
# printed beside each are read from the package: which limit holds it there, or which position.

# %% tags=["budget-30"]
allocation = {}
for mode in MODES:  # the base answers' allocation tables, as solve wrote them
    allocation[mode] = pd.read_csv(Path(OUT) / CASES[0] / mode / "allocation.csv",
                                   index_col=["party", "area", "category"])
constraints = pd.read_csv(Path(OUT) / CASES[0] / "weighted" / "constraints.csv",
                          index_col="name")


def readiness(party: str, category: str) -> float | None:
    """The party's own readiness floor on its territorial ceiling in ``category``, if stated."""
    for position in base_case.spec.parties[party].positions.values():
        terms = position.quantity.model_dump()["terms"]
        if (len(terms) == 1 and terms[0]["of"] == "territorial_ceiling"
                and terms[0]["parties"] == [party] and terms[0]["categories"] == [category]
                and position.direction == "at_least"):
            return float(position.target)
    return None


def why(key) -> str:
    """The reason for a compared figure's value, read from the base answer."""
    party, figure, area, category = key
    a = allocation["weighted"].loc[(party, area, category)]
    face = compared.loc[key, "face"] if key in compared.index else ""
    signed = compared.loc[key, "signed"]
    if figure == "territorial_ceiling":
        before, after = a["territorial_ceiling_before"], a["territorial_ceiling"]
        td = a["temporary_deployment"]
        reason = (f"today's {fmt(before)} less NATO's basic temporary deployment of {fmt(td)}: "
                  "Russia's proviso keeps permanent plus temporary levels within today's (the "
                  "edge of that range and the deployment level are both assumptions of the "
                  "scenario)" if abs(before - td - after) < 1e-6 else
                  f"{fmt(before)} cut by {fmt(before - after)} by national decision")
        floor = readiness(party, category)
        if floor is not None:
            reason += (f"; {names[party]}'s readiness floor is {fmt(floor)}, "
                       + (f"above the signed {fmt(signed)}: the signed cut goes deeper than the "
                          f"{1 - floor / before:.0%} the December 1998 readiness accepts"
                          if signed < floor - 1e-9 else "so the positions allow the signed "
                          f"figure too (face {face}: the tie-break picks the least cut)"))
        return reason
    held = constraints[(constraints["binding"]) & constraints.index.str.contains(
        f"{category}$", regex=True) & constraints.index.str.contains("crf_no_rise")
                       & ~constraints.index.str.contains("active")]
    if len(held):
        return (f"held at {fmt(held['rhs'].iloc[0])} by Russia's own commitment not to seek "
                "an increase (the capital repair facilities question solved)")
    spread = {m: allocation[m].loc[(party, area, category), "territorial_subceiling"]
              - allocation[m].loc[(party, area, category), "active_subceiling"] for m in MODES}
    return ("set by the trade between Russia's 2,000 active ACVs and Turkey's and Norway's "
            "no increase, at the default scales (no range is stated), with the storage kept ("
            + ", ".join(f"{m} {fmt(v)}" for m, v in spread.items()) + f" in storage); its face "
            f"is {face}: no position names the total, so any total from there up is as good "
            "for every party and the tie-break keeps it low")


verdicts = []
for key, row in compared.iterrows():
    gaps = {m: row[m] - row["signed"] for m in MODES}
    close = all(abs(g) <= CLOSE * abs(row["signed"]) for g in gaps.values())
    verdicts.append({"figure": key, "close": close})
    label = f"{names[key[0]]} {key[1].replace('_', ' ')} {key[3]}" + (
        f" ({key[2]})" if key[2] != "total" else "")
    print(f"{label}: signed {fmt(row['signed'])} ({row['signed_kind']}); model "
          + ", ".join(f"{m} {fmt(row[m])} (gap {fmt(g)})" for m, g in gaps.items())
          + f" — {'CLOSE' if close else 'NOT CLOSE'}: {why(key)}.")

# %% tags=["budget-30"]
circular = determined.loc[CASES[0]]
circular = circular[circular["status"] == "circular"]
print(f"Circular ({len(circular)}): " + ", ".join(
    f"{names[k[0]]} {k[1].replace('_', ' ')} {k[3]} {fmt(r['signed'])}"
    for k, r in circular.iterrows())
      + " — the scenario's input is the signed figure itself (a later stand-in), so the match "
      "says nothing.")
nd = first[first["status"] == "not determined"]
print(f"\nNot determined ({len(nd)}): the model has no 1998 input for these; its value is the "
      "tie-break's (mostly today's holdings kept), so the gap says nothing about the positions:")
for party, group in nd.groupby(level="party", sort=False):
    print(f"  {names.get(party, party)}: " + ", ".join(
        f"{k[1].replace('_', ' ')} {k[3]} {fmt(r['model'])} vs {fmt(r['signed'])}"
        for k, r in group.iterrows()))

# %% [markdown]
# ## 5. The figure: each answer against the signed figure

# %% tags=["budget-30"]
fig, axes = plt.subplots(1, len(compared), figsize=(2.8 * len(compared), 4.6), sharey=False)
markers = {"weighted": "s", "minimax": "D", "lexicographic": "^"}
solutions = list(dict.fromkeys(bargained.columns.get_level_values("solution")))
colours = dict(zip(solutions, ("#0072B2", "#E69F00", "#009E73"), strict=False))
sets = list(dict.fromkeys(bargained.columns.get_level_values("bargainers")))
for ax, (key, row) in zip(axes, compared.iterrows(), strict=True):
    ax.axhline(row["signed"], color="black", linewidth=1.2, label="signed 1999")
    for i, m in enumerate(MODES):
        ax.plot([-0.15 + 0.15 * i], [row[m]], marker=markers[m], linestyle="none",
                markersize=8, markerfacecolor="none", color="#555555", label=f"mode: {m}")
    for j, label in enumerate(sets):
        for k, solution in enumerate(solutions):
            ax.plot([1 + j + 0.15 * (k - 1)], [bargained.loc[key, (label, solution)]],
                    marker="o", linestyle="none", markersize=6, color=colours[solution],
                    label=solution.replace("_", "–") if j == 0 else None)
    ax.set_xticks([0, *range(1, len(sets) + 1)], ["modes", *sets], rotation=30, ha="right",
                  fontsize=8)
    ax.set_xlim(-0.6, len(sets) + 0.6)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    unit = {"tanks": "tanks", "acv": "ACVs", "artillery": "artillery pieces"}[key[3]]
    ax.set_title(f"{names[key[0]]}\n{key[1].replace('_', ' ')} ({key[2]}), {unit}", fontsize=9)
axes[0].set_ylabel("the figure, in its own units")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=7, fontsize=8, frameon=False)
fig.suptitle("How close is each December 1998 answer to what was signed in November 1999?\n"
             f"{base.spec.name} (bargaining solutions: dots, by set of bargainers)",
             fontsize=10, x=0.01, ha="left")
fig.tight_layout(rect=(0, 0.08, 1, 0.92))
plt.show()

# %% [markdown]
# ## 6. The headline: Russia's 2,140 and the zone of agreement

# %% tags=["budget-30"]
key = ("RUS", "territorial_subceiling", "flank", "acv")
for case in CASES:
    row = tables[(case, MODES[0])].loc[key]
    alone = not row["later_inputs"]
    print(f"{case}: the zone of Russia's total flank ACVs over the stated ranges is "
          f"[{fmt(row['zone_min'])}, {fmt(row['zone_max'])}]; the signed {fmt(row['signed'])} "
          f"is inside: {row['inside']}. From December 1998 inputs alone: "
          + ("yes (no later stand-in feeds this figure)" if alone else
             f"no — it rests on {row['later_inputs']}") + ".")
    print("   the answers: " + ", ".join(
        f"{m} {fmt(tables[(case, m)].loc[key, 'model'])} (face "
        f"[{fmt(tables[(case, m)].loc[key, 'face_min'])}, "
        f"{fmt(tables[(case, m)].loc[key, 'face_max'])}])" for m in MODES))

# %% [markdown]
# ## What this says

# %% tags=["budget-30"]
rus = compared.loc[key]
close = [v["figure"] for v in verdicts if v["close"]]
far = [v["figure"] for v in verdicts if not v["close"]]
b_rus = bargained.loc[key]
russia = base_case.spec.parties["RUS"].positions["flank_acv_active"].target
turkey = base_case.spec.parties["TUR"].positions["no_new_flank_numbers_acv"].target
storage = (allocation["weighted"].loc[("RUS", "flank", "acv"), "territorial_subceiling"]
           - allocation["weighted"].loc[("RUS", "flank", "acv"), "active_subceiling"])
midpoint = (russia + turkey) / 2
ks_flank = b_rus[("flank alone", "kalai_smorodinsky")]
splits = abs(ks_flank - (midpoint + storage)) < 1e-6
nearest = (b_rus - rus["signed"]).abs().idxmin()
durable = tables[(CASES[0], MODES[0])].loc[key]
lines = [
    f"Close ({len(close)} of {len(verdicts)}): " + "; ".join(
        f"{names[k[0]]} {k[3]} ({k[1].replace('_', ' ')}), {why(k)}" for k in close) + ".",
    f"Not close ({len(far)} of {len(verdicts)}): " + "; ".join(
        f"{names[k[0]]} {k[3]} ({k[1].replace('_', ' ')}): model "
        + " / ".join(fmt(compared.loc[k, m]) for m in MODES)
        + f" against {fmt(compared.loc[k, 'signed'])}, {why(k)}" for k in far) + ".",
    f"Russia's flank ACVs: the modes give {' / '.join(fmt(rus[m]) for m in MODES)} against the "
    f"signed {fmt(rus['signed'])}; the bargaining solutions give " + ", ".join(
        f"{s.replace('_', '–')} ({label}) {fmt(v)}" for (label, s), v in b_rus.items())
    + f". The nearest is {nearest[1].replace('_', '–')} ({nearest[0]}), "
    f"{fmt(abs(b_rus[nearest] - rus['signed']))} ACVs from the signed figure. With the flank "
    f"alone, Kalai–Smorodinsky gives {fmt(ks_flank)}"
    + (f": the midpoint {fmt(midpoint)} of Russia's {fmt(russia)} and Turkey's {fmt(turkey)} "
       f"active ACVs plus the {fmt(storage)} in storage. A rule that splits the gap between the "
       "two stated figures, whatever their scales, comes within "
       f"{fmt(abs(midpoint + storage - rus['signed']))} ACVs of what was signed; the modes, "
       "which weigh each miss by its default scale, do not." if splits else
       f", not the midpoint of the two stated figures ({fmt(midpoint + storage)} in total)."),
    f"Headline: with durable obligations the zone is [{fmt(durable['zone_min'])}, "
    f"{fmt(durable['zone_max'])}] and {fmt(durable['signed'])} is inside ({durable['inside']})"
    + (": nothing the parties stated bounds it above, so the zone says only that no hard limit "
       "forbids it. " if durable["zone_max"] == float("inf") else ". ")
    + " ".join(
        f"In case {c} the zone is [{fmt(tables[(c, MODES[0])].loc[key, 'zone_min'])}, "
        f"{fmt(tables[(c, MODES[0])].loc[key, 'zone_max'])}] and the signed figure is "
        + ("inside." if tables[(c, MODES[0])].loc[key, "inside"].startswith("yes")
           else "outside.") for c in CASES[1:])
    + (" The flank figure rests on December 1998 inputs alone." if not durable["later_inputs"]
       else f" It rests on later inputs: {durable['later_inputs']}."),
]
print("\n\n".join(lines))
