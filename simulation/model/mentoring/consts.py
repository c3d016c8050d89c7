"""The scalar parameters of the mentoring kernels, as one tuple of numbers (`Consts`: free to pass
around and read as locals in the planning loops).

Each field is the kernel parameter of the same name (`kp.<name>`, model/kernel_params.py): those
the planner's shared steps read (`COMMON`), then those each model's module declares it reads
(its `PARAMETERS`, in the models' code order), then the derived ones (`DERIVED_AS`: the contact
factor of a new tie, the concordance discount, and the two random streams' keys). `Consts` and
`consts` are generated from these declarations by registry.py (`consts_source`); run
`python -m simulation.model.regenerate` after changing one. `tests/test_mentoring.py` checks
every same-named field against `kp`.
"""

from __future__ import annotations

from collections import namedtuple

from numba import njit

from simulation.model.rng import Stream

# the kernel parameters the shared steps read (planner.py, two_phase.py)
COMMON = (
    "n_mentor_slots", "model_code", "mentoring_candidates", "mentoring_external_ties",
    "mentoring_women_mentor_policy", "mentoring_cap_mentees", "network_share_external", "mentoring_weight_primary",
    "mentoring_weight_secondary", "mentoring_weight_external", "mentors_comfortable_load",
    "mentors_overload_exponent", "mentors_admin_capacity_loss", "mentoring_protected_time",
    "mentors_trainee_weight",
)
# the derived constants: name and expression (of `kp` and the streams' `keys`)
DERIVED_AS = {
    "contact_new": "kp.contact_by_age[0]",
    "discount": "1.0 / (1.0 + kp.mentoring_concordance_gain)",
    "mentoring_key": "keys[Stream.MENTORING]",
    "fit_key": "keys[Stream.FIT]",
}
DERIVED = tuple(DERIVED_AS)
REGION = "mentoring constants"  # the generated region (codegen.py)

# --- generated: mentoring constants (python -m simulation.model.regenerate); do not edit ---


SAME_AS_PARAMETERS = (
    "n_mentor_slots", "model_code", "mentoring_candidates", "mentoring_external_ties",
    "mentoring_women_mentor_policy", "mentoring_cap_mentees", "network_share_external", "mentoring_weight_primary",
    "mentoring_weight_secondary", "mentoring_weight_external", "mentors_comfortable_load",
    "mentors_overload_exponent", "mentors_admin_capacity_loss", "mentoring_protected_time",
    "mentors_trainee_weight", "mentoring_replace_delay_months", "network_max_new_per_search",
    "network_reshape_months", "network_drop_below", "network_switch_margin", "network_collaboration_after_months",
)
Consts = namedtuple("Consts", SAME_AS_PARAMETERS + DERIVED)


@njit(cache=True)
def consts(kp, keys):
    """The scalar parameters of the mentoring kernels (a tuple of numbers: free to pass around)."""
    return Consts(
        kp.n_mentor_slots, kp.model_code, kp.mentoring_candidates, kp.mentoring_external_ties,
        kp.mentoring_women_mentor_policy, kp.mentoring_cap_mentees, kp.network_share_external,
        kp.mentoring_weight_primary, kp.mentoring_weight_secondary, kp.mentoring_weight_external,
        kp.mentors_comfortable_load, kp.mentors_overload_exponent, kp.mentors_admin_capacity_loss,
        kp.mentoring_protected_time, kp.mentors_trainee_weight, kp.mentoring_replace_delay_months,
        kp.network_max_new_per_search, kp.network_reshape_months, kp.network_drop_below, kp.network_switch_margin,
        kp.network_collaboration_after_months,
        # derived
        kp.contact_by_age[0], 1.0 / (1.0 + kp.mentoring_concordance_gain), keys[Stream.MENTORING],
        keys[Stream.FIT],
    )


# --- end of generated mentoring constants ---
