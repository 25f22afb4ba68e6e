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
# # 05 · What if: move a number, watch the package change
#
# The panel below re-solves the scenario each time a control moves — a party's target, the
# edge of its acceptable range, its weight, the objective, each red line held or dropped — and
# redraws the package figure in place. It goes through the compiled, warm model
# (`cfe_opt.solve.CompiledModel`, see `docs/formulation.md`): numbers are set in the LP and
# HiGHS starts from the last basis, so a change costs tens of milliseconds
# (`python benchmarks/bench_whatif.py` measures it).
#
# The same call works without widgets (`WhatIf.solve`, below), and **Pin** writes the current
# settings as a variant of a study, so what you found by exploring is reproducible in the batch
# store (`cfe-opt study run PINS --out STORE`).

# %% tags=["parameters"]
SCENARIO = "../models/talks_1998_flank_deadlock.yaml"
POSITION = "RUS.flank_acv"  # the position the sliders start on (PARTY.position)
RED_LINE = "RUS.flank_acv_floor"  # a red line to drop in the walk-through below
PINS = "../out/notebooks/whatif_pins.yaml"  # the pins study the Pin button writes
STORE = None  # a store to compute each pin into at once (None: pin only)

# %%
import pandas as pd

from cfe_opt import CfeOptError, load_scenario
from cfe_opt.whatif import PackageView, WhatIf, panel

# %% [markdown]
# ## The panel
#
# Move a slider and let go: the status line says how the package was found (*in place*: the
# numbers were set in the compiled model; *compiled afresh*: the change altered the model's
# shape, such as a red line dropped for the first time) and how long it took.

# %%
live = panel(SCENARIO, position=POSITION, pins=PINS, store=STORE)
live

# %% [markdown]
# ## The same, without widgets
#
# `WhatIf.solve(settings, objective)` is the call the panel makes: settings are fields by their
# dotted path (`None` drops a field), and the answer is the usual `Result`. Here: drop the red
# line, then walk the position's target from well below to well above the scenario's own. A
# value the scenario refuses (a target outside the position's own acceptable range) is an error
# saying why, and the session stays as it was.

# %%
session = WhatIf(load_scenario(SCENARIO))
party, name = POSITION.split(".")
red_party, red_name = RED_LINE.split(".")
target_path = f"parties.{party}.positions.{name}.target"
dropped = {f"parties.{red_party}.red_lines.{red_name}": None}
own = float(session.value(target_path))
rows = []
for share in (0.5, 0.75, 1.0, 1.25):
    for mode in ("weighted", "minimax"):
        try:
            outcome = session.outcome({**dropped, target_path: round(own * share)}, mode)
        except CfeOptError as exc:
            rows.append({"target": round(own * share), "objective mode": mode,
                         "status": f"refused: {str(exc).split(': ')[-1]}"})
            continue
        result = outcome.result
        row = {"target": round(own * share), "objective mode": mode,
               "status": result.status.value, "how": "in place" if outcome.in_place else
               "compiled", "ms": round(outcome.seconds * 1000, 1)}
        if result.optimal:  # the position's outcome, and each party's weighted deviation
            row[f"{POSITION} achieved"] = result.positions.loc[(party, name), "achieved"]
            conceded = result.positions.groupby(level="party", sort=False)[
                "weighted_deviation"].sum()
            row.update({f"{p} deviation": v for p, v in conceded.items() if v > 0})
        rows.append(row)
walk = pd.DataFrame(rows)
walk

# %% [markdown]
# The figure of one of those answers, drawn as the panel draws it:

# %%
view = PackageView(session, show_time=False)
outcome, png = view.change({**dropped, target_path: round(own * 1.25)}, "weighted")
view.figure

# %% [markdown]
# ## Pin what you found
#
# `pin()` (the button) adds the current settings as a case of the pins study; running that
# study puts them in a store, identified by their content like every variant. Pinning the same
# settings twice gives the same case.

# %%
live.red_lines[RED_LINE].value = False
live.target.value = round(own * 1.25)
print(live.status.value)
pinned = live.pin()
print(f"pinned as {pinned} in {PINS}")
with open(PINS, encoding="utf-8") as pins:
    print(pins.read())

# %%
if STORE is not None:
    import cfe_opt.study

    with cfe_opt.study.open(STORE) as results:
        row = results.df(where=f"pinned = '{pinned}'")
    print("the store's row:", row[["pinned", "mode", "status", "objective"]].to_dict("records"))
    print("the panel's answer:", live.session.last.result.objective)
