"""The command line: outputs, exit codes, atomic files, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cfe_opt.check import check, read_solution
from cfe_opt.cli import main
from cfe_opt.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TALKS = ROOT / "models" / "talks_1998.yaml"
BASE = ["--case", "base"]  # the talks file as written (it lists five cases)
DEADLOCK = ROOT / "models" / "talks_1998_flank_deadlock.yaml"
# talks_1998, weighted: Russia's shortfall 1,420/2,000 on the flank, Poland's ACV 26/1,935 and
# the Czech Republic's three 57.3/861.3 + 104.3/1,230.3 + 63.3/690.3 beyond their floors
# (docs/talks-1998-model.md §6.5)
WEIGHTED = 0.71 + 26 / 1935 + 57.3 / 861.3 + 104.3 / 1230.3 + 63.3 / 690.3


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_solve_writes_every_table_and_a_summary(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(["solve", TALKS, *BASE, "--out", out, "--write-model"], capsys)
    assert code == 0, stderr
    assert "Who concedes what" in stdout
    assert "all " in stdout and "hard limits hold" in stdout
    for name in ("summary.json", "allocation.csv", "equipment.csv", "positions.csv",
                 "constraints.csv", "model.mps"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective_mode"] == "weighted"
    assert summary["objective_value"] == pytest.approx(WEIGHTED, abs=1e-6)
    assert summary["scenario"]["case"] == "base"
    assert summary["as_of"] == "1998-12-21"
    assert len(summary["later_stand_ins"]) == 12  # the Czech figures (design §2.2)
    assert summary["outcomes"]["flank_acv_active"] == 580
    assert summary["solver"] == "HiGHS" and summary["solver_version"].startswith("HiGHS")
    assert len(summary["scenario"]["sha256"]) == 64
    assert summary["check"]["ok"] is True
    assert summary["build_seconds"] >= 0 and summary["solve_seconds"] >= 0
    assert [s["name"] for s in summary["stages"]] == ["weighted", "tie_break_holdings",
                                                      "tie_break_ceilings", "tie_break_unique"]
    constraints = pd.read_csv(out / "constraints.csv")
    assert list(constraints.columns[:12]) == ["name", "family", "owner", "kind", "label", "lhs",
                                              "sense", "rhs", "unit", "slack", "shadow_price",
                                              "binding"]
    allocation = pd.read_csv(out / "allocation.csv")
    assert list(allocation.columns[:3]) == ["party", "area", "category"]
    positions = pd.read_csv(out / "positions.csv")
    for column in ("target", "achieved", "deviation", "normalised_deviation"):
        assert column in positions.columns
    assert "ROWS" in (out / "model.mps").read_text()
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_written_solution_passes_the_checker_from_csv(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["solve", TALKS, *BASE, "--out", out, "--quiet"], capsys)[0] == 0
    code, stdout, _ = run(["check", TALKS, "--solution", out], capsys)  # case from summary
    assert code == 0 and "hard limits hold" in stdout


def test_checker_catches_a_tampered_solution(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["solve", TALKS, *BASE, "--out", out, "--quiet"], capsys)[0] == 0
    allocation, equipment = (frame.sort_index() for frame in read_solution(out))
    talks = load_scenario(TALKS, case="base")
    # Russia's total flank ACV sub-ceiling raised to 2,000: Turkey's position (on the active
    # part) is soft, so that alone breaks no hard limit...
    allocation.loc[("RUS", "flank", "acv"), "territorial_subceiling"] = 2000
    assert check(talks, allocation, equipment).ok
    # ...but Poland's territorial ceiling above its frozen 1,730 breaks Poland's commitment,
    # the cut by form (TC⁰ − TC = the cuts) and Russia's proviso (TC + basic TD ≤ 1,730)
    allocation.loc[("POL", "total", "tanks"), "territorial_ceiling"] = 1800
    failed = {v.limit for v in check(talks, allocation, equipment).violations}
    assert {"limits.us_approach_freeze_pol", "cut_by_form", "limits.russia_proviso_pol"} <= (
        failed)
    # and five more active ACVs in Russia's flank area break the accounting and both flank
    # sub-ceilings (the total 2,000 above still holds them: not that one)
    equipment.loc[("RUS", "RUS", "flank", "acv", "active"), "after"] += 5
    failed = {v.limit for v in check(talks, allocation, equipment).violations}
    assert {"location_balance", "active_subceiling"} <= failed


def test_infeasible_scenario_exits_1_and_names_the_concession(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(["solve", DEADLOCK, "--out", out], capsys)
    assert code == 1
    assert "no feasible option" in stderr
    assert "Russia's red line" in stdout and "≥ 2,000 → 580 (−1,420 ACVs)" in stdout
    concession = pd.read_csv(out / "concession.csv")
    assert list(concession["name"]) == ["limit.RUS.flank_acv_active_floor"]
    assert json.loads((out / "summary.json").read_text())["status"] == "infeasible"


def test_validate_and_version_and_help(capsys):
    code, stdout, _ = run(["validate", TALKS], capsys)
    assert code == 0 and "valid" in stdout and "16 parties" in stdout and "5 cases" in stdout
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("cfe-opt ")
    with pytest.raises(SystemExit) as exc:
        main(["solve", "--help"])
    assert exc.value.code == 0
    assert "--objective" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["solve", str(TALKS), "--objective", "utopian"])
    assert exc.value.code == 2
    code, _, stderr = run(["solve", "no/such/file.yaml"], capsys)
    assert code == 2 and "no/such/file.yaml" in stderr and "cannot read" in stderr
    assert "Traceback" not in stderr


def test_same_input_gives_byte_identical_tables(tmp_path, capsys):
    for name in ("a", "b"):
        assert run(["solve", TALKS, *BASE, "--out", tmp_path / name, "--objective", "minimax",
                    "--quiet"], capsys)[0] == 0
    for table in ("allocation.csv", "equipment.csv", "positions.csv", "constraints.csv"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes()


def test_integer_flag_says_there_are_no_shadow_prices(tmp_path, capsys):
    code, stdout, _ = run(["solve", TALKS, *BASE, "--out", tmp_path, "--integer"], capsys)
    assert code == 0
    assert "no shadow prices" in stdout
    assert json.loads((tmp_path / "summary.json").read_text())["shadow_prices"] is False


def test_console_script_runs_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "cfe_opt", "validate", str(TALKS)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nparties: {A: {name: a, holdings: {tanks: -1}}}\n")
    proc = subprocess.run([sys.executable, "-m", "cfe_opt", "validate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "parties.A.holdings.tanks" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_time_limit_never_passes_for_optimal(tmp_path, capsys):
    """A solve stopped by its time limit is not an optimum: status not_solved, exit 3."""
    from cfe_opt import solve as api_solve

    result = api_solve(load_scenario(TALKS), time_limit=1e-9)
    assert not result.optimal and result.allocation is None
    code, stdout, stderr = run(["solve", TALKS, *BASE, "--out", tmp_path, "--time-limit",
                                "1e-9"], capsys)
    assert code == 3 and "not_solved" in stderr
    assert "stopped before proving an optimum" in stdout
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "not_solved"
    with pytest.raises(SystemExit):
        main(["solve", str(TALKS), "--time-limit", "-1"])
    assert "not a positive number of seconds" in capsys.readouterr().err


def current_umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_outputs_of_an_earlier_run_do_not_linger(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["solve", TALKS, *BASE, "--out", out, "--quiet"], capsys)[0] == 0
    assert (out / "allocation.csv").exists()
    assert (out / "allocation.csv").stat().st_mode & 0o444 == 0o444 & ~current_umask()
    assert run(["solve", DEADLOCK, "--out", out, "--quiet"], capsys)[0] == 1
    assert not (out / "allocation.csv").exists() and (out / "concession.csv").exists()


def test_solve_without_case_solves_every_case_side_by_side(tmp_path, capsys):
    """The talks file lists five cases: each is solved into OUT/<case>/ and cases.csv puts
    them side by side (hand values: docs/talks-1998-model.md §6.5, §6.7)."""
    out = tmp_path / "out"
    code, stdout, stderr = run(["solve", TALKS, "--out", out], capsys)
    assert code == 0, stderr
    cases = pd.read_csv(out / "cases" / "cases.csv").set_index("case")
    assert list(cases.index) == ["base", "not_durable", "crf_unsolved", "etd_accepted",
                                 "etd_refused"]
    assert (cases["status"] == "optimal").all()
    assert cases.at["crf_unsolved", "flank_tanks_total"] == pytest.approx(1800)
    assert cases.at["etd_refused", "poland_tc_tanks"] == pytest.approx(1730 - 459)
    for case in cases.index:
        assert json.loads((out / case / "summary.json").read_text())["check"]["ok"]
    assert "Case etd_refused:" in stdout and "Cases side by side" in stdout
