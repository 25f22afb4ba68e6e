"""A change by field path that names no field fails loudly, in one line, before anything is
compiled: ``check_changes`` (the README's in-place example) and every ``WhatIf`` call. The
message names the file, the path, the wrong segment and the nearest name, as ``--vary`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfe_opt import load_scenario
from cfe_opt.errors import ScenarioError
from cfe_opt.scenario import check_changes
from cfe_opt.solve import CompiledModel
from cfe_opt.whatif import WhatIf

TALKS = Path(__file__).resolve().parent.parent / "models" / "talks_1998.yaml"

WRONG = [
    ("parties.RUS.positions.flank_acv.target",
     "no 'flank_acv' in parties.RUS.positions (did you mean 'flank_acv_active'?)"),
    ("parties.RUS.positions.flank_acv_active.targt",
     "'parties.RUS.positions.flank_acv_active' has no field 'targt' (did you mean 'target'?)"),
    ("parties.RUSS.weight", "no 'RUSS' in parties (did you mean 'RUS'?)"),
]


@pytest.fixture(scope="module")
def talks():
    return load_scenario(TALKS)


@pytest.mark.parametrize(("path", "reason"), WRONG)
def test_check_changes_names_the_path_and_the_nearest(talks, path, reason):
    with pytest.raises(ScenarioError) as info:
        check_changes(talks, {"parties.TUR.weight": 2, path: 1})
    assert str(info.value) == f"{talks.display}: {path}: {reason}"
    assert "\n" not in str(info.value)


def test_check_changes_takes_every_documented_field(talks):
    """A written field, one left at its default (Turkey's weight) and a removal pass."""
    check_changes(talks, {"parties.RUS.positions.flank_acv_active.target": 2400,
                          "parties.TUR.weight": 2, "parties.RUS.positions.flank_acv_active":
                          None})


def test_compiled_apply_alone_changes_nothing_on_a_wrong_path(talks):
    """Why the README checks: ``apply`` refuses quietly (Applied(False, reason)) and keeps the
    scenario's numbers, so an unchecked typo would solve the unchanged scenario."""
    cm = CompiledModel(talks, variants=True)
    applied = cm.apply({"parties.RUS.positions.flank_acv.target": 2400})
    assert not applied.in_place
    assert "parties.RUS.positions.flank_acv.target" in applied.reason


@pytest.mark.parametrize(("path", "reason"), WRONG)
@pytest.mark.parametrize("value", [2400, None])
def test_whatif_refuses_a_wrong_path_before_compiling(talks, path, reason, value):
    """A number or a removal (None) at a wrong path: ScenarioError, no model compiled, the
    session's settings as they were."""
    session = WhatIf(talks)
    with pytest.raises(ScenarioError) as info:
        session.solve({path: value})
    assert str(info.value) == f"{talks.display}: {path}: {reason}"
    assert session._models == {} and session.settings == {} and session.last is None
