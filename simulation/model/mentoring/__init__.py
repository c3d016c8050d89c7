"""The mentoring models: who mentors whom, month by month (phase 3, docs/ODD.md).

- dyad: one senior mentor at the same institution, chosen at hire by research fit among
  those with room, kept until one of them leaves, replaced after a delay.
- committee: a fixed team (`committee_size` per person, which may be 1), chosen once to
  cover the protege's needs, members replaced only when they leave.
- network: up to `max_ties` mentors; every `reshape_months` the protege looks at which
  functions are least met, samples candidates (seniors at the institution and, when
  allowed, elsewhere), adds the best, and drops or replaces the least useful tie.
- peer: no senior mentors; same-stage peer groups only.
- none: no formal mentoring (peer groups only if `mentoring.peers`).

Layers on any model: peer groups (`mentoring.peers`), external ties, a cap on proteges
per mentor, the women-mentor policy. Candidates must have room (`support.has_room`).

The modules:

- registry.py: the models' modules, found by name (`MODULES`), and the code generated from their
  declarations: the dispatch by model code, `Consts` (consts.py) and the `Planner` (planner.py);
- dyad.py, committee.py, network.py, peer.py, none.py: one model each, with the same interface
  (`at_hire`, `due`, `plan`, `plan_width`, and the declarations `PARAMETERS` and
  `PLANNER_COLUMNS`; see registry.py);
- planner.py: the steps a model plans with (unmet needs, the search, recruit, drop) and the
  support a new tie would give;
- two_phase.py: the pass that runs the plans (in parallel) and carries them out (serially), and
  the plans' buffers (`Plans`);
- pools.py: the candidate pools and cards (`Pools`), rebuilt each month;
- ties.py: a tie (`Tie`) starts or ends (log, slots, loads); groups.py: peer groups;
- consts.py: the kernels' scalar parameters (`Consts`).

Other phases use only what this module exports: the pools are allocated and rebuilt here,
and the exits phase ends a leaver's ties with `end_ties_of_leaver` and cuts ties to leavers
with `close_slot`.
"""

from simulation.model.mentoring.groups import join_peer_groups
from simulation.model.mentoring.planner import fit_table, predict_support
from simulation.model.mentoring.pools import N_BUCKETS, Pools, build_pools, new_pools, pools_bytes_per_position
from simulation.model.mentoring.registry import (
    COMMITTEE, DYAD, NETWORK, PEER_MODEL, arrange, arranges, at_hire, plan_width,
)
from simulation.model.mentoring.ties import Tie, close_slot, end_ties_of_leaver
from simulation.model.mentoring.two_phase import (
    N_PLAN_CHUNKS, Plans, apply_plans, maintain_ties, plan_all, plan_buffers, plan_range,
)

__all__ = [
    "COMMITTEE", "DYAD", "NETWORK", "N_BUCKETS", "N_PLAN_CHUNKS", "PEER_MODEL", "Plans", "Pools", "Tie",
    "apply_plans", "arrange", "arranges", "at_hire",
    "build_pools", "close_slot", "end_ties_of_leaver", "fit_table", "join_peer_groups", "maintain_ties",
    "new_pools", "plan_all", "plan_buffers", "plan_range", "plan_width", "pools_bytes_per_position",
    "predict_support",
]
