"""The what-if session, its figure and panel, and pins: every answer through the compiled warm
model equals a fresh solve, and the two-party fixture's answers are derived by hand.

tests/fixtures/report_two_party.yaml (see tests/test_reports.py): Russia's flank sub-ceiling v,
Russia at least 2,000 (scale 300), Turkey at most 1,380 (scale 1,380, weight w), Turkey's cap
1,800. Per unit of v Russia gains 1/300 and Turkey loses w/1,380:
* w = 1: v = 1,800, objective 200/300 + 420/1,380 = 0.971014;
* w = 5: Turkey's loss (0.003623) outweighs Russia's gain (0.003333): v = 1,380, objective
  620/300 = 2.066667;
* cap removed (w = 1): v rises to Russia's 2,000, objective 620/1,380 = 0.449275;
* range min 1,800 (scale 200): v = 1,800, objective 200/200 + 420/1,380 = 1.304348;
* a range for Turkey, at most 1,500 (scale 120): Turkey loses 1/120 per unit, more than
  Russia's 1/300: v = 1,380, objective 620/300 = 2.066667.
"""

from __future__ import annotations

import io
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from cfe_opt.api import solve
from cfe_opt.scenario import load_scenario, with_changes
from cfe_opt.solve import CompiledModel
from cfe_opt.whatif.session import WhatIf
from tests.report_support import REPO, TWO_PARTY

RUS = "parties.RUS.positions.flank_acv"
# the December 1998 scenario as it was before issue 7 rebuilt it (frozen: the names below are
# its names; what is tested is the warm path, not what the talks scenario says)
TALKS = REPO / "tests" / "fixtures" / "talks_1998_before_issue_7" / "talks_1998.yaml"
CAP = "parties.TUR.red_lines.flank_cap"


@pytest.fixture
def session():
    return WhatIf(load_scenario(TWO_PARTY))


def _achieved(result):
    return result.positions.loc[("RUS", "flank_acv"), "achieved"]


def test_session_gives_the_hand_derived_packages(session):
    first = session.outcome({})
    assert not first.in_place and first.reason == ("the scenario compiled (the session's first "
                                                   "solve)")
    assert first.result.objective == pytest.approx(200 / 300 + 420 / 1380, abs=1e-6)
    heavy = session.outcome({"parties.TUR.weight": 5})
    assert heavy.in_place and heavy.reason == ""
    assert _achieved(heavy.result) == 1380
    assert heavy.result.objective == pytest.approx(620 / 300, abs=1e-6)
    uncapped = session.outcome({CAP: None})
    assert not uncapped.in_place
    assert uncapped.reason == f"compiled once for the model without {CAP}"
    assert _achieved(uncapped.result) == 2000
    assert uncapped.result.objective == pytest.approx(620 / 1380, abs=1e-6)
    again = session.outcome({CAP: None, "parties.TUR.weight": 1.0})
    assert again.in_place  # the shape's model is kept
    narrow = session.outcome({f"{RUS}.range.min": 1800})
    assert narrow.in_place
    assert narrow.result.objective == pytest.approx(1 + 420 / 1380, abs=1e-6)
    ranged = session.outcome({"parties.TUR.positions.flank_no_rise.range.max": 1500})
    assert not ranged.in_place and "not a number the model tracks" in ranged.reason
    assert _achieved(ranged.result) == 1380
    assert ranged.result.objective == pytest.approx(620 / 300, abs=1e-6)
    back = session.outcome({})  # fields not named return to the scenario's values
    assert back.in_place and back.result.objective == first.result.objective
    pd.testing.assert_frame_equal(back.result.positions, first.result.positions)


def test_a_refused_value_leaves_the_session_as_it_was(session):
    from cfe_opt.errors import CfeOptError

    session.solve({"parties.TUR.weight": 5})
    with pytest.raises(CfeOptError, match="target 600 is below the acceptable range's min"):
        session.solve({f"{RUS}.target": 600})
    assert session.settings == {"parties.TUR.weight": 5}
    assert _achieved(session.solve()) == 1380  # the last good settings, solved again


def test_set_changes_one_setting_and_keeps_the_others(session):
    session.set("parties.TUR.weight", 5)
    result = session.set(CAP, None)
    assert session.settings == {"parties.TUR.weight": 5, CAP: None}
    # no cap and Turkey weighted 5: v = 1,380 still (Turkey's loss outweighs Russia's gain)
    assert _achieved(result) == 1380


