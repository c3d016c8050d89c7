"""The peer model: no senior mentors; same-stage peer groups only (groups.py, always on for
this model: its registry entry says so). Its kernels are the `none` model's (none.py): no one is
assigned a mentor or plans for one. The interface is described in registry.py."""

from simulation.model.mentoring.none import PARAMETERS, PLANNER_COLUMNS, STATE, at_hire, due, plan, plan_width

__all__ = ["PARAMETERS", "PLANNER_COLUMNS", "STATE", "at_hire", "due", "plan", "plan_width"]
