"""Mapping: pure, deterministic functions from a network description to a MappingPlan.

partition → place → keys → routing (+ compression).  No communication: every rank computes the
same plan from the same description.
"""

from spinn.mapping.plan import MappingPlan, make_plan

__all__ = ["MappingPlan", "make_plan"]
