"""Field paths: defaults can be set, wrong segments are named with the nearest name."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfe_opt.errors import ScenarioError
from cfe_opt.scenario import load_scenario, with_changes
from cfe_opt.scenario.paths import MISSING, PathError, check_path, effective_value

# the talks file as it was before issue 7 rebuilt it (a frozen fixture: these tests are about
# field paths, not about the talks)
TALKS = (Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "talks_1998_before_issue_7"
         / "talks_1998.yaml")


@pytest.fixture(scope="module")
def talks():
    return load_scenario(TALKS)


def test_a_party_weight_left_at_its_default_can_be_set(talks):
    assert "weight" not in talks.data["parties"]["TUR"]
    variant = with_changes(talks, {"parties.TUR.weight": 2.5})
    assert variant.spec.parties["TUR"].weight == 2.5
    assert talks.spec.parties["TUR"].weight == 1  # the base is untouched


def test_a_position_weight_and_an_absent_range_can_be_set(talks):
    variant = with_changes(talks, {"parties.RUS.positions.flank_acv.weight": 3,
                                   "parties.RUS.positions.flank_acv.range.min": 1500})
    position = variant.spec.parties["RUS"].positions["flank_acv"]
    assert position.weight == 3
    assert position.range.min == 1500 and position.range.max is None


def test_a_default_settings_field_can_be_set(talks):
    variant = with_changes(talks, {"settings.tie_break": "none"})
    assert variant.spec.settings.tie_break == "none"


def test_a_figure_keeps_its_provenance(talks):
    variant = with_changes(talks, {"parties.NATO_OTHERS.holdings.tanks": 15000})
    assert variant.data["parties"]["NATO_OTHERS"]["holdings"]["tanks"] == {
        "value": 15000, "source": "aca_endgame",
        "confidence": "DERIVED: 16,540 (NATO-19, 1 Jan 1999) - 846 (USA)"}
    same = with_changes(talks, {"parties.NATO_OTHERS.holdings.tanks.value": 15000})
    assert same.sha256 == variant.sha256


def test_null_removes_a_limit(talks):
    variant = with_changes(talks, {"limits.sufficiency_usa": None})
    assert list(variant.spec.limits) == ["no_increase_nato", "poland_freeze"]


@pytest.mark.parametrize(("path", "reason"), [
    ("parties.RUSS.weight", "no 'RUSS' in parties (did you mean 'RUS'?)"),
    ("parties.RUS.wieght", "'parties.RUS' has no field 'wieght' (did you mean 'weight'?)"),
    ("parties.RUS.positions.flank_ac.target",
     "no 'flank_ac' in parties.RUS.positions (did you mean 'flank_acv'?)"),
    ("parties.RUS.positions.flank_acv.target.x",
     "'parties.RUS.positions.flank_acv.target' is a single value; it has no field 'x'"),
    ("limitz.sufficiency_usa.value", "'the scenario' has no field 'limitz' (did you mean "
                                     "'limits'?)"),
    ("parties.POL.red_lines.x.value", "no 'x' in parties.POL.red_lines (parties.POL.red_lines "
                                      "is empty)"),
    ("parties..weight", "'parties..weight' has an empty segment"),
])
def test_a_wrong_path_names_the_wrong_segment(talks, path, reason):
    with pytest.raises(PathError) as caught:
        check_path(talks.data, path)
    assert str(caught.value) == reason
    with pytest.raises(ScenarioError) as caught:
        with_changes(talks, {path: 1})
    assert str(caught.value) == f"{talks.display}: {path}: {reason}"


def test_effective_values(talks):
    assert effective_value(talks.data, talks.spec, "parties.TUR.weight") == 1
    assert effective_value(talks.data, talks.spec, "parties.USA.holdings.tanks") == 846
    assert effective_value(talks.data, talks.spec, "limits.sufficiency_usa.values.acv") == 20000
    assert effective_value(talks.data, talks.spec, "settings.tie_break") == "status_quo"
    assert effective_value(talks.data, talks.spec, "parties.USA.holdings.tanks") == 846
    assert effective_value(talks.data, talks.spec,
                           "parties.USA.holdings.attack_helicopters") is MISSING


def test_field_kinds(talks):
    assert check_path(talks.data, "parties.USA.holdings.tanks").integer
    assert check_path(talks.data, "limits.sufficiency_usa.values.acv.value").integer
    weight = check_path(talks.data, "parties.TUR.weight")
    assert weight.numeric and not weight.integer
    assert not check_path(talks.data, "settings.tie_break").numeric
