"""Study analyses: robustness against brute-force re-solves, scenario discovery, sensitivity
(SALib), figures and the report command."""

from __future__ import annotations

import copy
import io

import pytest
from matplotlib.axes import Axes

import cfe_opt.study
from cfe_opt import scenario_from_dict, solve
from cfe_opt.cli import main
from cfe_opt.errors import CfeOptError
from cfe_opt.plots.study import (
    plot_deviation_distributions,
    plot_prim_box,
    plot_prim_tradeoff,
    plot_robustness,
    plot_sensitivity,
    plot_status_map,
)
from cfe_opt.scenario import with_changes
from cfe_opt.study.definition import Sample
from cfe_opt.study.discovery import discover, inputs_and_outcome
from cfe_opt.study.robustness import package_of_result, package_of_variant, robustness
from cfe_opt.study.runner import run_study
from cfe_opt.study.sampling import sample_values
from cfe_opt.study.sensitivity import sensitivity
from tests.study_support import make_tree, write_study

WEIGHTS = """\
name: weights
base: ../models/talks_1998.yaml
objectives: [weighted, minimax]
sample:
  size: 12
  seed: 4
  axes:
    rus_w: {field: parties.RUS.weight, distribution: log_uniform, low: 0.25, high: 8}
    tur_w: {field: parties.TUR.weight, distribution: log_uniform, low: 0.25, high: 4}
"""

DEADLOCK = """\
name: deadlock
base: ../models/talks_1998_flank_deadlock.yaml
axes:
  caps:
    cases:
      red_lines: {}
      positions_only:
        parties.TUR.red_lines.flank_acv_cap: null
        parties.NOR.red_lines.flank_acv_cap: null
  floor:
    field: parties.RUS.red_lines.flank_acv_floor.value
    values: [1380, 1500, 1700, 2000]
  target:
    field: parties.RUS.positions.flank_acv.target
    values: [1380, 2000]
"""

SALTELLI = """\
name: saltelli
base: ../models/talks_1998.yaml
sample:
  size: 8
  seed: 2
  method: saltelli
  axes:
    rus_w: {field: parties.RUS.weight, distribution: log_uniform, low: 0.25, high: 8}
    tur_w: {field: parties.TUR.weight, distribution: log_uniform, low: 0.25, high: 4}
    pol_w: {field: parties.POL.weight, distribution: uniform, low: 0.5, high: 2}
"""


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("analysis"))


@pytest.fixture(autouse=True)
def few_resamples(monkeypatch):
    """Bootstrap confidence intervals are slow and not what these tests check."""
    from cfe_opt.study import sensitivity as module

    monkeypatch.setattr(module, "RESAMPLES", 10)


@pytest.fixture(scope="module")
def saltelli(tree):
    return _store(tree, SALTELLI, "saltelli")


def _store(tree, text, name):
    out = tree / f"out-{name}"
    if not out.exists():
        run_study(write_study(tree, text, f"{name}.yaml"), out, workers=1,
                  stream=io.StringIO())
    return cfe_opt.study.open(out)


@pytest.fixture(scope="module")
def weights(tree):
    return _store(tree, WEIGHTS, "weights")


@pytest.fixture(scope="module")
def deadlock(tree):
    return _store(tree, DEADLOCK, "deadlock")


def _pinned_objective(scenario, package, mode):
    """Brute force: the variant re-solved with every position's quantity pinned to the
    package's value (as extra limits), so the objective is the package's under the variant."""
    data = copy.deepcopy(scenario.data)
    limits = data.setdefault("limits", {})
    for party, spec in scenario.data["parties"].items():
        for name, position in spec.get("positions", {}).items():
            value = package.achieved[(party, name)]
            assert float(value).is_integer()
            limits[f"pin_{party}_{name}"] = {"quantity": position["quantity"], "sense": "==",
                                             "value": int(value), "owner": "pin"}
    result = solve(scenario_from_dict(data), objective=mode)
    assert result.optimal
    return result.objective


