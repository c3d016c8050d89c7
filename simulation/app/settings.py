"""The app's controls: what they set (`Settings`) and the parameters of each pane they make.

A lever left at its default keeps the scenario file's value; `build_params` turns the controls
into one pane's `Params`, on the point defaults or on a member of the calibrated ensemble.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulation.config.params import MODELS, RANKS, Params, ensemble_members
from simulation.config.scenario import ConfigError, list_scenarios, load_scenario

AS_IN_FILE = "as in the file"
NO_FILE = "none: the model's own file"
POINT_DEFAULTS = "point defaults"  # the calibration control: the point defaults, or "ensemble member k"


@dataclass(frozen=True)
class Settings:
    """What the controls set. A lever left at its default keeps the scenario file's value."""

    model_a: str = "dyad"
    scenario_a: str = NO_FILE
    model_b: str = "network"
    scenario_b: str = NO_FILE
    ties: int = 3
    peers: bool = False
    external_ties: bool = True
    capacity: float = 1.0
    cap_mentees: int = 0
    share_women: float = 0.47
    women_mentor_policy: bool = False
    n_faculty: int = 1000
    seed: int = 7
    calibration: str = POINT_DEFAULTS


DEFAULTS = Settings()


def member_label(k: int) -> str:
    """The calibration control's name of ensemble member k."""
    return f"ensemble member {k}"


def calibration_choices() -> list[str]:
    """The calibration control's choices: the point defaults, then each member of the installed
    record's calibrated ensemble (none when the record has no ensemble)."""
    return [POINT_DEFAULTS, *(member_label(k) for k in range(len(ensemble_members())))]


def calibration_values(choice: str) -> dict[str, float] | None:
    """What a calibration choice applies at the level of the defaults (`load_scenario(base=...)`):
    None for the point defaults, else the ensemble member's values."""
    if choice == POINT_DEFAULTS:
        return None
    members = ensemble_members()
    m = re.fullmatch(r"ensemble member (\d+)", choice)
    if m is None or int(m.group(1)) >= len(members):
        have = (f"members 0 to {len(members) - 1}" if members
                else "no ensemble (`careersim calibrate --history-match`, then `careersim calibrate --ensemble 200 "
                     "--apply` makes one)")
        raise ConfigError(f"calibration {choice!r}: the installed calibration record has {have}")
    return members[int(m.group(1))]


def model_params() -> dict:
    """The controls (one per `Settings` field, with how a slider shows its value; the
    calibration control only when the installed calibration record has an ensemble)."""
    scenarios = [NO_FILE, *list_scenarios()]
    d = DEFAULTS
    controls = {
        "model_a": {"type": "Select", "value": d.model_a, "values": [*MODELS, AS_IN_FILE],
                    "label": "Left pane: mentoring model"},
        "scenario_a": {"type": "Select", "value": d.scenario_a, "values": scenarios,
                       "label": "Left pane: scenario file"},
        "model_b": {"type": "Select", "value": d.model_b, "values": [*MODELS, AS_IN_FILE],
                    "label": "Right pane: mentoring model"},
        "scenario_b": {"type": "Select", "value": d.scenario_b, "values": scenarios,
                       "label": "Right pane: scenario file"},
        "ties": {"type": "SliderInt", "value": d.ties, "min": 1, "max": 6, "step": 1,
                 "label": "Ties per protégé", "show": lambda v: f"at most {v}"},
        "peers": {"type": "Checkbox", "value": d.peers, "label": "Peer groups"},
        "external_ties": {"type": "Checkbox", "value": d.external_ties,
                          "label": "External ties"},
        "capacity": {"type": "SliderFloat", "value": d.capacity, "min": 0.25, "max": 3.0, "step": 0.25,
                     "label": "Mentor capacity", "show": lambda v: f"{v:g} × the hours"},
        "cap_mentees": {"type": "SliderInt", "value": d.cap_mentees, "min": 0, "max": 10, "step": 1,
                        "label": "Cap on mentees", "show": lambda v: f"{v} each" if v else "none"},
        "share_women": {"type": "SliderFloat", "value": d.share_women, "min": 0.0, "max": 1.0, "step": 0.01,
                        "label": "Women's share of hires", "show": lambda v: f"{100 * v:.0f}%"},
        "women_mentor_policy": {"type": "Checkbox", "value": d.women_mentor_policy,
                                "label": "Women-mentor policy"},
        "n_faculty": {"type": "SliderInt", "value": d.n_faculty, "min": 100, "max": 2000, "step": 100,
                      "label": "Faculty", "show": lambda v: f"{v:,} people"},
        "seed": {"type": "SliderInt", "value": d.seed, "min": 0, "max": 99, "step": 1, "label": "Seed",
                 "show": str},
    }
    choices = calibration_choices()
    if len(choices) > 1:  # only with a calibrated ensemble installed
        controls["calibration"] = {"type": "Select", "value": d.calibration, "values": choices,
                                   "label": "Calibration (both panes)"}
    return controls


def _lever_sets(s: Settings, base: Params) -> list[str]:
    """`--set` overrides for the levers that differ from their defaults."""
    d, out = DEFAULTS, []
    if s.ties != d.ties:
        out += [f"network.max_ties={s.ties}", f"committee.size={s.ties}",
                f"network.max_new_per_search={min(s.ties, base.network.max_new_per_search)}"]
    if s.peers != d.peers:
        out.append(f"mentoring.peers={str(s.peers).lower()}")
    if s.external_ties != d.external_ties:
        out.append(f"mentoring.external_ties={str(s.external_ties).lower()}")
    if s.capacity != d.capacity:
        hours = base.mentors.capacity_hours
        out += [f"mentors.capacity_hours.{r}={getattr(hours, r) * s.capacity:g}" for r in RANKS]
    if s.cap_mentees != d.cap_mentees:
        out.append(f"mentoring.cap_mentees={s.cap_mentees}")
    if s.share_women != d.share_women:
        out.append(f"hiring.share_women={s.share_women:g}")
    if s.women_mentor_policy != d.women_mentor_policy:
        out.append(f"mentoring.women_mentor_policy={str(s.women_mentor_policy).lower()}")
    return out


def build_params(s: Settings, pane: str) -> Params:
    """The parameters of one pane ("a" left, "b" right): its scenario file (by default the file
    named after its mentoring model), its model, the population and seed, then the levers; on the
    point defaults or, under them, an ensemble member's values (the calibration control).

    Parameters
    ----------
    s : Settings
        The controls' values.
    pane : str
        "a" for the left pane, "b" for the right.

    Returns
    -------
    Params
        The pane's parameters.

    Raises
    ------
    ConfigError
        If the scenario file does not go with the controls, or the calibration choice names an
        ensemble member the installed record lacks.
    """
    member = calibration_values(s.calibration)
    model, scenario = (s.model_a, s.scenario_a) if pane == "a" else (s.model_b, s.scenario_b)
    if scenario == NO_FILE:
        scenario = model if model in list_scenarios() else "status_quo"
    sets = [] if model == AS_IN_FILE else [f"mentoring.model={model}"]
    base = load_scenario(scenario, sets, seed=s.seed, base=member)
    pop = base.population
    # as many institutions as the file has per faculty member (2,000 in 10: one per 200)
    k = max(1, round(s.n_faculty * pop.n_institutions / pop.n_faculty))
    k = max(1, min(k, s.n_faculty // pop.min_institution_size))
    sets += [f"population.n_faculty={s.n_faculty}", f"population.n_institutions={k}"]
    sets += _lever_sets(s, base)
    return load_scenario(scenario, sets, seed=s.seed, base=member)