@pytest.mark.parametrize("settings, mode", [
    ({"parties.RUS.positions.flank_acv.target": 2400}, "weighted"),
    ({"parties.RUS.positions.flank_acv.target": 700, "parties.TUR.weight": 3}, "minimax"),
    ({"parties.NOR.weight": 0.25, "parties.TUR.weight": 4}, "lexicographic"),
    ({}, "minimax"),
])
def test_warm_answers_equal_a_fresh_solve_on_a_1998_scenario(settings, mode):
    scenario = load_scenario(TALKS)
    session = WhatIf(scenario)
    session.solve({"parties.RUS.positions.flank_acv.target": 1500}, "weighted")  # move first
    warm = session.solve(settings, mode)
    changed = with_changes(scenario, settings) if settings else scenario
    cold = solve(changed, objective=mode)
    assert warm.objective == cold.objective
    for name in ("positions", "allocation"):
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(cold, name))
    # the constraints too, but for shadow prices where the optimum is degenerate: there an
    # optimal dual is any value between the two one-unit slopes (docs/analysis.md), and which
    # one the solver reports depends on the basis it ends on, so warm and cold may differ
    w, c = warm.constraints, cold.constraints
    pd.testing.assert_frame_equal(w.drop(columns="shadow_price"), c.drop(columns="shadow_price"))
    differ = [n for n in w.index if not math.isclose(w.at[n, "shadow_price"],
                                                     c.at[n, "shadow_price"], abs_tol=1e-9)]
    if differ:
        compiled = CompiledModel(changed)
        run = compiled.solve(mode)
        slopes = compiled.unit_prices(mode, run.objective, differ)
        for name in differ:
            up, down = slopes[name]
            low, high = sorted((up, down))
            assert high - low > 1e-9, name  # a breakpoint: the dual is not unique
            for price in (w.at[name, "shadow_price"], c.at[name, "shadow_price"]):
                assert low - 1e-9 <= price <= high + 1e-9, (name, price, low, high)


def test_session_values_read_the_scenario_and_the_settings(session):
    assert session.value("parties.TUR.weight") == 1  # a default the file leaves out
    assert session.value(f"{RUS}.target") == 2000
    session.set(f"{RUS}.target", 1900)
    assert session.value(f"{RUS}.target") == 1900
    assert session.positions() == [("RUS", "flank_acv"), ("TUR", "flank_no_rise")]
    assert session.red_lines() == [("TUR", "flank_cap")]


def _pixels(png):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_the_figure_redrawn_in_place_equals_one_drawn_afresh():
    from cfe_opt.whatif.view import PackageView

    scenario = load_scenario(TALKS)
    live = PackageView(WhatIf(scenario), show_time=False)
    for target in (900, 2600, 1400, 3000, 2000, 700):
        _, png = live.change({f"{RUS}.target": target, "parties.TUR.weight": target / 1000})
    fresh = PackageView(WhatIf(scenario), show_time=False)
    _, expected = fresh.change({f"{RUS}.target": 700, "parties.TUR.weight": 0.7})
    assert np.array_equal(_pixels(png), _pixels(expected))
    assert not np.array_equal(_pixels(png), _pixels(PackageView(
        WhatIf(scenario), show_time=False).png))  # and it did change


def _full_draw(view):
    """The view's figure drawn whole, every artist in its place (the live pixels kept)."""
    kept = np.asarray(view.canvas.buffer_rgba()).copy()
    artists = [*view.chart.moving, *view._over_bars()]
    for artist in artists:
        artist.set_animated(False)
    view.canvas.draw()
    full = np.asarray(view.canvas.buffer_rgba())[:, :, :3].astype(int)
    for artist in artists:
        artist.set_animated(True)
    np.asarray(view.canvas.buffer_rgba())[...] = kept  # the live figure goes on blitting
    return full


def test_the_blitted_figure_equals_a_full_draw_of_it():
    """Over changes that move some rows (and the status line in the title), the PNG equals a
    full draw of the same figure but for antialiasing at a band's edge (a few levels of 255):
    no stale status line, no row left from an earlier package, no gap in the zero line."""
    from cfe_opt.whatif.view import PackageView

    scenario = load_scenario(TALKS)
    view = PackageView(WhatIf(scenario), show_time=False, status=True)
    titles = set()
    for target, weight in ((900, 1), (2600, 1), (2600, 3), (1400, 0.5), (3000, 2), (700, 1)):
        outcome, png = view.change({f"{RUS}.target": target, "parties.TUR.weight": weight})
        live = _pixels(png).astype(int)
        assert np.abs(live - _full_draw(view)).max() <= 8
        title = view.chart.title.get_text()
        assert title.endswith(f"objective {outcome.result.objective:.4g} · in place")
        titles.add(title)
    assert len(titles) >= 3  # the status line did change (the objective is 0 twice)


def test_the_panel_figure_leaves_the_status_line_to_the_panel():
    from cfe_opt.whatif.view import PackageView

    view = PackageView(WhatIf(load_scenario(TWO_PARTY)))
    view.change({"parties.TUR.weight": 5})
    assert view.chart.title.get_text() == "Who concedes what — Two parties and a flank"


