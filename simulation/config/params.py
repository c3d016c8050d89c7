"""Every parameter of the model: default, unit, allowed range and source, declared once.

The schema is strict: unknown keys are rejected, values are type-checked and range-checked
(pydantic). `Params` is what a scenario file resolves to; `simulation.model.kernel_params`
flattens it into the numbers and arrays the numba kernels read. No numba here.

Sources are cited where a value comes from a publication. Values marked "calibrated" are
free parameters fitted against the targets in `targets.toml` (see docs/ODD.md, Calibration);
values marked "assumption" are modelling choices with no direct published figure.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, model_validator

from simulation.config.resources import RECORD_FILE

FUNCTIONS = ("science", "skills", "career", "networking", "psychosocial")
RANKS = ("assistant", "associate", "full")


class MentoringModel(NamedTuple):
    """A mentoring model's entry in the registry below."""

    mentor_slots: Callable[[Params], int]  # mentor slots per person, from the parameters
    describe: Callable[[dict, bool], str]  # the model in words, from resolved parameters (short: for a summary)
    peer_groups: bool = False  # peer groups always on (else only with mentoring.peers)
    external_ties: bool = False  # mentoring.external_ties lets its ties reach other institutions
    peer_slots: Callable[[Params], int] = lambda p: 0  # tie slots for peers in groups the model forms itself
    # senior ties that give a fixed profile for fixed hours (support units per hour, hours a month per
    # protege) instead of the mentor's output shared by load: a facilitator in a group session
    facilitation: Callable[[Params], tuple[np.ndarray, float]] | None = None


def _describe_committee(params: dict, short: bool) -> str:
    c = params.get("committee", {})
    size, w, mn = int(c["size"]), float(c["share_multi_women"]), float(c["share_multi_men"])
    other = float(c.get("share_multi_other", 0.5))
    if size <= 1 or (w == 0 and mn == 0 and other == 0):
        return "one mentor each"
    if w == 1 and mn == 1 and other == 1:
        return f"a committee of {size} mentors for everyone"
    more = "a second mentor" if size == 2 else f"{size - 1} more mentors"
    who = "most" if min(w, mn, other) > 0.5 else "many" if max(w, mn, other) >= 0.5 else "some"
    return (f"a primary mentor, and {more} for {who} (committee of {size} for {100 * w:.0f}% of women and "
            f"{100 * mn:.0f}% of men with a career award, {100 * other:.0f}% of everyone else)")


def _describe_network(params: dict, short: bool) -> str:
    n, m = params.get("network", {}), params["mentoring"]
    text = f"a network the protege builds, up to {n.get('max_ties')} mentors"
    if not short:
        text += f", reshaped every {n.get('reshape_months')} months"
    if not short and (float(n.get("share_external", 0)) > 0 or m.get("external_ties")):
        text += ", external ties allowed"
    return text


def _describe_facilitated(params: dict, short: bool) -> str:
    f = params.get("facilitated_peer", {})
    text = f"facilitated peer groups of {f.get('group_size')} junior faculty with a senior facilitator"
    if not short:
        text += (f", meeting {f.get('meetings_per_month')} times a month; "
                 f"up to {f.get('facilitator_groups')} groups per facilitator")
    return text


# The mentoring models, by name: the one place a model is registered. Its module is
# simulation/model/mentoring/NAME.py (found by the name; its registry.py dispatches by code), and its
# code in the kernels is its position here.
MENTORING_MODELS: dict[str, MentoringModel] = {
    "dyad": MentoringModel(lambda p: 1, lambda params, short: "one mentor each"),
    "committee": MentoringModel(lambda p: p.committee.size, _describe_committee, external_ties=True),
    "network": MentoringModel(lambda p: p.network.max_ties, _describe_network, external_ties=True),
    "peer": MentoringModel(lambda p: 0, lambda params, short: "peer groups only, no senior mentor",
                           peer_groups=True),
    "none": MentoringModel(lambda p: 0, lambda params, short: "no formal mentor"),
    "facilitated_peer": MentoringModel(
        lambda p: 1, lambda params, short: _describe_facilitated(params, short),
        peer_slots=lambda p: p.facilitated_peer.group_size - 1,
        facilitation=lambda p: (p.facilitated_peer.gives.array(),
                                p.facilitated_peer.meetings_per_month * p.facilitated_peer.hours_per_meeting
                                / p.facilitated_peer.group_size)),
}
MODELS = tuple(MENTORING_MODELS)
# career stages of a protege, as the recorder observes them
STAGES = ("early_assistant", "late_assistant", "associate")

SRC_DECASTRO_2013 = "DeCastro et al., Acad Med 2013;88(4):488-96 (the reference study)"
SRC_AAMC_2017 = "AAMC Faculty Roster, 2017"
SRC_LUCKHAUPT = "Luckhaupt et al., J Gen Intern Med 2005"
SRC_DECASTRO_2014 = "DeCastro et al., Acad Med 2014"
SRC_JAGSI_2009 = "Jagsi et al., Ann Intern Med 2009"
SRC_ALEXANDER_LANG = "Alexander & Lang, AAMC Analysis in Brief 8(4), 2008"
SRC_BUCKLIN = "Bucklin et al., BMC Med Educ 2014"
SRC_AAMC_PROMO = "AAMC Analysis in Brief 2010; Beasley et al. 2006"
SRC_ZAORSKY = "Zaorsky et al., Acad Med 2020; Jagsi et al., Acad Med 2011"
SRC_JOLLY = "Jolly et al., Ann Intern Med 2014;160:344-53 (K08/K23 awardees)"
SRC_SEGE = "Sege et al., JAMA 2015;314(11):1175-7"
SRC_APPLY = ("Pohlhaus et al., Acad Med 2011 (fewer women apply; success rates alike; men more likely to apply "
             "again after a first grant); Hechtman et al., PNAS 2018 (women submitted fewer applications)")
