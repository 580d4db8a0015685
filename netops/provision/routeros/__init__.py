"""Declarative RouterOS provisioning: intended state as data, a pure planner, normalisation.

``schema`` says how each managed menu is matched and compared, ``planner`` turns current +
intended state into typed operations and drift, ``intended`` renders a device's intended
state from the inventory (and a ``.rsc`` script of it for a person).
"""

from netops.provision.routeros.intended import IntendedStateError, intended_state, to_rsc
from netops.provision.routeros.planner import (
    Add,
    Drift,
    Entry,
    Move,
    Op,
    Plan,
    PlanError,
    Remove,
    Set,
    State,
    apply,
    mark,
    parse_comment,
    plan,
)
from netops.provision.routeros.schema import SCHEMA, Field, Kind, PathSchema

__all__ = [
    "SCHEMA",
    "Add",
    "Drift",
    "Entry",
    "Field",
    "IntendedStateError",
    "Kind",
    "Move",
    "Op",
    "PathSchema",
    "Plan",
    "PlanError",
    "Remove",
    "Set",
    "State",
    "apply",
    "intended_state",
    "mark",
    "parse_comment",
    "plan",
    "to_rsc",
]
