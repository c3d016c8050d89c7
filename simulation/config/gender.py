"""The model's gendered mechanisms: every difference between women and men the model contains,
each named, with its source and the parameter change that switches it off.

Nothing else in the model treats women and men differently. The comparison's decomposition
of the gender gaps (`careersim compare`, the report's gender section) reruns the reference
scenario with each mechanism switched off in turn, on the same people (the switches change no
random draw: who is hired, who is a parent, whose clock is extended by a draw stay the same).

Not listed, because it cannot be switched off on the same people: the scarcity of senior women
(the initial population's rank-by-gender composition, `population.share_women`, and the hiring
share, `hiring.share_women`). Changing them changes who the people are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from simulation.config.params import (SRC_APPLY, SRC_DECASTRO_2013, SRC_DECASTRO_2014, SRC_JOLLY, SRC_SEGE,
                                      SRC_WORK_LIFE, Params)


class Mechanism(NamedTuple):
    name: str
    label: str  # a few words, for tables and figures
    what: str  # one sentence: what differs between women and men, and through what
    source: str
    switch_off: Callable[[Params], dict[str, Any]]  # dotted parameter -> value that removes the difference
    switched_off: str  # one sentence: what the switch does
    acts: Callable[[Params], bool] = lambda p: True  # whether it acts at all in a scenario (else nothing to switch off)


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "concordance", "gender concordance",
        "Psychosocial and career support are worth more to a woman from a woman mentor, and senior women are few.",
        SRC_DECASTRO_2013,
        lambda p: {"mentoring.concordance_gain": 0.0},
        "mentoring.concordance_gain = 0: a man's support is worth as much to a woman as a woman's.",
    ),
    Mechanism(
        "second_mentor", "second mentor for K awardees",
        "Women career-award holders more often have more than one designated mentor (79% vs 61%).",
        SRC_DECASTRO_2014,
        lambda p: {"committee.share_multi_women": p.committee.share_multi_men},
        "committee.share_multi_women = committee.share_multi_men.",
        lambda p: p.mentoring.model == "committee",  # only the committee model assigns second mentors by share
    ),
    Mechanism(
        "caregiving_time", "caregiving time",
        "Women parents spend more hours on parenting and domestic work, taken from research time while their "
        "children are young.",
        SRC_JOLLY,
        lambda p: {"caregiving.extra_hours_women": p.caregiving.extra_hours_men},
        "caregiving.extra_hours_women = caregiving.extra_hours_men (also removes the work-life exits, which "
        "follow the same load).",
    ),
    Mechanism(
        "work_life_exits", "work-life exits",
        "The caregiving load raises the hazard of leaving academic medicine while children are young.",
        SRC_WORK_LIFE,
        lambda p: {"caregiving.exit_effect": 0.0},
        "caregiving.exit_effect = 0.",
    ),
    Mechanism(
        "clock_extension", "clock extensions",
        "Women parents more often have their promotion clock extended, which delays the review.",
        SRC_JOLLY + " (direction); shares are assumptions",
        lambda p: {"caregiving.extension_share_women": p.caregiving.extension_share_men},
        "caregiving.extension_share_women = caregiving.extension_share_men.",
    ),
    Mechanism(
        "applications", "grant applications",
        "Women apply for independent grants less often than men; an application's chance of success is the same.",
        SRC_APPLY,
        lambda p: {"grants.apply_ratio_women": 1.0},
        "grants.apply_ratio_women = 1.",
    ),
    Mechanism(
        "startup", "start-up resources",
        "Women receive smaller start-up packages (medians $350,000 vs $889,000), so less research capital in "
        "the first years.",
        SRC_SEGE,
        lambda p: {"startup.women_ratio": 1.0},
        "startup.women_ratio = 1.",
    ),
)

BY_NAME = {m.name: m for m in MECHANISMS}


def switch_off_sets(params: Params, names: tuple[str, ...] | list[str]) -> list[str]:
    """`--set` strings that switch the named mechanisms off in `params` (a resolved scenario)."""
    sets: list[str] = []
    for name in names:
        if name not in BY_NAME:
            raise KeyError(f"unknown gendered mechanism {name!r}; known: {', '.join(BY_NAME)}")
        for key, value in BY_NAME[name].switch_off(params).items():
            sets.append(f"{key}={value!r}" if not isinstance(value, bool) else f"{key}={str(value).lower()}")
    return sets