def test_robustness_equals_brute_force_re_solves(weights):
    study = weights.study()
    package = package_of_result(solve(study.base), "base")
    found = robustness(weights, package, within=0.1)
    points = found.points
    assert len(points) == 24
    design = weights.df(columns=["point", "key", "mode", "rus_w", "tur_w", "objective"])
    for _, row in design.iterrows():
        point = points.loc[row["point"]]
        variant = with_changes(study.base, {"parties.RUS.weight": row["rus_w"],
                                            "parties.TUR.weight": row["tur_w"]})
        optimum = solve(variant, objective=row["mode"]).objective
        pinned = _pinned_objective(variant, package, row["mode"])
        assert point["optimum"] == pytest.approx(optimum, rel=1e-8, abs=1e-10)
        assert point["package_objective"] == pytest.approx(pinned, rel=1e-8, abs=1e-10)
        assert bool(point["optimal"]) == (pinned <= optimum * (1 + 1e-7) + 1e-9)
        assert bool(point["within"]) == (pinned <= optimum * 1.1 + 1e-7)
    summary = found.summary
    assert summary.loc["optimal", "count"] == points["optimal"].sum()
    assert summary.loc["optimal", "share"] == pytest.approx(points["optimal"].mean())
    assert 0 < summary.loc["optimal", "share"] < 1  # the sample crosses the threshold


def test_robustness_share_by_hand(weights):
    # weighted mode: Russia's flank figure stays at 1,380 (the base package) as long as one
    # ACV more is worth less to Russia (w_R/2000) than it costs Turkey and Norway
    # ((w_T + 1)/1380): the share of draws with w_R ≤ 2000 (w_T + 1)/1380.
    study = weights.study()
    package = package_of_result(solve(study.base), "base")
    found = robustness(weights, package, mode="weighted")
    draws = weights.df(columns=["rus_w", "tur_w"], where="mode = 'weighted'")
    expected = (draws["rus_w"] <= 2000 * (draws["tur_w"] + 1) / 1380).mean()
    assert found.share("optimal") == expected
    # no position states a range: no party's "in range" is reported, never true by default
    assert not [m for m in found.summary.index if m.startswith("in_range.")]


def test_robustness_of_a_stored_variant_and_refusals(weights, deadlock):
    key = weights.sql("SELECT key FROM variants WHERE mode = 'weighted' ORDER BY rus_w DESC "
                      "LIMIT 1")["key"][0]
    package = package_of_variant(weights, key)
    assert package.achieved[("RUS", "flank_acv")] > 1380  # the heaviest Russian weight
    found = robustness(weights, package, mode="weighted")
    assert found.points.loc[found.points["key"] == key, "optimal"].all()
    with pytest.raises(CfeOptError, match="varies only weights and positions"):
        robustness(deadlock, package)
    with pytest.raises(CfeOptError, match="no variant with key"):
        package_of_variant(weights, "0" * 64)


def test_scenario_discovery_finds_the_deadlock(deadlock):
    # no deal exactly when the caps are red lines and Russia's floor is above 1,380
    x, y = inputs_and_outcome(deadlock, "status = 'infeasible'")
    expected = ((x["caps"] == "red_lines") & (x["floor"] > 1380)).astype(int).to_numpy()
    assert (y == expected).all()
    found = discover(deadlock, "status = 'infeasible'")
    assert found.base_rate == pytest.approx(6 / 16)
    chosen = found.trajectory.loc[found.trajectory.attrs["selected"]]
    assert chosen["density"] == 1.0 and chosen["coverage"] == 1.0
    assert found.box.loc["floor", "min"] > 1380
    assert found.box.loc["caps=positions_only", "max"] < 1
    top = found.leaves.iloc[0]
    assert top["share"] == 1.0 and top["points"] == 6
    assert "floor >" in top["rule"] and "caps=" in top["rule"]
    with pytest.raises(CfeOptError, match="holds for no variant"):
        discover(deadlock, "status = 'error'")
    with pytest.raises(CfeOptError, match="not an axis of the study"):
        discover(deadlock, "status = 'infeasible'", inputs=["nope"])