def test_banded_png_decodes_to_the_pixels_it_was_given():
    import zlib

    from PIL import Image

    from cfe_opt.whatif.png import BAND, BandedPng, adler32_combine

    rng = np.random.default_rng(7)
    rgba = np.full((5 * BAND + 3, 41, 4), 255, dtype=np.uint8)
    rgba[:, :, :3] = rng.integers(0, 256, size=(5 * BAND + 3, 41, 3))
    encoder = BandedPng()
    for step in range(4):
        if step:  # a few pixels of one band (then of the short last band) change
            rgba[BAND * (step + 1) + step, 3 * step:3 * step + 5, :3] = rng.integers(0, 256, 3)
        png = encoder.encode(rgba)
        with Image.open(io.BytesIO(png)) as image:
            assert image.mode == "RGB" and image.size == (41, 5 * BAND + 3)
            assert np.array_equal(np.asarray(image), rgba[:, :, :3])
        start = png.index(b"IDAT") + 4
        length = int.from_bytes(png[start - 8:start - 4], "big")
        rows = zlib.decompress(png[start:start + length])  # checks the Adler-32 too
        assert len(rows) == (5 * BAND + 3) * (1 + 3 * 41)
        assert zlib.crc32(png[start - 4:start + length]) == int.from_bytes(
            png[start + length:start + length + 4], "big")
    for first, second in ((b"", b"abc"), (b"x" * 70000, b"y" * 123457), (b"\xff" * 9, b"")):
        assert adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second)) == (
            zlib.adler32(first + second))


def test_panel_widgets_drive_the_session(tmp_path):
    from cfe_opt.whatif import panel

    deadlock = tmp_path / "deadlock.yaml"
    shutil.copy(REPO / "tests" / "fixtures" / "report_two_party_deadlock.yaml", deadlock)
    live = panel(deadlock, position="RUS.flank_acv", pins=tmp_path / "pins.yaml",
                 store=tmp_path / "store")
    assert live.status.value == "weighted: no package meets every hard limit · compiled afresh"
    assert set(live.red_lines) == {"RUS.flank_floor", "TUR.flank_cap", "TUR.flank_cap_too"}
    before = live.image.value
    live.red_lines["RUS.flank_floor"].value = False  # Russia's floor off: the two-party case
    assert live.session.settings == {"parties.RUS.red_lines.flank_floor": None}
    assert live.session.last.result.objective == pytest.approx(200 / 300 + 420 / 1380,
                                                               abs=1e-6)
    assert live.image.value != before
    shown = live.image.value
    live.target.value = 600  # below Russia's stated range: refused, said so, nothing changes
    assert live.status.value.startswith("<span style='color:#D55E00'>refused: ")
    assert "target 600 is below the acceptable range's min 1700" in live.status.value
    assert live.image.value == shown and "parties.RUS.positions.flank_acv.target" not in (
        live.session.settings)
    live.target.value = 2000
    live.position.value = "TUR.flank_no_rise"
    assert live.target.value == 1380 and live.edge.disabled  # Turkey states no range
    live.weight.value = 5.0
    assert live.session.settings["parties.TUR.weight"] == 5
    assert live.session.last.result.positions.loc[("RUS", "flank_acv"), "achieved"] == 1380
    live.objective.value = "minimax"
    assert live.status.value.startswith("minimax: objective ")
    name = live.pin()
    assert name == "pin_1" and "pinned as <b>pin_1</b>" in live.pinned.value
    assert live.pin() == "pin_1"  # the same settings are one case
    import cfe_opt.study

    with cfe_opt.study.open(tmp_path / "store") as results:
        rows = results.df(where="pinned = 'pin_1'")
    assert len(rows) == 1 and rows["mode"].iloc[0] == "minimax"
    assert rows["objective"].iloc[0] == pytest.approx(live.session.last.result.objective,
                                                      rel=1e-9)


def test_pins_refuse_a_study_that_is_not_theirs(tmp_path):
    from cfe_opt.whatif.pins import PinError, pin

    other = tmp_path / "other.yaml"
    other.write_text("name: x\nbase: two.yaml\naxes:\n  w:\n    field: parties.TUR.weight\n"
                     "    values: [1, 2]\n", encoding="utf-8")
    with pytest.raises(PinError, match="not a pins study"):
        pin({"parties.TUR.weight": 2}, "weighted", TWO_PARTY, other)
    pins = tmp_path / "pins.yaml"
    assert pin({"parties.TUR.weight": 2}, "weighted", TWO_PARTY, pins, name="heavy") == "heavy"
    with pytest.raises(PinError, match="a pin named 'heavy' exists"):
        pin({"parties.TUR.weight": 3}, "weighted", TWO_PARTY, pins, name="heavy")


def test_bench_whatif_runs(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_whatif",
                                                  REPO / "benchmarks" / "bench_whatif.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--scenario", str(REPO / "tests/fixtures/report_two_party.yaml"),
                        "--changes", "8"]) == 0
    out = capsys.readouterr().out
    assert "change (re-solve + redraw), in place: median" in out
    assert "change needing a compile (red line off, untracked number): median" in out
