"""Alerting: inventory-derived Prometheus rules (link facts, topology, opening hours).

The hand-written alert rules live in ``exporters/prometheus/rules/``; this package turns the
inventory into the recording rules those alerts join against, so nothing is copied by hand.
"""

from netops.alerting.rules import GeneratedRules, generate_rules, render_rules
from netops.alerting.topology import Dependencies, dependencies

__all__ = ["Dependencies", "GeneratedRules", "dependencies", "generate_rules", "render_rules"]
