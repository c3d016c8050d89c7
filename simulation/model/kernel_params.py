"""The parameters as the kernels see them: every leaf of a `Params` flattened into one structref
(a namedtuple when numba's JIT is off), plus the tables derived from them.

`config.params` is the schema (numba-free); this module is where the model core turns it into
numbers. A parameter added to the schema reaches the kernels here with no other change, as
`section_field`.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Literal, get_origin

import numpy as np
from numba import config as numba_config
from numba import njit, types
from numba.experimental import structref

from simulation.config.params import FUNCTIONS, MENTORING_MODELS, MODELS, ByFunction, ByRank, Params, Section


# --- the flat view the kernels read -------------------------------------------------------

def _flatten(params: Params) -> dict[str, Any]:
    """Every leaf parameter as `section_field` (vectors as float64 arrays)."""
    out: dict[str, Any] = {}
    for section_name in Params.model_fields:
        section = getattr(params, section_name)
        if not isinstance(section, Section):
            continue
        for field in type(section).model_fields:
            value = getattr(section, field)
            key = f"{section_name}_{field}"
            if isinstance(value, (ByFunction, ByRank)):
                out[key] = value.array()
            elif isinstance(value, tuple):
                kind = np.float64 if any(isinstance(v, float) for v in value) else np.int64
                out[key] = np.array(value, dtype=kind)
            elif isinstance(value, bool):
                out[key] = value
            elif isinstance(value, int):
                out[key] = np.int64(value)
            elif isinstance(value, float):
                out[key] = np.float64(value)
            # strings (the model name) are encoded below
    return out


def _derived(params: Params) -> dict[str, Any]:
    from simulation.model.exits import baseline_hazard_table, retirement_table
    from simulation.model.mentoring import fit_table
    from simulation.model.support import contact_table, quality_table

    n = params.needs
    # tables by month: long enough for the longest career the run can reach
    career_months = 12 * (int(params.population.career_years_max.full) + params.horizon_years + 2)
    e = params.exits
    # senior ties that give a fixed profile for fixed hours (a facilitator; MentoringModel.facilitation)
    facilitation = MENTORING_MODELS[params.mentoring.model].facilitation
    fixed_profile, fixed_hours = facilitation(params) if facilitation else (np.zeros(len(FUNCTIONS)), 0.0)
    return {
        "fit_quantiles": fit_table(params.mentoring.fit_sigma),
        "quality_by_load": quality_table(params.mentors.comfortable_load, params.mentors.overload_exponent),
        "contact_by_age": contact_table(params.mentoring.tie_contact_floor, params.mentoring.tie_decay_years,
                                        12 * params.horizon_years + 1),
        "attrition_by_career_month": baseline_hazard_table(e.hazard_initial, e.hazard_floor, e.hazard_decay_years,
                                                           career_months),
        "retirement_by_career_month": retirement_table(e.retirement_max, e.retirement_midpoint_years,
                                                       e.retirement_spread_years, career_months),
        "need_profiles": np.stack([n.early_assistant.array(), n.late_assistant.array(),
                                   n.associate.array(), n.full.array()]),
        # unmet need is measured against a new assistant professor's need (all; career + psychosocial)
        "need_reference_total": np.float64(max(n.early_assistant.array().sum(), 1e-9)),
        "need_reference_key": np.float64(max(n.early_assistant.career + n.early_assistant.psychosocial, 1e-9)),
        "model_code": np.int64(MODELS.index(params.mentoring.model)),
        "peers_on": params.peers_on,
        "n_mentor_slots": np.int64(params.n_mentor_slots),
        "n_peer_slots": np.int64(params.n_peer_slots),
        "n_months": np.int64(params.n_months),
        "senior_fixed": facilitation is not None,
        "senior_fixed_profile": np.asarray(fixed_profile, dtype=np.float64),
        "senior_fixed_hours": np.float64(fixed_hours),
    }


DERIVED = (
    "fit_quantiles", "quality_by_load", "contact_by_age", "attrition_by_career_month", "retirement_by_career_month",
    "need_profiles", "need_reference_total", "need_reference_key", "model_code", "peers_on", "n_mentor_slots",
    "n_peer_slots", "n_months", "senior_fixed", "senior_fixed_profile", "senior_fixed_hours",
)


def _kernel_fields() -> tuple[str, ...]:
    """The names `_flatten` and `_derived` give, from the schema alone (making a Params would
    read the calibration record, and the derived values need the kernel modules, which import
    this one): every field of every section except the strings (the model's name)."""
    names = set(DERIVED)
    for section_name, section in Params.model_fields.items():
        if not (isinstance(section.annotation, type) and issubclass(section.annotation, Section)):
            continue
        for field, info in section.annotation.model_fields.items():
            if info.annotation is not str and get_origin(info.annotation) is not Literal:
                names.add(f"{section_name}_{field}")
    return tuple(sorted(names))


KernelParams = namedtuple("KernelParams", _kernel_fields())


@structref.register
class KernelParamsType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class KernelParamsStruct(structref.StructRefProxy):
    """The parameters as the kernels see them (a structref: one pointer per call)."""


structref.define_constructor(KernelParamsStruct, KernelParamsType, list(KernelParams._fields))
structref.define_boxing(KernelParamsType, KernelParamsStruct)


@njit(cache=True)
def _kernel_params_struct(t):
    return KernelParamsStruct(*t)


def kernel_params(params: Params) -> KernelParamsStruct:
    """The parameters as numbers and float arrays, for the numba kernels."""
    derived = _derived(params)
    assert set(derived) == set(DERIVED), "DERIVED must list exactly the derived kernel parameters"
    values = {**_flatten(params), **derived}
    if numba_config.DISABLE_JIT:  # plain Python kernels read the namedtuple
        return KernelParams(**values)
    return _kernel_params_struct(KernelParams(**values))