def test_sobol_indices_from_a_saltelli_design(saltelli):
    results = saltelli
    assert results.status().done == 8 * (3 + 2)
    table = sensitivity(results, "party_deviation.RUS", "sobol")
    # Russia's deviation does not depend on Poland's weight at all: its indices are 0
    assert table.loc["pol_w", "S1"] == 0 and table.loc["pol_w", "ST"] == 0
    assert table.loc["rus_w", "ST"] > 0 and table.loc["tur_w", "ST"] > 0
    delta = sensitivity(results, "party_deviation.RUS", "delta")
    assert list(delta.columns) == ["delta", "delta_conf", "S1", "S1_conf"]
    with pytest.raises(CfeOptError, match="need a study sampled with method: morris"):
        sensitivity(results, "party_deviation.RUS", "morris")


def test_saltelli_and_morris_designs_grow_by_prefix():
    axes = {"a": {"field": "x.a", "distribution": "uniform", "low": 0, "high": 1},
            "b": {"field": "x.b", "distribution": "log_uniform", "low": 1, "high": 10}}
    for method, per in (("saltelli", 4), ("morris", 3)):
        small = sample_values(Sample.model_validate(
            {"size": 4, "seed": 1, "method": method, "axes": axes}))
        large = sample_values(Sample.model_validate(
            {"size": 8, "seed": 1, "method": method, "axes": axes}))
        assert len(small["a"]) == 4 * per and len(large["a"]) == 8 * per
        assert large["a"][: 4 * per] == small["a"] and large["b"][: 4 * per] == small["b"]


def test_sobol_refuses_an_ordinary_sample(weights):
    with pytest.raises(CfeOptError, match="need a study sampled with method: saltelli"):
        sensitivity(weights, "party_deviation.RUS", "sobol")
    with pytest.raises(CfeOptError, match="holds a draw more than once"):
        sensitivity(weights, "party_deviation.RUS", "delta")


def test_figures_take_and_return_their_axes(weights, deadlock, saltelli):
    import matplotlib.pyplot as plt

    frame = deadlock.df()
    found = discover(deadlock, "status = 'infeasible'")
    x, y = inputs_and_outcome(deadlock, "status = 'infeasible'")
    features = __import__("pandas").get_dummies(x, prefix_sep="=", dtype=float)
    study = weights.study()
    rob = robustness(weights, package_of_result(solve(study.base), "base")).summary
    table = sensitivity(saltelli, "party_deviation.RUS", "sobol")
    long = table.reset_index().assign(output="party_deviation.RUS")
    calls = [lambda ax: plot_deviation_distributions(frame, ax=ax),
             lambda ax: plot_status_map(frame, "floor", "caps", ax=ax),
             lambda ax: plot_status_map(frame, "floor", ax=ax),
             lambda ax: plot_robustness(rob, ax=ax),
             lambda ax: plot_prim_tradeoff(found.trajectory, ax=ax),
             lambda ax: plot_prim_box(features, y, found.box, "floor", "caps=red_lines", ax=ax),
             lambda ax: plot_sensitivity(long, ax=ax)]
    for draw in calls:
        figure, ax = plt.subplots()
        assert draw(ax) is ax
        assert ax.has_data()
        plt.close(figure)
    assert isinstance(plot_robustness(rob), Axes)
    plt.close("all")


