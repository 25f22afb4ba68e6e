"""The analysis commands write their tables and figures and print the answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cfe_opt.cli import main
from cfe_opt.outputs import read_record

MODELS = Path(__file__).resolve().parent.parent / "models"
TALKS = MODELS / "talks_1998.yaml"


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_frontier_command(tmp_path, capsys):
    code, out, err = run(["frontier", TALKS, "RUS", "TUR+NOR", "--out", tmp_path], capsys)
    assert code == 0, err
    frontier = pd.read_csv(tmp_path / "frontier.csv", index_col="point")
    # RUS alone satisfied: the position TUR holds jointly with NOR (counted once for the side)
    # concedes 1420/580; TUR+NOR satisfied: RUS concedes 1420/2000
    assert frontier.loc[0].tolist() == pytest.approx([0, 1420 / 580], abs=1e-6)
    assert frontier.loc[1].tolist() == pytest.approx([0.71, 0], abs=1e-6)
    assert (tmp_path / "frontier_modes.csv").is_file()
    assert (tmp_path / "frontier.png").read_bytes()[:4] == b"\x89PNG"
    assert "minimax" in out


def test_zopa_command_one_and_two_quantities(tmp_path, capsys):
    code, _, err = run(["zopa", MODELS / "talks_1998_flank_deadlock.yaml",
                        "RUS.flank_acv_active", "--out", tmp_path], capsys)
    assert code == 1
    assert "no package meets every hard limit" in err and "cfe-opt diagnose" in err
    code, out, err = run(["zopa", TALKS, "{of: territorial_ceiling, parties: [POL], categories: "
                          "[tanks]}", "{of: temporary_deployment, parties: [POL], categories: "
                          "[tanks], kinds: [basic]}", "--out", tmp_path], capsys)
    assert code == 0, err
    region = pd.read_csv(tmp_path / "zopa_region.csv", index_col="vertex")
    # Poland's TC cannot rise (1,730), its basic deployment ≤ 153, Russia's proviso TC + TD ≤
    # 1,730: vertices (0,0), (1730,0), (1577,153), (0,153)
    assert region[["x", "y"]].values.tolist() == [[0, 0], [1730, 0], [1577, 153], [0, 153]]
    assert (tmp_path / "zopa.png").is_file()
    assert "Allowed by every hard limit: a polygon of 4 vertices" in out
    code, _, err = run(["zopa", TALKS, "[1, 2]"], capsys)
    assert code == 2 and "PARTY.position or a mapping" in err


def test_bargain_command(tmp_path, capsys):
    code, out, err = run(["bargain", TALKS, "--parties", "RUS+TUR+NOR", "--out",
                          tmp_path / "joint"], capsys)
    assert code == 0, err
    table = pd.read_csv(tmp_path / "joint" / "bargaining.csv").set_index(["party", "solution"])
    # utilitarian: the joint Turkish-Norwegian position (1/580 a unit) beats Russia (1/2000);
    # Norway holds only that position, so Turkey + Norway is one side (tests/test_bargaining.py)
    assert sorted(table.index.unique("party")) == ["RUS", "TUR+NOR"]
    assert table.loc[("RUS", "utilitarian"), "deviation"] == pytest.approx(0.71, abs=1e-6)
    assert table.loc[("TUR+NOR", "utilitarian"), "deviation"] == pytest.approx(0, abs=1e-6)
    assert "Nash: Σ log gains within" in out
    assert "Turkey + Norway bargain as one side: they hold the same positions" in out
    assert (tmp_path / "joint" / "bargaining.png").is_file()
    record = read_record(tmp_path / "joint")
    assert record is not None
    assert record["resolved"]["bargaining_sides"] == {"RUS": ["RUS"], "TUR+NOR": ["TUR", "NOR"]}
    assert record["resolved"]["separate_holders"] is False
    code, out, err = run(["bargain", TALKS, "--parties", "RUS+TUR+NOR", "--separate-holders",
                          "--out", tmp_path / "apart"], capsys)
    assert code == 0, err
    apart = pd.read_csv(tmp_path / "apart" / "bargaining.csv").set_index(["party", "solution"])
    assert sorted(apart.index.unique("party")) == ["NOR", "RUS", "TUR"]
    assert "bargain as one side" not in out
    code, _, err = run(["bargain", TALKS, "--nash-tolerance", "0"], capsys)
    assert code == 2 and "positive" in err


def test_alternatives_command(tmp_path, capsys):
    code, out, err = run(["alternatives", TALKS, "-k", "3", "--share", "0.2", "--out",
                          tmp_path], capsys)
    assert code == 0, err
    summary = pd.read_csv(tmp_path / "alternatives.csv", index_col="package")
    optimum = 0.71 + 26 / 1935 + 57.3 / 861.3 + 104.3 / 1230.3 + 63.3 / 690.3
    assert summary.loc[0, "objective"] == pytest.approx(optimum, abs=1e-6)
    assert (summary["objective"] <= optimum * 1.2 + 1e-6).all()
    positions = pd.read_csv(tmp_path / "alternatives_positions.csv")
    assert set(positions["package"]) == set(summary.index)
    assert "Near-optimal packages" in out
    code, _, err = run(["alternatives", TALKS, "-k", "0"], capsys)
    assert code == 2 and "-k must be at least 1" in err