SRC_WORK_LIFE = ("Levine et al., Acad Med 2011 (early-career women who left academic medicine); "
                 "Cropsey et al., J Womens Health 2008 (reasons for leaving)")
ASSUMPTION = "assumption"
SRC_MENTORING_EFFECTS = ("assumption, halved with the refit of the mentoring effects so that being mentored at all "
                         "changes careers as little as the literature reports (Allen et al., J Appl Psychol 2004; "
                         "Eby et al., J Vocat Behav 2008; targets mentoring_effect_*)")


# --- the calibration record, read when first needed (not at import) -----------------------

@functools.cache
def calibration_record() -> dict[str, Any]:
    """The installed calibration record (calibration.json), read once, on first use."""
    return json.loads(RECORD_FILE.read_text())


def ensemble_members() -> list[dict[str, float]]:
    """The calibrated ensemble of the installed record: parameter vectors (dotted free-parameter
    name -> value) from its "ensemble" -> "members"; [] when the record has no ensemble."""
    ensemble = calibration_record().get("ensemble") or {}
    return [{str(k): float(v) for k, v in m.items()} for m in ensemble.get("members") or []]


def calibrated_source() -> str:
    """How the calibrated defaults were obtained: the start of their `source`."""
    record = calibration_record()
    return (f"calibrated: simulation/config/calibration.json ({record['created_utc'][:10]}, "
            f"band-scaled loss {record['loss_after']:.2f}, targets.toml)")


def fitted(name: str) -> float:
    """A calibrated default: the estimate in the installed calibration record."""
    try:
        return float(calibration_record()["estimates"][name])
    except KeyError:
        raise RuntimeError(
            f"{RECORD_FILE} has no estimate for {name}: run `careersim calibrate --fit --apply`"
        ) from None


# Scalars are strict (a wrong type stops the run instead of being converted: "300" is not a
# number, true is not an integer, "yes" is not a boolean), except that an integer is a valid
# float (TOML `hazard = 1`). Floats must be finite. Tuples still accept lists (TOML and JSON
# have no tuples); their elements are strict.
Int = Annotated[int, Strict()]
Float = Annotated[float, Strict(), AllowInfNan(False)]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]

# what a scenario name (a folder under results/) may be: one safe path component
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME_RULE = "letters, digits, '_', '-' and '.', starting with a letter or digit (it names the folder results/NAME/)"


