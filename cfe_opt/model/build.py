"""The orchestrator: scenario → variables → constraint families. Reads like a table of contents."""

from __future__ import annotations

import re

import pulp

from cfe_opt.model.constraints.accounting import add_holdings_balance, add_location_balance
from cfe_opt.model.constraints.ceilings import (
    add_national_ceilings,
    add_territorial_ceilings,
    add_territorial_subceilings,
)
from cfe_opt.model.constraints.deployments import add_temporary_deployment_allowances
from cfe_opt.model.constraints.equal_treatment import add_equal_treatment
from cfe_opt.model.constraints.freeze import add_freezes
from cfe_opt.model.constraints.limits import add_sum_limits
from cfe_opt.model.constraints.positions import add_position_deviations
from cfe_opt.model.constraints.reciprocity import add_reciprocity
from cfe_opt.model.core import Model
from cfe_opt.model.variables import (
    add_deployment_variables,
    add_equipment_variables,
    add_national_variables,
    add_territorial_variables,
)
from cfe_opt.scenario import Scenario


def build_model(scenario: Scenario, integer: bool = False, elastic: bool = False) -> Model:
    """Build the LP (or, with ``integer``, the MILP) of a scenario; no objective yet.

    With ``elastic``, every hard limit gets non-negative violation variables (for diagnosis).
    """
    name = re.sub(r"[^A-Za-z0-9_]", "_", scenario.name)[:60] or "cfe_opt"
    model = Model(scenario=scenario, problem=pulp.LpProblem(name, pulp.LpMinimize),
                  integer=integer, elastic=elastic)
    # variables
    add_national_variables(model)
    add_territorial_variables(model)
    add_deployment_variables(model)
    add_equipment_variables(model)
    # definitions
    add_holdings_balance(model)
    add_location_balance(model)
    add_national_ceilings(model)
    add_territorial_ceilings(model)
    add_territorial_subceilings(model)
    # hard limits: treaty rules, commitments, red lines
    add_temporary_deployment_allowances(model)
    add_sum_limits(model)
    add_freezes(model)
    add_reciprocity(model)
    add_equal_treatment(model)
    # soft positions
    add_position_deviations(model)
    return model
