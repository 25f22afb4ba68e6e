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
# # 03 · Exploring a study: where is there no deal, how robust is the package, who moves it?
#
# Two batch studies of the December 1998 talks (`docs/studies.md`):
#
# * **the flank study** (`studies/talks_1998_flank.yaml`) varies whether Turkey's and Norway's
#   "no new flank numbers" are red lines or positions, Russia's red-line floor and its target,
#   and samples the two states' weights: *where does no package meet every hard limit?*
# * **the weights study** (`studies/talks_1998_weights.yaml`) moves only the parties' weights:
#   *does the package stay the best one, and whose weight moves whose concession?*
#
# Each study is run into its store (or resumed, or left as it is when it is complete), then
# sliced with pandas and DuckDB. Everything below reads the stores through
# `cfe_opt.study.open`; rerun the notebook with other study files through the parameters.

# %% tags=["parameters"]
FLANK_STUDY = "../studies/talks_1998_flank.yaml"
FLANK_STORE = "../out/notebooks/flank"
WEIGHTS_STUDY = "../studies/talks_1998_weights.yaml"
WEIGHTS_STORE = "../out/notebooks/weights"
WORKERS = 2  # local worker processes for the runs
OUTCOME = "status = 'infeasible'"  # the outcome of interest: no deal

# %%
import matplotlib.pyplot as plt
import pandas as pd

import cfe_opt.study
from cfe_opt import solve
from cfe_opt.plots.study import (
    plot_deviation_distributions,
    plot_prim_box,
    plot_robustness,
    plot_sensitivity,
    plot_status_map,
)
from cfe_opt.study.discovery import discover, inputs_and_outcome
from cfe_opt.study.robustness import package_of_result, robustness
from cfe_opt.study.sensitivity import sensitivity

pd.set_option("display.width", 120)

# %% [markdown]
# ## Run (or resume) the two studies
#
# A store keeps every finished variant; running a complete study again computes nothing.

# %%
for study, store in ((FLANK_STUDY, FLANK_STORE), (WEIGHTS_STUDY, WEIGHTS_STORE)):
    summary = cfe_opt.study.run(study, store, workers=WORKERS, stream=None)
    print(summary.text())

flank = cfe_opt.study.open(FLANK_STORE)
weights = cfe_opt.study.open(WEIGHTS_STORE)
print(flank.status().text())
print(weights.status().text())

# %% [markdown]
# ## Slicing the flank store
#
# `df()` gives pandas; `sql()` runs DuckDB over the store's Parquet files (only the columns a
# query names are read). The axis columns sit beside the outcomes.

# %%
design = [c for c in flank.relation("design").columns if c not in ("point", "key")]
print("design columns:", ", ".join(design))
variants = flank.df()
by_status = variants.groupby(["mode", "status"]).size().unstack("status", fill_value=0)
by_status

# %%
axes = [c for c in design if c not in ("sample", "mode")]
share = flank.sql(
    f"SELECT {', '.join(axes[:2])}, mode, count(*) AS variants, "
    "avg(CASE WHEN status = 'infeasible' THEN 1 ELSE 0 END) AS no_deal "
    f"FROM variants GROUP BY ALL ORDER BY ALL")
share

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
plot_status_map(variants, axes[0], axes[1] if len(axes) > 1 else None, ax=left)
plot_deviation_distributions(variants[variants["status"] == "optimal"], ax=right);

# %% [markdown]
# ## Where does no deal occur? (PRIM and CART)
#
# PRIM peels a box of the axes where the outcome is dense: its *coverage* is the share of all
# no-deal variants inside the box, its *density* the share of the box's variants with no deal.
# A CART tree gives the same question as rules.

# %%
found = discover(flank, OUTCOME)
print(f"{OUTCOME}: {found.base_rate:.0%} of the variants")
found.box

# %%
found.leaves

# %%
x, y = inputs_and_outcome(flank, OUTCOME)
features = pd.get_dummies(x, prefix_sep="=", dtype=float)
chosen = list(found.box.index) + [c for c in features.columns if c not in found.box.index]
if len(chosen) >= 2:
    plot_prim_box(features, y, found.box, chosen[0], chosen[1])

# %% [markdown]
# ## How robust is each candidate package under sampled weights?
#
# The candidates are the packages the base scenario gives under each objective mode. Against
# every variant of the weights study (only weights move, so every candidate stays feasible and
# keeps its achieved values) a candidate *stays optimal* when no variant's optimum beats it,
# and is *within 5%* when its objective there is at most 5% above the optimum.

# %%
base = weights.study().base
candidates = {mode: package_of_result(solve(base, objective=mode), f"the {mode} package")
              for mode in ("weighted", "minimax", "lexicographic")}
rows = []
for package in candidates.values():
    found_r = robustness(weights, package, within=0.05)
    rows.append({"candidate": package.label, "stays optimal": found_r.share("optimal"),
                 "within 5% of the optimum": found_r.share("within"),
                 "variants": len(found_r.points)})
robust = pd.DataFrame(rows).set_index("candidate")
robust.style.format("{:.0%}", subset=["stays optimal", "within 5% of the optimum"])

# %%
best = robust["stays optimal"].idxmax()
print(f"In {robust.loc[best, 'stays optimal']:.0%} of the sampled weightings {best} holds.")
plot_robustness(robustness(weights, candidates["weighted"]).summary);

# %% [markdown]
# ## Whose weight moves whose concession? (sensitivity)
#
# Sobol' indices (a Saltelli design) of each party's deviation with respect to the sampled
# weights; a party whose deviation never moves has nothing to explain and is left out.

# %%
outputs = [c for c in weights.columns if c.startswith("party_deviation.")]
method = {"saltelli": "sobol", "morris": "morris"}.get(
    weights.study().spec.sample.method, "delta")
tables = []
for output in outputs:
    spread = weights.sql(f'SELECT max("{output}") - min("{output}") AS s FROM variants')
    if float(spread["s"].iloc[0] or 0) > 0:
        table = sensitivity(weights, output, method, where="mode = 'weighted'")
        tables.append(table.reset_index().assign(output=output))
indices = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
indices

# %%
if len(indices):
    indices.attrs.update({"method": method,
                          "index": {"sobol": "ST", "morris": "mu_star"}.get(method, "delta")})
    plot_sensitivity(indices)

# %%
flank.close()
weights.close()