class CrossFieldError(ValueError):
    """A section-level check failed; `fields` names the fields involved (dotted, within the section)."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


def check_ranges(section: BaseModel, *names: str) -> None:
    """Each named (low, high) field must have 0 <= low <= high."""
    for name in names:
        lo, hi = getattr(section, name)
        if not 0 <= lo <= hi:
            raise CrossFieldError(f"{name} must be [low, high] with 0 <= low <= high", name)


def P(default: Any, unit: str, doc: str, source: str = ASSUMPTION, **constraints: Any) -> Any:
    """A parameter: default, unit, one-line meaning and source, with its allowed range."""
    return Field(
        default, description=doc, json_schema_extra={"unit": unit, "source": source}, **constraints
    )


def C(estimate: str | Callable[[], Any], unit: str, doc: str, serves: str, **constraints: Any) -> Any:
    """A calibrated parameter: its default is the estimate of that name in the calibration
    record (or what `estimate()` makes of the record's estimates), read when a `Params` is
    first made; its source is `calibrated_source()` and the targets it `serves`."""
    factory = estimate if callable(estimate) else functools.partial(fitted, estimate)
    return Field(
        default_factory=factory, description=doc,
        json_schema_extra={"unit": unit, "source": serves, "calibrated": True}, **constraints,
    )


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ByFunction(Section):
    """One value per mentoring function."""

    science: Float = Field(ge=0, le=100)
    skills: Float = Field(ge=0, le=100)
    career: Float = Field(ge=0, le=100)
    networking: Float = Field(ge=0, le=100)
    psychosocial: Float = Field(ge=0, le=100)

    def array(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FUNCTIONS], dtype=np.float64)


class ByRank(Section):
    """One value per academic rank."""

    assistant: Float = Field(ge=0, le=1e6)
    associate: Float = Field(ge=0, le=1e6)
    full: Float = Field(ge=0, le=1e6)

    def array(self) -> np.ndarray:
        return np.array([getattr(self, r) for r in RANKS], dtype=np.float64)


class ShareByRank(ByRank):
    """One share (0 to 1) per academic rank."""

    assistant: Float = Field(ge=0, le=1)
    associate: Float = Field(ge=0, le=1)
    full: Float = Field(ge=0, le=1)


def fv(science, skills, career, networking, psychosocial) -> ByFunction:
    return ByFunction(
        science=science, skills=skills, career=career, networking=networking,
        psychosocial=psychosocial,
    )


def rv(assistant, associate, full) -> ByRank:
    return ByRank(assistant=assistant, associate=associate, full=full)


def sv(assistant, associate, full) -> ShareByRank:
    return ShareByRank(assistant=assistant, associate=associate, full=full)


class Population(Section):
    n_faculty: Int = P(2000, "faculty", "Faculty positions in all institutions together", ge=20, le=5_000_000)
    n_institutions: Int = P(10, "institutions", "Institutions (each is one local pool of mentors)", ge=1, le=10_000)
    institution_size_cv: Float = P(
        0.5, "ratio", "Coefficient of variation of institution sizes (lognormal)", ge=0, le=3
    )
    min_institution_size: Int = P(8, "faculty", "Smallest institution", ge=2, le=100_000)
    share_rank: ShareByRank = P(
        sv(0.49, 0.24, 0.27), "share", "Rank composition at start (three professorial ranks, normalised)", SRC_AAMC_2017
    )
    share_women: ShareByRank = P(sv(0.46, 0.37, 0.24), "share", "Women's share of each rank at start", SRC_AAMC_2017)
    career_years_min: ByRank = P(
        rv(0, 6, 12), "years", "Fewest years since first appointment, by rank, at start", ASSUMPTION
    )
    career_years_max: ByRank = P(
        rv(9, 20, 38), "years", "Most years since first appointment, by rank, at start", ASSUMPTION
    )
    years_to_associate: tuple[Float, Float] = P(
        (5.0, 7.0), "years",
        "Range of career years at promotion to associate, for the initial population", SRC_AAMC_PROMO
    )
    years_to_full: tuple[Float, Float] = P(
        (11.0, 14.0), "years", "Range of career years at promotion to full, for the initial population", ASSUMPTION
    )

    @model_validator(mode="after")
    def _check(self) -> Population:
        total = self.share_rank.assistant + self.share_rank.associate + self.share_rank.full
        if abs(total - 1.0) > 1e-6:
            raise CrossFieldError(
                f"share_rank must sum to 1 (it sums to {total:.4g}); rescale the three shares", "share_rank"
            )
        for r in RANKS:
            lo, hi = getattr(self.career_years_min, r), getattr(self.career_years_max, r)
            if lo > hi:
                raise CrossFieldError(f"career_years_min.{r} ({lo:g}) must not exceed career_years_max.{r} ({hi:g})",
                                      f"career_years_min.{r}", f"career_years_max.{r}")
        check_ranges(self, "years_to_associate", "years_to_full")
        if self.n_faculty < self.n_institutions * self.min_institution_size:
            raise CrossFieldError(
                f"n_faculty ({self.n_faculty}) is smaller than n_institutions x min_institution_size "
                f"({self.n_institutions} x {self.min_institution_size} = "
                f"{self.n_institutions * self.min_institution_size}); "
                "lower n_institutions or raise n_faculty",
                "n_faculty", "n_institutions", "min_institution_size",
            )
        return self


class Hiring(Section):
    share_women: Float = P(
        0.47, "share", "Women's share of new assistant professors (a policy lever)",
        "AAMC Faculty Roster: 45-50% of new assistant professors", ge=0, le=1
    )
    share_career_award: Float = P(
        0.10, "share", "Share of new hires holding a mentored career-development (K08/K23-type) award",
        "assumption: order of magnitude of new K08/K23 awards against new assistant professors per year "
        "(NIH RePORT; AAMC)", ge=0, le=1
    )


class Needs(Section):
    early_assistant: ByFunction = P(
        fv(2.0, 2.0, 0.9, 0.7, 1.2), "support units/month", "Need profile of a new assistant professor",
        SRC_DECASTRO_2013 + " (needs by stage); levels are an assumption"
    )
    late_assistant: ByFunction = P(
        fv(1.1, 1.2, 2.0, 1.6, 1.2), "support units/month", "Need profile approaching the promotion review",
        SRC_DECASTRO_2013
    )
    associate: ByFunction = P(
        fv(0.6, 0.6, 1.4, 1.6, 0.8), "support units/month",
        "Need profile of an associate professor (leadership, networking, sponsorship)", SRC_DECASTRO_2013
    )
    full: ByFunction = P(
        fv(0.2, 0.2, 0.3, 0.3, 0.3), "support units/month", "Need profile of a full professor", SRC_DECASTRO_2013
    )
    individual_sigma: Float = P(
        0.3, "log units", "Spread of individual need multipliers (lognormal sigma, per function)", ge=0, le=3
    )
    adapt_months: Float = P(6.0, "months", "Time constant with which needs move toward the stage profile", ge=1, le=120)
    spike_rejection: ByFunction = P(
        fv(0.0, 0.6, 0.0, 0.0, 1.2), "support units/month", "Need added after a rejected grant", SRC_DECASTRO_2013
    )
    spike_review: ByFunction = P(
        fv(0.0, 0.0, 0.8, 0.4, 0.4), "support units/month",
        "Need added when a promotion review is a year away", ASSUMPTION
    )
    review_lead_months: Int = P(12, "months", "How long before a review its need spike arrives", ge=0, le=60)
    spike_half_life_months: Float = P(3.0, "months", "Half-life of need spikes", ge=0.1, le=60)


class Mentors(Section):
    concentration: Float = P(
        0.5, "Dirichlet alpha", "Concentration of competence across the five functions; small = few strong functions",
        SRC_DECASTRO_2013 + " (few mentors are strong in everything)", ge=0.05, le=100
    )
    skill_sigma: Float = P(0.3, "log units", "Spread of overall mentoring skill (lognormal sigma)", ge=0, le=3)
    competence_by_rank: ByRank = P(rv(0.45, 0.8, 1.0), "multiplier", "Competence scale by rank (seniority)", ASSUMPTION)
    experience_years: Float = P(
        20.0, "years", "Career years over which competence grows from experience_floor to its full scale", ge=1, le=60
    )
    experience_floor: Float = P(0.6, "share", "Share of full competence at the start of a career", ge=0, le=1)
    strong_threshold: Float = P(
        0.5, "competence", "Competence at or above which a mentor counts as strong in a function (for reporting)",
        ge=0, le=10
    )
    capacity_hours: ByRank = P(rv(4.0, 8.0, 12.0), "hours/month", "Monthly time for mentoring, by rank", ASSUMPTION)
    share_admin: ShareByRank = P(
        sv(0.0, 0.1, 0.3), "share", "Share with an administrative role, by rank",
        SRC_DECASTRO_2013 + " (administration crowds out mentoring)"
    )
    admin_capacity_loss: Float = P(
        0.5, "share", "Share of mentoring time an administrative role takes", SRC_DECASTRO_2013, ge=0, le=1
    )
    trainees_mean: ByRank = C(
        lambda: rv(fitted("mentors.trainees_mean.assistant"), fitted("mentors.trainees_mean.associate"),
                   fitted("mentors.trainees_mean.full")),
        "mentees", "Mean non-faculty mentees (fellows, residents, students) by rank; they take mentoring time",
        "serves mentor loads by rank, " + SRC_LUCKHAUPT
    )
    trainees_dispersion: Float = C(
        "mentors.trainees_dispersion", "gamma shape",
        "Spread of trainee numbers between mentors of a rank (gamma-Poisson; large = Poisson)",
        "serves the spread of mentor loads (IQR 3-8), " + SRC_LUCKHAUPT, ge=0.2, le=1000
    )
    trainee_weight: Float = P(
        0.5, "tie weights", "Time a trainee takes relative to a primary faculty protege", ge=0, le=10
    )
    max_mentees_median: Float = C(
        "mentors.max_mentees_median", "mentees",
        "Median of the most mentees (all kinds) a mentor will accept before refusing",
        "serves mentor loads, " + SRC_LUCKHAUPT, ge=1, le=100
    )
    max_mentees_sigma: Float = P(
        0.35, "log units", "Spread of that maximum between mentors (lognormal sigma)", ge=0, le=3
    )
    comfortable_load: Float = P(
        6.0, "mentees", "Load beyond which mentoring quality falls (the most mentees mentors say they would take on)",
        SRC_LUCKHAUPT, ge=1, le=100
    )
    overload_exponent: Float = P(
        0.7, "exponent", "Quality = (comfortable/load)^exponent beyond the comfortable load",
        SRC_DECASTRO_2013 + " (overextended mentors mentor worse)", ge=0, le=10
    )


class Mentoring(Section):
    model: Literal[MODELS] = P(
        "committee", "-", f"Mentoring model: {', '.join(MODELS)} (docs/ODD.md, section 7.8)"
    )
    peers: Bool = P(
        False, "-", "Add same-stage peer groups to the model (always on for model = 'peer')",
        SRC_DECASTRO_2013 + " (peer mentors)"
    )
    external_ties: Bool = P(False, "-", "Allow mentors from other institutions", SRC_DECASTRO_2013)
    cap_mentees: Int = P(0, "proteges", "Most faculty proteges per mentor (0 = no cap)", ge=0, le=1000)
    women_mentor_policy: Bool = P(
        False, "-", "Policy: every woman protege has at least one woman mentor",
        SRC_DECASTRO_2013 + " (women value a woman mentor)"
    )
    protected_time: Float = P(
        0.0, "share", "Protected mentoring time, added to every mentor's capacity as a share of it", ge=0, le=5
    )
    training: Bool = P(False, "-", "Mentor training for every mentor")
    training_gain: Float = P(0.15, "share", "Competence gained from mentor training", ASSUMPTION, ge=0, le=5)
    candidates: Int = P(
        8, "candidates", "Candidates a protege (or whoever assigns mentors) looks at per search", ge=1, le=200
    )
    replace_delay_months: Int = P(6, "months", "Delay before an assigned mentor who left is replaced", ge=0, le=120)
    weight_primary: Float = P(1.0, "tie weight", "Contact weight (and time share) of a primary tie", ge=0, le=10)
    weight_secondary: Float = P(0.5, "tie weight", "Contact weight of a secondary tie", ge=0, le=10)
    weight_external: Float = P(
        0.3, "tie weight", "Contact weight of a tie to another institution",
        SRC_DECASTRO_2013 + " (outside mentors: less contact)", ge=0, le=10
    )
    tie_decay_years: Float = P(
        6.0, "years", "Time constant with which contact in a senior tie decays",
        SRC_DECASTRO_2013 + " (contact with senior mentors falls over time)", ge=0.1, le=100
    )
    tie_contact_floor: Float = P(0.4, "share", "Contact that remains in an old senior tie", ge=0, le=1)
    concordance_gain: Float = P(
        0.5, "share", "How much more psychosocial and career support is worth to a woman from a woman than from a man",
        SRC_DECASTRO_2013, ge=0, le=10
    )
    fit_sigma: Float = P(
        0.3, "log units", "Spread of pair-specific fit (lognormal sigma)",
        SRC_DECASTRO_2013 + " (fit, chemistry)", ge=0, le=3
    )


class Committee(Section):
    size: Int = P(
        2, "mentors", "Mentors on a committee (the status quo: a primary and a second mentor)", SRC_DECASTRO_2014,
        ge=1, le=10
    )
    share_multi_women: Float = P(
        0.79, "share", "Share of women career-award (K) holders given a committee rather than a single mentor",
        SRC_DECASTRO_2014 + " (K awardees with more than one mentor: women 79%)", ge=0, le=1
    )
    share_multi_men: Float = P(
        0.61, "share", "Share of men career-award (K) holders given a committee rather than a single mentor",
        SRC_DECASTRO_2014 + " (men 61%)", ge=0, le=1
    )
    share_multi_other: Float = P(
        0.5, "share", "Share of hires without a career award (women and men alike) given a committee",
        "assumption: no published figure describes faculty without a career award; below the K awardees' "
        "shares (a K application requires a mentoring plan) and the same for women and men, so that no gender "
        "difference is assumed where none is measured", ge=0, le=1
    )


class Network(Section):
    max_ties: Int = P(3, "mentors", "Most mentors in a protege's network", ge=1, le=12)
    reshape_months: Int = P(
        12, "months", "Months between a protege's reviews of their network",
        SRC_DECASTRO_2013 + " (networks re-shaped as needs change)", ge=1, le=120
    )
    max_new_per_search: Int = P(2, "mentors", "Most mentors added at one review", ge=1, le=12)
    share_external: Float = P(
        0.3, "share", "Share of candidates drawn from other institutions, when external ties are allowed", ge=0, le=1
    )
    switch_margin: Float = P(
        0.25, "share", "How much better a candidate must be to replace the least useful tie", ge=0, le=10
    )
    collaboration_after_months: Int = P(
        36, "months", "A dropped tie at least this old turns into a collaboration",
        SRC_DECASTRO_2013 + " (mentors become collaborators)", ge=0, le=600
    )
    drop_below: Float = P(
        0.12, "share of need", "Ties contributing less than this share of need are dropped at a review", ge=0, le=1
    )


class Peers(Section):
    group_size: Int = P(5, "faculty", "Members of a peer group", ge=2, le=20)
    cohort_months: Int = P(
        12, "months", "Hires within this window at one institution form groups together", ge=1, le=120
    )
    hours_per_peer: Float = P(0.15, "hours/month", "Time each peer gives each other peer", ge=0, le=100)
    profile: ByFunction = P(
        fv(0.2, 0.5, 0.2, 0.3, 1.0), "competence",
        "What peers give, per function: mostly psychosocial support and skills",
        SRC_DECASTRO_2013 + " (moral support, shared ideas, accountability)"
    )
    collaboration_gain: Float = P(
        0.04, "capital share", "Research capital from peer collaboration (co-authorship), at three or more peers",
        SRC_DECASTRO_2013, ge=0, le=10
    )


SRC_FACILITATED = ("Pololi et al., Acad Med 2002;77:377-384 (a facilitated peer-group programme for junior faculty "
                   "over an academic year); Kashiwagi, Varkey & Cook, Acad Med 2013;88:1029-1037 ('facilitated "
                   "peer' among seven mentoring models)")


class FacilitatedPeer(Section):
    """The facilitated-peer model (model = 'facilitated_peer'): groups of junior faculty, each with a
    senior facilitator, meeting regularly (docs/ODD.md, section 7.8)."""

    group_size: Int = P(
        5, "faculty", "Junior faculty (assistant professors) in a facilitated group; a group forms once this many "
        "are waiting at an institution", "McNairy et al. (groups of 3-5 junior faculty with a higher-rank "
        "facilitator); Pololi & Evans, J Contin Educ Health Prof 2015 (cohorts of 9-12)", ge=2, le=20
    )
    facilitator_groups: Int = P(
        1, "groups", "Most groups one senior facilitator (associate or full professor) leads at a time",
        "assumption: the programmes described name one facilitator per group and none leading several "
        "(Pololi et al. 2002; McNairy et al.)", ge=1, le=10
    )
    meetings_per_month: Float = P(
        1.0, "meetings/month", "How often a group meets with its facilitator",
        "Pololi & Evans, J Contin Educ Health Prof 2015 (one full day a month)", ge=0, le=8
    )
    hours_per_meeting: Float = P(
        7.0, "hours", "Length of one group meeting",
        "Pololi & Evans, J Contin Educ Health Prof 2015 (one full day); a working day taken as 7 hours "
        "(assumption)", ge=0, le=24
    )
    gives: ByFunction = P(
        fv(0.2, 0.8, 1.0, 0.6, 1.0), "support units/hour",
        "What a facilitator gives each member per hour of attention, per function; the attention is the "
        "meetings' hours shared among the group's stated size (a senior's competence per function averages 1)",
        "assumption, from the programme's content in " + SRC_FACILITATED + ": career development, skills "
        "(writing, negotiation), collaborative relationships and personal values, not research supervision"
    )


class Careers(Section):
    talent_sigma: Float = P(0.45, "log units", "Spread of research talent (lognormal sigma)", ge=0, le=3)
    career_award_talent: Float = C(
        "careers.career_award_talent", "sd", "Talent advantage of career-award holders (they are selected)",
        "serves successful K awardees' publications and their R01 shares, Jagsi et al. 2009, 2011", ge=0, le=5
    )
    capital_months: Float = P(
        18.0, "months", "Time constant with which research capital approaches its target", ge=1, le=240
    )
    capital_base: Float = P(0.6, "capital", "Research capital without mentoring support", ge=0, le=10)
    capital_science: Float = C(
        "careers.capital_science", "capital", "Capital from full science coverage",
        "serves the effect of being mentored at all (targets mentoring_effect_*: status quo vs no_mentor)",
        ge=0, le=10
    )
    capital_skills: Float = C(
        "careers.capital_skills", "capital", "Capital from full skills coverage",
        "serves the effect of being mentored at all (targets mentoring_effect_*: status quo vs no_mentor)",
        ge=0, le=10
    )
    capital_networking: Float = P(
        0.04, "capital", "Capital from full networking coverage (collaborations)",
        "assumption: two thirds of careers.capital_science's value before the refit of the mentoring effects",
        ge=0, le=10
    )
    capital_award: Float = C(
        "careers.capital_award", "capital", "Capital from the protected time of a career-development award",
        "serves successful K awardees' publications, Jagsi et al., Acad Med 2011", ge=0, le=10
    )
    capital_grant: Float = C(
        "careers.capital_grant", "capital", "Capital from holding an independent grant",
        "serves successful K awardees' publications, Jagsi et al., Acad Med 2011", ge=0, le=10
    )
    capital_collaboration: Float = P(
        0.05, "capital", "Capital per former mentor turned collaborator (up to three)", SRC_DECASTRO_2013, ge=0, le=10
    )
    pubs_per_capital_year: Float = C(
        "careers.pubs_per_capital_year", "publications/year", "Publications a year per unit of research capital",
        "serves early-career publications, " + SRC_ZAORSKY, ge=0, le=100
    )
    capital_by_rank: ByRank = P(
        rv(1.0, 1.25, 1.45), "multiplier", "Research capital scale by rank (labs and teams grow)", ASSUMPTION
    )


class Grants(Section):
    cycle_months: tuple[Int, ...] = P(
        (0, 4, 8), "month of year", "Months of the academic year with grant decisions (three cycles a year)",
        "NIH: three receipt cycles a year"
    )
    min_career_months: Int = P(24, "months", "Career months before a first independent-grant application", ge=0, le=240)
    p_apply_award: Float = P(
        0.25, "probability/cycle", "Chance a career-award holder (current or past) applies in a cycle",
        ASSUMPTION, ge=0, le=1
    )
    p_apply_other: Float = P(
        0.04, "probability/cycle", "Chance another faculty member without a grant applies in a cycle", ASSUMPTION,
        ge=0, le=1
    )
    apply_ratio_women: Float = C(
        "grants.apply_ratio_women", "ratio", "Women's chance of applying in a cycle relative to men's (an "
        "application's success is the same for both)",
        "serves the women's and men's independent grants after a career award (Jagsi et al., Ann Intern Med 2009) "
        "with the gender targets; the mechanism: " + SRC_APPLY, ge=0, le=2
    )
    success_intercept: Float = C(
        "grants.success_intercept", "logit", "Success log-odds at zero covariates",
        "serves K awardees with an R01 by 5 and 10 years, " + SRC_JAGSI_2009, ge=-20, le=20
    )
    success_pubs: Float = P(0.9, "logit per log(pubs/yr)", "Effect of recent publications on success", ge=-10, le=10)
    success_science: Float = P(
        0.2, "logit", "Effect of full science coverage", SRC_MENTORING_EFFECTS, ge=-10, le=10)
    success_skills: Float = P(
        0.3, "logit", "Effect of full skills (grant-writing) coverage", SRC_MENTORING_EFFECTS, ge=-10, le=10)
    success_networking: Float = P(
        0.15, "logit", "Effect of full networking coverage", SRC_MENTORING_EFFECTS, ge=-10, le=10)
    grant_months: Int = P(60, "months", "Length of an independent grant", "NIH R01: typically five years", ge=1, le=240)
    p_renewal: Float = P(0.45, "probability", "Chance a grant is renewed when it ends", ge=0, le=1)
    career_award_months: Int = P(
        60, "months", "Length of a career-development award", "NIH K08/K23: up to five years", ge=1, le=240
    )
    funding_gap_months: Int = P(
        24, "months", "How long losing funding (an award or grant ending unreplaced) raises the exit hazard",
        ge=0, le=240
    )

    @model_validator(mode="after")
    def _check(self) -> Grants:
        if not self.cycle_months or any(not 0 <= m <= 11 for m in self.cycle_months):
            raise CrossFieldError("cycle_months must list one or more months of the academic year, each from 0 to 11",
                                  "cycle_months")
        if len(set(self.cycle_months)) != len(self.cycle_months):
            raise CrossFieldError("cycle_months must not repeat a month", "cycle_months")
        return self


class Promotion(Section):
    review_years_associate: Float = P(
        6.0, "years", "Years in rank before the review for associate professor", SRC_AAMC_PROMO, ge=1, le=30
    )
    review_years_full: Float = P(
        7.0, "years", "Years in rank before the review for full professor", ASSUMPTION, ge=1, le=30
    )
    clock_spread_years: Float = P(
        1.0, "years", "Half-width of the spread of a person's review clock around review_years_* (uniform): "
        "clocks differ between institutions and tracks, and appointments fall at any time of year",
        "assumption: promotion clocks of 5-8 years for associate are usual (" + SRC_AAMC_PROMO + ")", ge=0, le=10
    )
    early_years: Float = P(
        2.0, "years", "How many years before the clock a strong candidate may be put up for promotion early",
        "assumption: early promotion is allowed for strong candidates at most schools", ge=0, le=30
    )
    early_margin: Float = C(
        "promotion.early_margin", "score",
        "How far a candidate's expected score must exceed the bar to be put up early",
        "serves the median years to associate with promotion.bar_associate, " + SRC_AAMC_PROMO, ge=0, le=100
    )
    re_review_years: Float = P(2.0, "years", "Years until another review after a failed one", ge=0.5, le=30)
    max_reviews: Int = P(3, "reviews", "Reviews for each promotion before the last verdict", ge=1, le=20)
    up_or_out: Bool = P(False, "-", "Failing the last review for associate professor means leaving")
    weight_pubs: Float = P(1.0, "score per pub/yr", "Review weight of publications per year in rank", ge=0, le=100)
    weight_grant: Float = P(1.0, "score", "Review weight of having held an independent grant", ge=0, le=100)
    weight_career: Float = C(
        "promotion.weight_career", "score", "Review weight of career support (sponsorship) coverage",
        "serves the effect of being mentored at all on promotion (targets mentoring_effect_promoted_10y, "
        "mentoring_effect_years_to_associate)", ge=0, le=100
    )
    noise_sigma: Float = P(0.6, "score", "Spread of review judgement", ge=0, le=100)
    bar_associate: Float = C(
        "promotion.bar_associate", "score", "Score needed for associate professor",
        "serves assistant professors promoted, " + SRC_AAMC_PROMO, ge=-100, le=100
    )
    bar_full: Float = C(
        "promotion.bar_full", "score", "Score needed for full professor",
        "serves full professors' share of the faculty, " + SRC_AAMC_2017, ge=-100, le=100
    )
    failed_review_hazard_ratio: Float = P(
        2.0, "ratio", "Exit hazard multiplier in the year after a failed review", ge=1, le=100
    )
    failed_review_months: Int = P(12, "months", "How long a failed review raises the exit hazard", ge=0, le=240)


class Exits(Section):
    hazard_initial: Float = C(
        "exits.hazard_initial", "per year", "Attrition hazard at hire (front-loaded)",
        "serves exits within 3 and 10 years, " + SRC_BUCKLIN, ge=0, le=5
    )
    hazard_floor: Float = C(
        "exits.hazard_floor", "per year", "Attrition hazard late in a career",
        "serves exits within 10 years, " + SRC_ALEXANDER_LANG, ge=0, le=5
    )
    hazard_decay_years: Float = C(
        "exits.hazard_decay_years", "years", "Time constant with which the front-loaded hazard falls",
        "serves front-loading, " + SRC_BUCKLIN, ge=0.1, le=100
    )
    review_hazard_ratio: Float = P(
        1.4, "ratio", "Hazard multiplier in the year before a promotion review", ge=1, le=100
    )
    unmet_effect: Float = C(
        "exits.unmet_effect", "log-hazard per unit", "Effect of unmet psychosocial and career need",
        "serves the effect of being mentored at all on retention (target mentoring_effect_retention_10y); "
        + SRC_DECASTRO_2013, ge=0, le=20
    )
    satisfaction_effect: Float = P(
        0.15, "log-hazard per unit", "Effect of low satisfaction",
        "assumption: three quarters of exits.unmet_effect's starting value, as before the refit of the mentoring "
        "effects; " + SRC_MENTORING_EFFECTS, ge=0, le=20
    )
    funding_loss_hazard_ratio: Float = P(1.8, "ratio", "Hazard multiplier after funding ends unreplaced", ge=1, le=100)
    rejection_effect: Float = P(
        0.12, "log-hazard per rejection", "Effect of each rejection in a row (up to four)", ge=0, le=10
    )
    career_award_hazard_ratio: Float = C(
        "exits.career_award_hazard_ratio", "ratio",
        "Hazard multiplier for career-award holders (committed researchers)",
        "serves K awardees still in academia at 8 years, Jagsi et al., Acad Med 2011", ge=0, le=10
    )
    satisfaction_months: Float = P(
        12.0, "months", "Time constant of satisfaction (a moving average of coverage)", ge=1, le=240
    )
    retirement_midpoint_years: Float = P(
        33.0, "years", "Career years at which the retirement hazard is half its maximum", ge=1, le=80
    )
    retirement_spread_years: Float = P(3.0, "years", "Spread of the retirement hazard's rise", ge=0.1, le=30)
    retirement_max: Float = P(0.35, "per year", "Retirement hazard late in a career", ge=0, le=5)


class Caregiving(Section):
    """Caregiving in the early career: the named mechanism behind part of the gender gaps outside
    mentoring (docs/ODD.md, 7.15)."""
    share_parents: Float = P(
        0.7, "share", "Share of hires (women and men alike) raising young children during the early career",
        "assumption: most of the K awardees surveyed by " + SRC_JOLLY + " were partnered parents", ge=0, le=1
    )
    start_years: tuple[Float, Float] = P(
        (0.0, 6.0), "years", "Range of career years at which the years with young children begin (uniform)",
        ASSUMPTION
    )
    years: Float = P(6.0, "years", "Length of the years with young children (until school age)", ASSUMPTION,
                     ge=0, le=30)
    extra_hours_women: Float = P(
        8.5, "hours/week", "Parenting and domestic hours a week of women parents beyond those of men parents",
        SRC_JOLLY + ": 8.5 more hours a week, adjusted for work hours and spousal employment", ge=0, le=60
    )
    extra_hours_men: Float = P(
        0.0, "hours/week", "Parenting and domestic hours a week of men parents beyond the reference (men)",
        SRC_JOLLY + " (men are the reference)", ge=0, le=60
    )
    research_hours: Float = P(
        42.0, "hours/week", "Research hours a week in the early career, from which the extra hours are taken",
        "assumption: 75% protected research effort (the K08/K23 requirement) of a 56-hour week", ge=1, le=100
    )
    exit_effect: Float = C(
        "caregiving.exit_effect", "log-hazard per unit", "Effect of the caregiving load (extra hours / research "
        "hours) on the exit hazard during the years with young children: work-life exits",
        "serves the women/men 5-year attrition ratio (Chen et al., JAMA Netw Open 2023) with the gender targets; "
        "the mechanism: " + SRC_WORK_LIFE, ge=0, le=50
    )
    extension_share_women: Float = P(
        0.4, "share", "Share of women parents whose promotion clock is extended (stop-the-clock policies)",
        "assumption, in the direction of " + SRC_JOLLY + " (women took time off for child-care disruptions "
        "42.6% vs men 12.4%)", ge=0, le=1
    )
    extension_share_men: Float = P(
        0.12, "share", "Share of men parents whose promotion clock is extended", "assumption (as for women)",
        ge=0, le=1
    )
    extension_years: Float = P(1.0, "years", "Years a clock extension adds to the promotion clock",
                               "one year per child is the usual stop-the-clock policy", ge=0, le=5)

    @model_validator(mode="after")
    def _check(self) -> Caregiving:
        check_ranges(self, "start_years")
        return self


class Startup(Section):
    """Start-up resources at hire: the second named mechanism outside mentoring (docs/ODD.md, 7.15)."""
    capital: Float = C(
        "startup.capital", "capital", "Research capital a start-up package at the men's median supports, during the "
        "start-up years",
        "serves the women's and men's independent grants after a career award (Jagsi et al., Ann Intern Med 2009) "
        "with the gender targets", ge=0, le=10
    )
    years: Float = P(3.0, "years", "Years a start-up package lasts", "assumption: packages usually run about 3 years",
                     ge=0, le=20)
    women_ratio: Float = P(
        0.39, "ratio", "Women's start-up package as a share of men's",
        SRC_SEGE + ": medians $350,000 vs $889,000", ge=0, le=5
    )


SRC_SCHLOSS = ("Schloss et al., Acad Med 2009;84:32-36 (recruiting, hiring and lost clinical income to replace a "
               "departing faculty member: $115,554 a generalist, $286,503 a subspecialist, $587,125 a surgical "
               "subspecialist)")


class Costs(Section):
    """What a comparison's costs and savings are computed with: the `[costs]` table of a scenario
    file (`config.scenario.scenario_costs`). Not a simulation parameter: costs change no run (they
    are not part of `Params`, so a new price re-runs nothing); an analyst replaces these defaults
    with their institution's own."""
    departure: Float = P(
        286_503.0, "US$ per departure", "Cost of one faculty departure (recruiting, hiring, lost clinical income "
        "while the post is filled); the subspecialist figure, between the generalist's and the surgical "
        "subspecialist's", SRC_SCHLOSS, ge=0, le=1e8)
    mentor_hour: Float = P(
        150.0, "US$ per hour", "Value of an hour of a mentor's time",
        "assumption: about $250,000 a year of salary and 25% benefits over 2,080 working hours; replace with your "
        "institution's figure (e.g. the AAMC Faculty Salary Report for the mentors' ranks and specialties)",
        ge=0, le=1e5)
    programme_per_protege: Float = P(
        0.0, "US$ per protege per year", "Fixed programme cost per protege (coordination, training, events)",
        "assumption: none by default", ge=0, le=1e7)


class Recording(Section):
    hole_threshold: Float = P(
        0.25, "coverage", "Coverage below which a function counts as badly uncovered (a hole)", ge=0, le=1
    )
    covered_threshold: Float = P(
        0.5, "coverage", "Coverage at or above which a function counts as covered (for 'every function covered')",
        ge=0, le=1
    )
    hole_min_need: Float = P(0.4, "support units/month", "Need below which a function cannot be a hole", ge=0, le=100)


class Params(BaseModel):
    """A fully resolved scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    name: Str = P("scenario", "-", "Scenario name (results go to results/NAME/)", pattern=NAME_PATTERN, max_length=80)
    description: Str = P("", "-", "The question the scenario answers")
    seed: Int = P(1, "-", "Random seed; the same seed gives the same people in every scenario", ge=0, le=2**62)
    horizon_years: Int = P(40, "years", "Simulated years (one step is one month)", ge=1, le=200)
    # the sections are made with each Params (the calibrated defaults are read then, not at import)
    population: Population = Field(default_factory=Population)
    hiring: Hiring = Field(default_factory=Hiring)
    needs: Needs = Field(default_factory=Needs)
    mentors: Mentors = Field(default_factory=Mentors)
    mentoring: Mentoring = Field(default_factory=Mentoring)
    committee: Committee = Field(default_factory=Committee)
    network: Network = Field(default_factory=Network)
    peers: Peers = Field(default_factory=Peers)
    facilitated_peer: FacilitatedPeer = Field(default_factory=FacilitatedPeer)
    careers: Careers = Field(default_factory=Careers)
    grants: Grants = Field(default_factory=Grants)
    promotion: Promotion = Field(default_factory=Promotion)
    exits: Exits = Field(default_factory=Exits)
    caregiving: Caregiving = Field(default_factory=Caregiving)
    startup: Startup = Field(default_factory=Startup)
    recording: Recording = Field(default_factory=Recording)

    @property
    def n_months(self) -> int:
        return 12 * self.horizon_years

    @property
    def peers_on(self) -> bool:
        return self.mentoring.peers or MENTORING_MODELS[self.mentoring.model].peer_groups

    @property
    def n_mentor_slots(self) -> int:
        return MENTORING_MODELS[self.mentoring.model].mentor_slots(self)

    @property
    def n_peer_slots(self) -> int:
        own = MENTORING_MODELS[self.mentoring.model].peer_slots(self)  # in the groups the model forms
        return (self.peers.group_size - 1 if self.peers_on else 0) + own


def describe() -> list[dict[str, Any]]:
    """One row per leaf parameter: dotted name, default, unit, range, meaning, source."""
    rows = []
    defaults = Params()

    def walk(model_cls: type[BaseModel], instance: BaseModel, prefix: str) -> None:
        for name, field in model_cls.model_fields.items():
            value = getattr(instance, name)
            if isinstance(value, Section) and not isinstance(value, (ByFunction, ByRank)):
                walk(type(value), value, f"{prefix}{name}.")
                continue
            extra = field.json_schema_extra or {}
            bounds = [m for m in field.metadata if hasattr(m, "ge") or hasattr(m, "gt") or hasattr(m, "le")]
            lo = hi = None
            for m in bounds:
                lo = getattr(m, "ge", getattr(m, "gt", lo))
                hi = getattr(m, "le", hi)
            if isinstance(value, (ByFunction, ByRank)):
                value = value.model_dump()
            rows.append({
                "name": prefix + name, "default": value, "unit": extra.get("unit", ""),
                "min": lo, "max": hi, "meaning": field.description or "",
                "source": (f"{calibrated_source()}; {extra['source']}" if extra.get("calibrated")
                           else extra.get("source", "")),
            })

    walk(Params, defaults, "")
    return rows
