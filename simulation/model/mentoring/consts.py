"""The scalar parameters of the mentoring kernels, as one tuple of numbers."""

from __future__ import annotations

from collections import namedtuple

from numba import njit

from simulation.model.rng import Stream

Consts = namedtuple("Consts", (
    "n_mentor_slots", "model_code", "candidates", "replace_delay", "external_ties", "women_policy",
    "cap_mentees", "max_new_per_search", "reshape_months", "drop_below", "switch_margin",
    "collaboration_after", "share_external", "w_primary", "w_secondary", "w_external", "contact_new",
    "comfortable", "exponent", "admin_loss", "protected_time", "trainee_weight", "discount",
    "mentoring_key", "fit_key",
))


@njit(cache=True)
def consts(kp, keys):
    """The scalar parameters of the mentoring kernels (a tuple of numbers: free to pass around)."""
    return Consts(
        kp.n_mentor_slots, kp.model_code, kp.mentoring_candidates, kp.mentoring_replace_delay_months,
        kp.mentoring_external_ties, kp.mentoring_women_mentor_policy, kp.mentoring_cap_mentees,
        kp.network_max_new_per_search, kp.network_reshape_months, kp.network_drop_below,
        kp.network_switch_margin, kp.network_collaboration_after_months, kp.network_share_external,
        kp.mentoring_weight_primary, kp.mentoring_weight_secondary, kp.mentoring_weight_external,
        kp.contact_by_age[0], kp.mentors_comfortable_load, kp.mentors_overload_exponent,
        kp.mentors_admin_capacity_loss, kp.mentoring_protected_time, kp.mentors_trainee_weight,
        1.0 / (1.0 + kp.mentoring_concordance_gain), keys[Stream.MENTORING], keys[Stream.FIT],
    )
