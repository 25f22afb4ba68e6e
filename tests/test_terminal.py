"""What the analyst reads at the terminal and in positions.csv: the answer first (who concedes
what, in units), "in range" only where a range is stated, every ceiling that moves (areas
included) apart from the figures set where there was none, the tie-break stages out of the
headline, rows where nothing happens hidden unless asked, one number format, one header line
per table."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import make

from cfe_opt import solve
from cfe_opt.cli import main

MODELS = Path(__file__).resolve().parent.parent / "models"
# what the analyst reads is tested on the frozen pre-issue-7 talks files (hand-derived there)
FROZEN = Path(__file__).resolve().parent / "fixtures" / "talks_1998_before_issue_7"
TALKS = FROZEN / "talks_1998.yaml"
ETD = FROZEN / "talks_1998_etd.yaml"
DEADLOCK = FROZEN / "talks_1998_flank_deadlock.yaml"


def run(argv, capsys) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().out


def pushed(limit: int, range_max: int | None) -> dict:
    """A wants its holdings (80 tanks, may rise) at most 100, accepting up to ``range_max``; a
    treaty rule makes them at least ``limit``."""
    position = {"quantity": {"of": "holdings", "parties": ["AAA"], "categories": ["tanks"]},
                "direction": "at_most", "target": 100}
    if range_max is not None:
        position["range"] = {"max": range_max}
    return {"name": "pushed", "categories": ["tanks"],
            "settings": {"holdings_may_rise": True},
            "parties": {"AAA": {"name": "Aland", "holdings": {"tanks": 80},
                                "positions": {"keep": position}}},
            "limits": {"floor": {"quantity": {"of": "holdings", "parties": ["AAA"],
                                              "categories": ["tanks"]},
                                 "sense": ">=", "value": limit}}}


# ---- in range ---------------------------------------------------------------------------------
def test_in_range_only_where_a_range_is_stated(tmp_path, capsys):
    """Russia is 620 ACVs short of its 2,000 and states no range: "no range stated", an empty
    field, never true. In the ETD variant Russia's central-Europe tanks (1,730) lie inside its
    stated range ..1,883: true."""
    result = solve(TALKS)
    assert pd.isna(result.positions.at[("RUS", "flank_acv"), "within_range"])
    code, out = run(["solve", TALKS, "--out", tmp_path / "a"], capsys)
    assert code == 0
    line = next(ln for ln in out.splitlines() if "flank_acv " in ln and "Russia" in ln)
    assert line.rstrip().endswith("no range stated")
    written = pd.read_csv(tmp_path / "a" / "positions.csv", keep_default_na=False)
    row = written[(written["party"] == "RUS") & (written["position"] == "flank_acv")]
    assert row["within_range"].iloc[0] == ""  # empty, not True
    etd = solve(ETD).positions
    assert etd.at[("RUS", "central_europe_permitted_tanks"), "within_range"] == True  # noqa: E712
    code, out = run(["solve", ETD, "--all", "--out", tmp_path / "b"], capsys)
    assert "inside its range ..1,883" in out


def test_outside_a_stated_range_is_said_so(capsys, tmp_path):
    """The rule forces 120 tanks: A's at_most 100 is missed by 20, outside its range ..110."""
    result = solve(make(pushed(120, 110)))
    assert result.positions.at[("AAA", "keep"), "within_range"] == False  # noqa: E712
    assert solve(make(pushed(105, 110))).positions.at[("AAA", "keep"), "within_range"]


# ---- what changes ---------------------------------------------------------------------------
def test_every_ceiling_that_moves_is_listed_areas_included(tmp_path, capsys):
    """Minimax moves Russia's flank ACV sub-ceiling 1,380 → 1,633.14 (an area row); NATO_OTHERS'
    territorial ceilings have no current figure: they are set (16,540 …), not "changed from —";
    nothing of the tie-break's stages is in the headline."""
    code, out = run(["solve", TALKS, "--objective", "minimax", "--out", tmp_path], capsys)
    assert code == 0
    changes = out.split("What changes")[1].split("Figures set where there was none")[0]
    lines = [ln.split() for ln in changes.splitlines()]
    assert ["Russia", "flank", "ACVs", "territorial", "sub-ceiling", "1,380", "1,633.14",
            "253.14"] in lines
    assert ["United", "States", "total", "tanks", "national", "ceiling", "4,006", "1,812",
            "-2,194"] in lines
    assert "—" not in out and "16,540" not in changes
    filled = out.split("Figures set where there was none")[1].split("Binding hard limits")[0]
    assert ["NATO-19", "except", "the", "United", "States", "total", "tanks", "territorial",
            "ceiling", "16,540"] in [ln.split() for ln in filled.splitlines()]
    headline = out.split("What changes")[0]
    assert "tie_break" not in headline
    assert "Stages    minimax 0.1834 · weighted 0.5503" in headline


