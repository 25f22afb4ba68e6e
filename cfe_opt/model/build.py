"""The orchestrator: scenario → variables → constraint families. Reads like a table of contents."""

from __future__ import annotations

from cfe_opt.collector import objects_not_collected
from cfe_opt.model.constraints.accounting import add_holdings_balance, add_location_balance
from cfe_opt.model.constraints.ceilings import (
    add_active_subceilings,
    add_national_ceilings,
    add_territorial_ceilings,
    add_territorial_subceilings,
)
from cfe_opt.model.constraints.cuts import add_cuts_by_form
from cfe_opt.model.constraints.deployments import add_temporary_deployment_allowances
from cfe_opt.model.constraints.equal_treatment import add_equal_treatment
from cfe_opt.model.constraints.freeze import add_freezes
from cfe_opt.model.constraints.limits import add_sum_limits
from cfe_opt.model.constraints.positions import add_position_deviations
from cfe_opt.model.constraints.reciprocity import add_reciprocity
from cfe_opt.model.core import Model
from cfe_opt.model.params import recording
from cfe_opt.model.tracked import model_checks, track
from cfe_opt.model.variables import (
    add_cut_variables,
    add_deployment_variables,
    add_equipment_variables,
    add_national_variables,
    add_territorial_variables,
)
from cfe_opt.scenario import Scenario
from cfe_opt.scenario.sets import build_index


def build_model(scenario: Scenario, integer: bool = False, guard_validation: bool = False
                ) -> Model:
    """Build the LP (or, with ``integer``, the MILP) of a scenario; no objective yet.

    The model is built from a tracked copy of the scenario (``model.tracked``), so every
    number in it knows the fields it comes from. With ``guard_validation`` the scenario's
    validation is also run on that copy, so its branches on numbers are recorded as guards too:
    what a compiled model needs before it accepts variants without re-validating them.
    """
    with objects_not_collected():
        return _build(scenario, integer, guard_validation)


def _build(scenario: Scenario, integer: bool, guard_validation: bool) -> Model:
    spec, params = track(scenario.spec)
    model = Model(scenario=scenario, integer=integer, index=scenario.index, params=params,
                  theta=list(params.base))
    with recording(model.recorder):
        model.index = build_index(spec)
        if guard_validation:
            _validate_tracked(scenario, spec, model)
        # variables
        add_national_variables(model)
        add_territorial_variables(model)
        add_cut_variables(model)
        add_deployment_variables(model)
        add_equipment_variables(model)
        # definitions
        add_holdings_balance(model)
        add_location_balance(model)
        add_national_ceilings(model)
        add_territorial_ceilings(model)
        add_territorial_subceilings(model)
        add_active_subceilings(model)
        add_cuts_by_form(model)
        # hard limits: treaty rules, commitments, red lines
        add_temporary_deployment_allowances(model)
        add_sum_limits(model)
        add_freezes(model)
        add_reciprocity(model)
        add_equal_treatment(model)
        # soft positions
        add_position_deviations(model)
    return model


def _validate_tracked(scenario: Scenario, spec, model: Model) -> None:  # type: ignore[no-untyped-def]
    from cfe_opt.scenario.validate import check_references, check_selections

    model_checks(spec)
    check_references(spec, scenario.source_map)
    check_selections(spec, model.index, scenario.source_map)
