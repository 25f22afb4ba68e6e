"""cfe-opt study diff: two stores of one study design, before and after a change of the base.

Store A is the report tests' study (tests/report_support.py); store B the same study with
Turkey's two caps raised to 1,950. By hand:
* the 8 positions_only variants remove both caps, so A and B are the same scenario: same;
* red_lines with Russia's floor 1,380 (4): Russia's sub-ceiling goes to the cap (Turkey's
  weight, at most 2, costs 2/1,380 per unit, less than Russia's 1/300): 1,800 in A, 1,950 in
  B — the outcome moves by 150;
* red_lines with the floor 1,900 (4): no package in A (1,900 > the caps), one in B (1,900 ≤ v ≤
  1,950): infeasible → optimal.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cfe_opt.study
from cfe_opt.cli import main
from cfe_opt.study.diff import diff_stores
from tests.report_support import STUDY, study_store


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    return (study_store(tmp_path_factory.mktemp("a")),
            study_store(tmp_path_factory.mktemp("b"), caps=(1950, 1950)))


def test_diff_finds_the_hand_derived_changes(stores):
    a, b = stores
    with cfe_opt.study.open(a) as ra, cfe_opt.study.open(b) as rb:
        found = diff_stores(ra, rb)
    assert dict(found.counts) == {"same": 8, "outcome": 4, "status": 4}
    assert found.transitions[("infeasible", "optimal")] == 4
    assert found.matched == 16
    status = found.table[found.table["change"] == "status"]
    assert set(status["rus_floor"]) == {1900} and set(status["flank_caps"]) == {"red_lines"}
    outcome = found.table[found.table["change"] == "outcome"]
    assert set(outcome["rus_floor"]) == {1380}
    assert (outcome["largest change"].abs() == 150).all()
    assert found.text().splitlines()[1] == "4 changed status: 4 infeasible → optimal."


def test_a_store_against_itself_is_the_same(stores):
    a, _ = stores
    with cfe_opt.study.open(a) as ra:
        found = diff_stores(ra, ra)
    assert dict(found.counts) == {"same": 16} and found.table.empty


def test_tolerance_hides_small_moves(stores):
    a, b = stores
    with cfe_opt.study.open(a) as ra, cfe_opt.study.open(b) as rb:
        found = diff_stores(ra, rb, tolerance=1.0)  # 150 < 1.0 × 1,800
    assert dict(found.counts) == {"same": 12, "status": 4}


def test_command_writes_a_set_and_its_report(stores, tmp_path, capsys):
    a, b = stores
    out = tmp_path / "diff"
    assert main(["study", "diff", str(a), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 changed status: 4 infeasible → optimal." in printed
    assert sorted(p.name for p in out.iterdir()) == ["diff.csv", "diff.png",
                                                     "diff_summary.csv", "run.json"]
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "study diff"
    assert record["resolved"]["stores"]["A"]["fingerprint"] == cfe_opt.study.open(
        a).manifest["fingerprint"]
    summary = pd.read_csv(out / "diff_summary.csv")
    assert summary.query("what == 'change' and `from` == 'status'")["variants"].item() == 4
    assert main(["report", str(out), "--out", str(tmp_path / "diff.html")]) == 0
    page = (tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "What changed between the two stores" in page
    assert "4 changed status: 4 infeasible → optimal." in page
    assert page.count("data:image/png;base64,") == 1


def test_different_designs_are_refused(stores, tmp_path, capsys):
    a, _ = stores
    other = study_store(tmp_path / "other", study_text=STUDY.replace(
        "    values: [1380, 1900]\n", "    values: [1380, 1900]\n  rus_target:\n    field: "
        "parties.RUS.positions.flank_acv.target\n    values: [2000]\n"))
    code = main(["study", "diff", str(a), str(other), "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not the same design (columns only in A: none; only in B: rus_target)" in err
    assert not (tmp_path / "d").exists()
    code = main(["study", "diff", str(a), str(a), "--tolerance", "-1", "--out",
                 str(tmp_path / "d")])
    assert code == 2 and "--tolerance must be" in capsys.readouterr().err
