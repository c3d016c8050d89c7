"""How much memory a run needs, estimated before anything is allocated.

The estimate is built from the declared state (every column's dtype and width, `state.py`),
the capacities the model allocates (positions, the archive of leavers, the tie log, the
candidate pools), and the output tables, with the doubling of growable tables and the
copies made while the tables are built. A test checks it against the measured peak of real
runs (it must not under-estimate, nor over-estimate by more than a factor of three).

`check(params, parallel)` refuses a run that cannot fit in the memory available now, with
the estimate, what is available and what to change, instead of dying half-way with a
`MemoryError`.
"""

from __future__ import annotations

import os

import numpy as np

from simulation.config.params import Params

# people-table bytes per person (65 columns, mostly 8-byte numbers) and tie-table bytes per tie
PEOPLE_ROW_BYTES = 65 * 8
TIE_ROW_BYTES = 6 * 8
# ties started per position-year (an upper bound: networks with peer groups, the most
# tie-hungry model, start about 0.55)
TIES_PER_POSITION_YEAR = 0.6
GROWTH = 1.5  # a growing table holds its old and new arrays while it doubles; tables are copied once
FIXED_BYTES = 64 * 2**20  # the kernels' tables by month, the recorder, Python objects


class MemoryShortError(ValueError):
    """A run that cannot fit in the memory available; the message says what to change."""


def row_bytes(n_slots: int) -> int:
    """Bytes of one faculty row (every declared faculty and observation column, at its width)."""
    from simulation.model.state import FACULTY_COLUMNS, N_CAREER_YEARS, N_FUNCTIONS, OBSERVATION_COLUMNS, slot_width

    width = {"": 1, "F": N_FUNCTIONS, "K": slot_width(n_slots), "Y": N_CAREER_YEARS, "S": 3}
    return sum(np.dtype(c.dtype).itemsize * width[c.width] for c in FACULTY_COLUMNS + OBSERVATION_COLUMNS)


def estimate_bytes(params: Params) -> int:
    """Peak memory of one run of `params`, in bytes (an upper estimate)."""
    from simulation.model.mentoring import plan_buffers, plan_width, pools_bytes_per_position
    from simulation.model.state import TIE_LOG_COLUMNS, archive_capacity, slot_width

    n = params.population.n_faculty
    years = params.horizon_years
    n_slots = params.n_mentor_slots + params.n_peer_slots
    row = row_bytes(n_slots)
    leavers = archive_capacity(n, years)  # the archive of leavers as the model sizes it
    ties = n * (4 + TIES_PER_POSITION_YEAR * years)
    tie_row = sum(np.dtype(c.dtype).itemsize for c in TIE_LOG_COLUMNS)
    live = n * row + n * slot_width(n_slots) * 2 * 8  # and the exits phase's mentor-loss buffer (value, share)
    archive = leavers * row
    tie_log = GROWTH * ties * tie_row
    pools = n * pools_bytes_per_position() + n * 3 * 4  # cards, pool lists, keys, positions; active/hired/left
    # the mentoring pass's plans, one row per position (the size of one row, from the buffers themselves)
    plans = n * sum(a.nbytes for a in plan_buffers(1, plan_width(params)))
    tables = GROWTH * ((n + leavers) * PEOPLE_ROW_BYTES + ties * TIE_ROW_BYTES)
    return int(live + archive + tie_log + pools + plans + tables + FIXED_BYTES)


def available_bytes() -> int | None:
    """Memory available to new allocations now (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check(params: Params, parallel: int = 1, source: str = "population.n_faculty") -> int:
    """Refuse `parallel` simultaneous runs of `params` that cannot fit in available memory."""
    need = estimate_bytes(params) * max(1, parallel)
    have = available_bytes()
    if have is not None and need > have:
        runs = f"{parallel} runs at once" if parallel > 1 else "the run"
        fix = ("lower --workers, " if parallel > 1 else "") + "lower population.n_faculty or horizon_years"
        raise MemoryShortError(
            f"{source} = {params.population.n_faculty}: {runs} would need about {gb(need)} of memory and "
            f"{gb(have)} is available; {fix}"
        )
    return need
