"""Why no deal: the minimal conflict set and the smallest concession on hand-built cases."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import make

from cfe_opt.analysis.conflict import conflict_set, conflict_sets
from cfe_opt.cli import main
from cfe_opt.concession import fair_concession, smallest_concession


def flank(extra_red_lines: dict[str, Any] | None = None, tur_cap: int = 1380,
          nor_cap: int = 1500, rus_floor: int = 2000, gre_cap: int | None = None
          ) -> dict[str, Any]:
    """Russia's flank ACV sub-ceiling x: RUS red line x ≥ rus_floor; TUR x ≤ tur_cap; NOR
    x ≤ nor_cap; a fourth red line that does not conflict (x ≥ 0 by GRE, harmless)."""
    tsc = {"of": "territorial_ceiling", "areas": ["RUS.flank"], "categories": ["acv"]}
    parties = {
        "RUS": {"name": "Russia", "categories": [],
                "areas": {"flank": {"territorial_subceiling": {"acv": 1380}}},
                "red_lines": {"floor": {"quantity": tsc, "sense": ">=", "value": rus_floor}}},
        "TUR": {"name": "Turkey", "categories": [],
                "red_lines": {"cap": {"quantity": tsc, "sense": "<=", "value": tur_cap}}},
        "NOR": {"name": "Norway", "categories": [],
                "red_lines": {"cap": {"quantity": tsc, "sense": "<=", "value": nor_cap}}},
        "GRE": {"name": "Greece", "categories": [],
                "red_lines": {"harmless": {"quantity": tsc, "sense": ">=", "value": 0}}},
    }
    if gre_cap is not None:
        parties["GRE"]["red_lines"]["cap"] = {"quantity": tsc, "sense": "<=", "value": gre_cap}
    for party, lines in (extra_red_lines or {}).items():
        parties[party]["red_lines"].update(lines)
    return {"name": "flank", "categories": ["acv"], "parties": parties}


@pytest.mark.parametrize("method", ["highs", "filter"])
def test_minimal_conflict_is_the_tightest_pair(method):
    """x ≥ 2000 against x ≤ 1380 (TUR) and x ≤ 1500 (NOR): both caps conflict with the floor,
    but an IIS is irreducible — the floor with ONE cap. Either pair is minimal; GRE's harmless
    red line never appears."""
    conflict = conflict_set(make(flank()), method=method)
    names = set(conflict.index)
    assert "limit.RUS.floor" in names
    assert len(names) == 2
    assert names - {"limit.RUS.floor"} <= {"limit.TUR.cap", "limit.NOR.cap"}
    assert "limit.GRE.harmless" not in names
    row = conflict.loc["limit.RUS.floor"]
    assert (row.owner, row.kind, row.sense, row.rhs) == ("RUS", "red_line", ">=", 2000)
    assert row.field == "parties.RUS.red_lines.floor.value"


@pytest.mark.parametrize("method", ["highs", "filter"])
def test_conflict_needing_three_limits(method):
    """Russia's flank sub-ceilings: ACVs ≥ 1000, tanks ≥ 600, total ≥ 1500 (three RUS red lines);
    TUR caps the total at 1500. The ACV and tank floors force a total ≥ 1600 > 1500, so
    {ACV floor, tank floor, TUR cap} conflict, and dropping any one of them leaves the rest
    feasible; RUS's total floor (1500) is compatible with everything else. That triple is the
    unique minimal conflict set."""
    tsc = {"of": "territorial_ceiling", "areas": ["RUS.flank"]}
    data = {
        "name": "three", "categories": ["tanks", "acv"],
        "parties": {
            "RUS": {"name": "Russia", "categories": [],
                    "areas": {"flank": {"territorial_subceiling": {"acv": 1380, "tanks": 700}}},
                    "red_lines": {
                        "acv": {"quantity": {**tsc, "categories": ["acv"]}, "sense": ">=",
                                "value": 1000},
                        "tanks": {"quantity": {**tsc, "categories": ["tanks"]}, "sense": ">=",
                                  "value": 600},
                        "total": {"quantity": tsc, "sense": ">=", "value": 1500}}},
            "TUR": {"name": "Turkey", "categories": [],
                    "red_lines": {"total": {"quantity": tsc, "sense": "<=", "value": 1500}}},
        },
    }
    conflict = conflict_set(make(data), method=method)
    assert set(conflict.index) == {"limit.RUS.acv", "limit.RUS.tanks", "limit.TUR.total"}


def test_feasible_scenario_has_no_conflict():
    assert conflict_set(make(flank(rus_floor=1300))).empty


def test_smallest_concession_moves_the_cheapest_limit_by_the_gap():
    """Floor 2000 vs caps 1380 (TUR) and 1500 (NOR): meeting in the middle costs more than
    moving one limit. Options: RUS floor → 1380 (620); or TUR cap → 2000 and NOR cap → 2000
    (620 + 500 = 1120); or RUS → 1500 with TUR → 1500 (500 + 120 = 620) — a tie at 620 between
    the floor alone and floor+TUR... total violation is minimised at 620 either way. Weighting
    RUS ×3, meeting at y costs 3(2000 − y) + (y − 1380) + max(0, y − 1500), which falls all the
    way to y = 2000 (slope −1 above 1500, −2 below): TUR +620 and NOR +500, cost 1120. (With
    ×2 the cost is flat, 1120, for every y in [1500, 2000]: no unique answer.)"""
    concession = smallest_concession(make(flank()))
    assert concession["change"].abs().sum() == pytest.approx(620)
    weighted = smallest_concession(make(flank()), weights={"RUS": 3.0})
    assert dict(weighted["change"]) == pytest.approx({"limit.TUR.cap": 620, "limit.NOR.cap": 500})
    assert weighted.loc["limit.TUR.cap", "relaxed_rhs"] == pytest.approx(2000)
    assert weighted.loc["limit.NOR.cap", "relaxed_rhs"] == pytest.approx(2000)


def test_concession_is_unique_when_one_side_is_cheaper():
    """RUS ×0.5: moving its floor by 620 costs 310, less than anything else: the floor alone
    moves, to 1380."""
    concession = smallest_concession(make(flank()), weights={"RUS": 0.5})
    assert list(concession.index) == ["limit.RUS.floor"]
    assert concession.loc["limit.RUS.floor", "relaxed_rhs"] == pytest.approx(1380)
    assert concession.loc["limit.RUS.floor", "change"] == pytest.approx(-620)


class NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@pytest.mark.parametrize("method", ["highs", "filter"])
def test_every_minimal_conflict_set_is_listed(method):
    """Floor 2,000 against Turkey's cap 1,380 and, separately, Norway's 1,500: two minimal sets,
    both holding Russia's floor (moving it alone resolves both); Greece's harmless floor is in
    neither. The search is complete."""
    found = conflict_sets(make(flank()), method=method)
    sets = [set(found.xs(i, level="set").index) for i in (1, 2)]
    assert sorted(sets, key=sorted) == [{"limit.RUS.floor", "limit.NOR.cap"},
                                        {"limit.RUS.floor", "limit.TUR.cap"}]
    assert found.attrs["in_every_set"] == ["limit.RUS.floor"]
    assert found.attrs["complete"] is True
    assert set(found["unit"]) == {"ACVs"}


def test_one_conflict_set_when_there_is_only_one():
    """Norway's cap at 2,500 does not conflict: Turkey's is the only cap in a conflict."""
    found = conflict_sets(make(flank(nor_cap=2500)))
    assert set(found.index.get_level_values("set")) == {1}
    assert set(found.index.get_level_values("name")) == {"limit.RUS.floor", "limit.TUR.cap"}
    assert conflict_sets(make(flank(rus_floor=1300))).empty


def test_fair_concession_splits_the_moves():
    """Minimax over owners of Σ E: Russia's floor and Turkey's cap must close 620 between
    them, so the level is 310: RUS 2,000 → 1,690 and TUR 1,380 → 1,690; Norway's 1,500 then
    has to move 190 to 1,690 too (the least, with the level held). The cheapest concession
    instead moves the floor alone, by 620."""
    fair = fair_concession(make(flank()))
    assert fair.attrs["level"] == pytest.approx(310)
    assert dict(fair["relaxed_rhs"]) == pytest.approx({"limit.RUS.floor": 1690,
                                                       "limit.TUR.cap": 1690,
                                                       "limit.NOR.cap": 1690})
    assert dict(fair["change"]) == pytest.approx({"limit.RUS.floor": -310,
                                                  "limit.TUR.cap": 310, "limit.NOR.cap": 190})
    assert set(fair["unit"]) == {"ACVs"}


def test_diagnose_command(tmp_path, capsys, models_dir):
    path = models_dir / "deadlock.yaml"
    path.write_text(yaml.dump(flank(), Dumper=NoAliases))
    code = main(["diagnose", str(path), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "2 minimal sets of limits cannot each hold together" in out
    assert "  set 1:\n" in out and "  set 2:\n" in out
    assert "In every set: Russia's red line" in out
    assert "The cheapest concession" in out
    assert "≥ 2,000 → 1,500 (−500 ACVs)" in out  # one of the moves of 620 in all
    assert "A fair split (minimax: no owner moves its numbers by more than 310" in out
    assert "Turkey's red line 'cap': ≤ 1,380 → 1,690 (+310 ACVs)" in out
    conflict = (tmp_path / "out" / "conflict.csv").read_text().splitlines()
    assert conflict[0] == "set,name,owner,kind,family,label,sense,rhs,field,unit"
    assert {line.split(",")[0] for line in conflict[1:]} == {"1", "2"}
    assert (tmp_path / "out" / "concession.csv").is_file()
    assert (tmp_path / "out" / "concession_fair.csv").is_file()
    code = main(["diagnose", str(path), "--out", str(tmp_path / "out"), "--weight", "RUS=2"])
    assert code == 1
    code = main(["diagnose", str(path), "--weight", "XYZ=2"])
    assert code == 2 and "XYZ is not a party" in capsys.readouterr().err
    code = main(["diagnose", str(path), "--weight", "RUS=-1"])
    assert code == 2 and "positive number" in capsys.readouterr().err
