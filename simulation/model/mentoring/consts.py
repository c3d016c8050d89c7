"""The scalar parameters of the mentoring kernels, as one tuple of numbers (free to pass around
and read as locals in the planning loops).

Each field is the kernel parameter of the same name (`kp.<name>`, model/kernel_params.py), but
the four derived at the end: the contact factor of a new tie, the concordance discount, and the
two random streams' keys. `tests/test_mentoring.py` checks every same-named field against `kp`.
"""

from __future__ import annotations

from collections import namedtuple

from numba import njit

from simulation.model.rng import Stream

SAME_AS_PARAMETERS = (
    "n_mentor_slots", "model_code", "mentoring_candidates", "mentoring_replace_delay_months",
    "mentoring_external_ties", "mentoring_women_mentor_policy", "mentoring_cap_mentees",
    "network_max_new_per_search", "network_reshape_months", "network_drop_below", "network_switch_margin",
    "network_collaboration_after_months", "network_share_external", "mentoring_weight_primary",
    "mentoring_weight_secondary", "mentoring_weight_external", "mentors_comfortable_load",
    "mentors_overload_exponent", "mentors_admin_capacity_loss", "mentoring_protected_time",
    "mentors_trainee_weight",
)
DERIVED = ("contact_new", "discount", "mentoring_key", "fit_key")
Consts = namedtuple("Consts", SAME_AS_PARAMETERS + DERIVED)


@njit(cache=True)
def consts(kp, keys):
    """The scalar parameters of the mentoring kernels (a tuple of numbers: free to pass around)."""
    return Consts(
        kp.n_mentor_slots, kp.model_code, kp.mentoring_candidates, kp.mentoring_replace_delay_months,
        kp.mentoring_external_ties, kp.mentoring_women_mentor_policy, kp.mentoring_cap_mentees,
        kp.network_max_new_per_search, kp.network_reshape_months, kp.network_drop_below, kp.network_switch_margin,
        kp.network_collaboration_after_months, kp.network_share_external, kp.mentoring_weight_primary,
        kp.mentoring_weight_secondary, kp.mentoring_weight_external, kp.mentors_comfortable_load,
        kp.mentors_overload_exponent, kp.mentors_admin_capacity_loss, kp.mentoring_protected_time,
        kp.mentors_trainee_weight,
        # derived
        kp.contact_by_age[0], 1.0 / (1.0 + kp.mentoring_concordance_gain), keys[Stream.MENTORING], keys[Stream.FIT],
    )