# ---- terminal output --------------------------------------------------------------------------
def test_solve_leads_with_the_answer_and_hides_what_is_met(tmp_path, capsys):
    code, out = run(["solve", TALKS, "--out", tmp_path / "a"], capsys)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert lines[0].startswith("Scenario")
    assert lines[1] == "Who concedes what (in the positions' own units)"
    assert lines[3].split() == ["Russia", "flank_acv", "620", "ACVs", "short:", "1,380",
                                "against", "at", "least", "2,000", "0.31", "no", "range",
                                "stated"]
    assert "nc_tanks" not in out  # met: hidden
    assert "Every other position is met (14; --all lists them)." in out
    code, full = run(["solve", TALKS, "--all", "--out", tmp_path / "b"], capsys)
    assert code == 0
    assert "met: 1,812 tanks" in full and "nc_tanks" in full


NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*\.\d+(?![\w.])")


def _one_format(text: str) -> list[str]:
    """Numbers not in the one format: from 10 up at most 2 decimals, below 4 significant."""
    bad = []
    for token in NUMBER.findall(text):
        whole, decimals = token.lstrip("-").replace(",", "").split(".")
        large = int(whole) >= 10
        if (large and len(decimals) > 2) or (
                not large and len((whole + decimals).lstrip("0")) > 4):
            bad.append(token)
    return bad


@pytest.mark.parametrize("argv", [
    ["solve", TALKS, "--objective", "minimax"], ["solve", ETD, "--all"],
    ["diagnose", DEADLOCK], ["prices", ETD],
    ["sweep", TALKS, "--vary", "parties.RUS.positions.flank_acv.target=1000:2600:400",
     "--objective", "minimax"],
    ["frontier", TALKS, "RUS", "TUR+NOR"], ["zopa", TALKS, "RUS.flank_acv"],
    ["bargain", TALKS], ["alternatives", TALKS, "-k", "2"],
])
def test_one_number_format_and_one_header_line(argv, tmp_path, capsys):
    """Every number printed in the one format (1,633.14; 0.1834; 0.006536), and no table with
    pandas' extra header line of index names."""
    code, out = run([*argv, "--out", tmp_path], capsys)
    assert code in (0, 1)
    assert _one_format(out) == []
    for line in out.splitlines():
        words = line.split()
        assert words not in (["party", "position"], ["party"], ["name"], ["value"],
                             ["package"], ["solution"], ["point"], ["objective"],
                             ["quantity"], ["limit"], ["item"]), line
        assert not re.fullmatch(r"\s*(party|name|value|limit)\s*", line)


# ---- packages and zones in the terminal -------------------------------------------------------
def test_analyses_print_the_package_in_units(tmp_path, capsys):
    """Kalai–Smorodinsky gives Russia 1,690 flank ACVs (no working out by hand); the frontier's
    ends are 2,000 and 1,380; the alternatives 1,380 and 1,412.66."""
    code, out = run(["bargain", TALKS, "--out", tmp_path / "b"], capsys)
    assert code == 0
    rows = [ln.split() for ln in out.splitlines()]
    assert ["solution", "Russia:", "flank_acv", "(ACVs)"] in rows
    assert ["Kalai–Smorodinsky", "1,690"] in rows and ["utilitarian", "1,380"] in rows
    code, out = run(["frontier", TALKS, "RUS", "TUR+NOR", "--out", tmp_path / "f"], capsys)
    rows = [ln.split() for ln in out.splitlines()]
    assert ["0", "2,000"] in rows and ["1", "1,380"] in rows and ["minimax", "1,633.14"] in rows
    code, out = run(["alternatives", TALKS, "-k", "4", "--out", tmp_path / "a"], capsys)
    rows = [ln.split() for ln in out.splitlines()]
    assert ["0", "1,380"] in rows and ["1", "1,412.66"] in rows


def test_zopa_prints_the_zone_and_the_clash(tmp_path, capsys, models_dir):
    import shutil

    shutil.copytree(FROZEN, models_dir, dirs_exist_ok=True)
    (models_dir / "clash.yaml").write_text(
        "name: clash\nextends: talks_1998.yaml\nparties:\n"
        "  RUS: {positions: {flank_acv: {range: {min: 1700}}}}\n"
        "  TUR: {positions: {flank_acv_no_rise: {range: {max: 1600}}}}\n")
    code, out = run(["zopa", models_dir / "clash.yaml", "RUS.flank_acv", "--out",
                     tmp_path / "z"], capsys)
    assert code == 0
    assert "hard limits only           0 .. ∞" in out
    assert "inside every stated range  none: the ranges clash" in out
    assert ("Russia's minimum 1,700 (flank_acv) against Turkey's maximum 1,600 "
            "(flank_acv_no_rise): 100 ACVs apart") in out
    assert "The smallest widening that opens a zone (100 ACVs in all)" in out
