"""The archive kernels, generated column by column from the declarations in state.py, against them."""

import numpy as np
import pytest

from pathlib import Path

from simulation.model import codegen, state
from simulation.model.state import (
    FACULTY_COLUMNS, OBSERVATION_COLUMNS, POSITION_COLUMNS, FacultyTuple, ObservationTuple, Table,
    archive_observation, archive_rows,
)

N_ROWS, N_SLOTS = 12, 4


def _not_fill(col, shape, rng) -> np.ndarray:
    """Values of the column's dtype that all differ from its fill value."""
    if np.dtype(col.dtype) == np.bool_:
        return np.full(shape, not col.fill)
    if np.issubdtype(col.dtype, np.integer):
        return (col.fill + 1 + rng.integers(0, 100, shape)).astype(col.dtype)
    return (col.fill + 1.0 + rng.random(shape)).astype(col.dtype)


@pytest.mark.parametrize("columns, tuple_type, kernel", [
    (FACULTY_COLUMNS, FacultyTuple, archive_rows),
    (OBSERVATION_COLUMNS, ObservationTuple, archive_observation),
], ids=["faculty", "observation"])
def test_archiving_copies_every_kept_column_and_clears_every_column_of_the_rows(columns, tuple_type, kernel):
    rng = np.random.default_rng(5)
    live = Table(columns, tuple_type, N_ROWS, N_SLOTS)
    live.n = N_ROWS
    archive = Table(columns, tuple_type, 8, N_SLOTS, filled=False)
    archive.n = 3  # rows already archived stay as they are
    for col in columns:
        live.arrays[col.name][:] = _not_fill(col, live.arrays[col.name].shape, rng)
        archive.arrays[col.name][:] = _not_fill(col, archive.arrays[col.name].shape, rng)
    before = {name: a.copy() for name, a in live.arrays.items()}
    archive_before = {name: a.copy() for name, a in archive.arrays.items()}
    rows = np.array([7, 2, 10, 0, 0], dtype=np.int32)  # beyond n: not moved
    n = 3
    kernel(live.cols, archive.cols, rows, n, archive.n)
    moved = rows[:n]
    untouched = np.setdiff1d(np.arange(N_ROWS), moved)
    for col in columns:
        lv, ar = live.arrays[col.name], archive.arrays[col.name]
        if col.keep:
            assert np.array_equal(ar[3:3 + n], before[col.name][moved]), col.name
        else:
            assert np.array_equal(ar[3:3 + n], archive_before[col.name][3:3 + n]), col.name
        assert np.array_equal(ar[:3], archive_before[col.name][:3]), col.name
        assert np.array_equal(ar[3 + n:], archive_before[col.name][3 + n:]), col.name
        if col.name in POSITION_COLUMNS:
            assert np.array_equal(lv[moved], before[col.name][moved]), col.name
        else:
            assert np.all(lv[moved] == col.fill), col.name
        assert np.array_equal(lv[untouched], before[col.name][untouched]), col.name


def test_observation_columns_are_a_table_of_their_own():
    faculty = {c.name for c in FACULTY_COLUMNS}
    observation = [c.name for c in OBSERVATION_COLUMNS]
    assert observation and not faculty & set(observation)
    assert all(c.keep for c in OBSERVATION_COLUMNS)  # summaries outlive the tenure


def test_the_archive_kernels_are_what_the_declarations_generate():
    """The kernels in state.py are the generator's output (run `python -m simulation.model.regenerate`
    after declaring a column)."""
    text = Path(state.__file__).read_text()
    assert codegen.region(text, state.REGION) == codegen.expected(state.archive_source())


def test_the_generator_follows_the_declarations(monkeypatch):
    """A column declared (kept or not) gets its copy and its clear, with its fill value by name."""
    extra = (state.Col("x_kept", np.int32, "kept", fill=state.NEVER), state.Col("x_month", np.float64, "not kept",
                                                                                "F", 0.5, keep=False))
    monkeypatch.setattr(state, "FACULTY_COLUMNS", state.FACULTY_COLUMNS + extra)
    source = state.archive_source()
    assert "        a_x_kept[k] = l_x_kept[r]\n        l_x_kept[r] = NEVER\n" in source
    assert "    l_x_month = live.x_month\n" in source and "a_x_month" not in source
    assert "            l_x_month[r, q] = 0.5\n" in source
    assert "1073741824" not in source