def test_study_figures_meet_the_figure_standard(weights, deadlock, saltelli):
    """The same standard as every other figure (cfe_opt/plots/_common.py): the question and
    the study's name in the title, party names and colours, palette colours only, A4."""
    import matplotlib.pyplot as plt

    from cfe_opt.plots._common import party_colours, standard_problems
    from cfe_opt.plots.study import study_context

    context = study_context(deadlock.study())
    frame = deadlock.df()
    found = discover(deadlock, "status = 'infeasible'")
    x, y = inputs_and_outcome(deadlock, "status = 'infeasible'")
    features = __import__("pandas").get_dummies(x, prefix_sep="=", dtype=float)
    rob = robustness(weights, package_of_result(solve(weights.study().base), "base")).summary
    table = sensitivity(saltelli, "party_deviation.RUS", "sobol")
    long = table.reset_index().assign(output="party_deviation.RUS")
    axes = [plot_deviation_distributions(frame, context=context),
            plot_status_map(frame, "floor", "caps", context=context),
            plot_status_map(frame, "floor", context=context),
            plot_robustness(rob, context=context),
            plot_prim_tradeoff(found.trajectory, context=context),
            plot_prim_box(features, y, found.box, "floor", "caps=red_lines", context=context),
            plot_sensitivity(long, context=context)]
    for ax in axes:
        assert standard_problems(ax.figure, context) == [], ax.figure._suptitle.get_text()
        assert f"study {deadlock.study().spec.name}" in ax.figure._suptitle.get_text()
    boxes = [t.get_text() for t in axes[0].get_yticklabels()]
    assert "Russia" in boxes and "RUS" not in boxes
    russia = party_colours(context["party_order"])["RUS"]
    bars = [c for c in axes[-1].containers if c.get_label() == "deviation of Russia"]
    assert bars and __import__("matplotlib.colors").colors.to_hex(
        bars[0].patches[0].get_facecolor()) == russia.lower()
    plt.close("all")


def test_report_command_writes_its_tables_and_figures(tree, deadlock, saltelli, capsys):
    out = tree / "report-deadlock"
    assert main(["study", "report", str(deadlock.store.root), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Scenario discovery of \"status = 'infeasible'\" (38% of the variants)" in text
    assert "Robustness: skipped" in text
    for name in ("status.csv", "deviations.csv", "deviations.png", "status_map.png",
                 "prim_trajectory.csv", "prim_box.csv", "cart_leaves.csv", "cart_tree.txt",
                 "prim_tradeoff.png", "prim_box.png", "report.txt"):
        assert (out / name).stat().st_size > 0, name
    status = (out / "status.csv").read_text()
    assert status == "mode,status,variants\nweighted,infeasible,6\nweighted,optimal,10\n"
    out = tree / "report-saltelli"
    assert main(["study", "report", str(saltelli.store.root), "--out", str(out),
                 "--within", "0.1"]) == 0
    text = capsys.readouterr().out
    assert "Robustness of the base package (weighted)" in text
    assert "Sensitivity (sobol; mode = 'weighted')" in text
    for name in ("robustness.csv", "robustness_points.csv", "robustness.png",
                 "sensitivity.csv", "sensitivity.png"):
        assert (out / name).stat().st_size > 0, name
    _documented(tree / "report-deadlock", out)
    shares = {line.split(",")[0]: float(line.split(",")[-1])
              for line in (out / "robustness.csv").read_text().splitlines()[1:]}
    expected = robustness(saltelli, package_of_result(solve(saltelli.study().base)),
                          within=0.1)
    assert shares["optimal"] == pytest.approx(expected.share("optimal"))
    assert shares["within"] == pytest.approx(expected.share("within"))


def _documented(*folders):
    """Every file and column the report wrote is in docs/outputs.md (tests/outputs_doc.py)."""
    from outputs_doc import csv_header, documented, matches

    docs = documented()
    parties = {"USA", "NATO_OTHERS", "RUS", "POL", "DEU", "TUR", "NOR"}
    for folder in folders:
        for path in folder.iterdir():
            assert path.name in docs, f"{path.name} is not in docs/outputs.md"
            if path.suffix == ".csv":
                missing = [c for c in csv_header(path) if not matches(c, docs[path.name],
                                                                         parties)]
                assert not missing, f"{path.name}: {missing} not in docs/outputs.md"
