"""Valid but unusual scenarios run to the end; reserved names are refused with their field."""

from __future__ import annotations

import pytest
import yaml
from conftest import make, solve_checked

from cfe_opt.cli import main
from cfe_opt.errors import ScenarioErrors


def one(**extra) -> dict:
    data = {"name": "edge", "categories": ["tanks"], "parties": {
        "AAA": {"name": "A", "holdings": {"tanks": 100},
                "areas": {"north": {"holdings": {"tanks": 40},
                                    "territorial_subceiling": {"tanks": 60}}}},
        "BBB": {"name": "B", "holdings": {"tanks": 50}}}}
    data.update(extra)
    return data


@pytest.mark.parametrize(("change", "field", "phrase"), [
    (lambda d: d["parties"]["AAA"]["areas"].update({"total": {}}), "parties.AAA.areas.total",
     "'total' is reserved"),
    (lambda d: d.update(limits={"AAA": {"quantity": {"of": "holdings"}, "sense": "<=",
                                        "value": 500}}), "limits.AAA", "is a party code"),
    (lambda d: d["parties"].update(treaty={"name": "T", "categories": []}), "parties.treaty",
     "is reserved"),
])
def test_reserved_names(change, field, phrase):
    data = one()
    change(data)
    with pytest.raises(ScenarioErrors) as info:
        make(data)
    assert f"{field}: " in str(info.value) and phrase in str(info.value)


def test_freeze_of_an_area_alone():
    """Freezing AAA.north's sub-ceiling (60) needs no party list and no territorial ceiling."""
    data = one(limits={"f": {"type": "freeze", "of": "territorial_ceiling",
                             "areas": ["AAA.north"]}})
    data["parties"]["AAA"]["positions"] = {"more_north": {
        "quantity": {"of": "territorial_ceiling", "areas": ["AAA.north"]},
        "direction": "at_least", "target": 80}}
    result = solve_checked(data)
    assert result.allocation.loc[("AAA", "north", "tanks"), "territorial_subceiling"] == 60


def test_freeze_of_a_party_without_the_figure_is_refused():
    data = one(limits={"f": {"type": "freeze", "of": "territorial_ceiling", "parties": ["AAA"],
                             "areas": ["AAA.north"]}})
    with pytest.raises(ScenarioErrors, match="'AAA' has no current territorial_ceiling"):
        make(data)


def test_no_equipment_anywhere(tmp_path, capsys):
    """Parties taking part only through positions on sub-ceilings: solves, summary prints."""
    data = {"name": "ceilings only", "categories": ["acv"], "parties": {
        "RUS": {"name": "R", "categories": [],
                "areas": {"flank": {"territorial_subceiling": {"acv": 1380}}},
                "positions": {"up": {"quantity": {"of": "territorial_ceiling",
                                                  "areas": ["RUS.flank"]},
                                     "direction": "at_least", "target": 2000}}},
        "TUR": {"name": "T", "categories": [],
                "positions": {"down": {"quantity": {"of": "territorial_ceiling",
                                                    "areas": ["RUS.flank"]},
                                       "direction": "at_most", "target": 1380}}}}}
    path = tmp_path / "models" / "c.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data))
    assert main(["solve", str(path), "--out", str(tmp_path / "o")]) == 0
    assert "Who concedes what" in capsys.readouterr().out
    assert main(["sweep", str(path), "--vary", "parties.TUR.positions.down.target=1000:1400:200",
                 "--out", str(tmp_path / "s")]) == 0


def test_sweep_with_no_positions(tmp_path, capsys):
    path = tmp_path / "models" / "np.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(one()))
    assert main(["sweep", str(path), "--vary", "parties.AAA.holdings.tanks=100:120:10",
                 "--out", str(tmp_path / "s")]) == 0
    assert "nobody concedes anything" in capsys.readouterr().out


def test_alternatives_share_must_be_finite(tmp_path, capsys):
    path = tmp_path / "models" / "a.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(one()))
    assert main(["alternatives", str(path), "--share", "inf"]) == 2
    assert "--share a number" in capsys.readouterr().err


def test_line_breaks_never_split_an_error(tmp_path, capsys):
    path = tmp_path / "models" / "nl.yaml"
    path.parent.mkdir()
    path.write_text('name: x\nparties:\n  "A\\nB": {name: a, holdings: {tanks: 1}}\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "A\\nB" in err


def test_reciprocity_share_of_nothing_is_refused_at_validation(tmp_path, capsys):
    data = one(limits={"r": {"type": "reciprocity",
                             "subject": {"of": "holdings", "parties": ["AAA"]},
                             "reference": {"of": "equipment", "areas": ["BBB"],
                                           "status": "storage"}}})
    path = tmp_path / "models" / "r.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", str(path)]) == 2
    assert "limits.r.reference: its current value is 0, so a cut share is undefined" in \
        capsys.readouterr().err
