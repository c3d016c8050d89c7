import numpy as np

from simulation.model.mesa_model import CareerModel
from simulation.config.params import Params
from simulation.model.population import institution_sizes
from simulation.model.rng import Stream, stream_key

from .conftest import small


def test_institution_sizes_sum_and_respect_minimum():
    sizes = institution_sizes(stream_key(1, Stream.POPULATION), 1000, 12, 0.8, 20)
    assert sizes.sum() == 1000 and sizes.min() >= 20 and len(sizes) == 12


def test_initial_population_matches_rank_and_gender_composition():
    p = Params.model_validate({"population": {"n_faculty": 20000, "n_institutions": 20}})
    m = CareerModel(p)
    fs = m.faculty
    for r, name in enumerate(("assistant", "associate", "full")):
        in_rank = fs.rank == r
        assert abs(in_rank.mean() - getattr(p.population.share_rank, name)) < 0.015
        assert abs(fs.female[in_rank].mean() - getattr(p.population.share_women, name)) < 0.02
    years = -fs.hire_month / 12
    assert years[fs.rank == 2].min() >= p.population.career_years_min.full - 1e-9
    assert years[fs.rank == 0].max() <= p.population.career_years_max.assistant + 1e-9


def test_hires_fill_vacancies_and_are_keyed_by_institution_sequence():
    m = CareerModel(small("status_quo", "population.n_faculty=4000"))
    for _ in range(24):
        m.step()
    fs, ins = m.everyone(), m.institutions
    assert np.all(ins.n_active <= ins.target_size)
    assert np.all(ins.n_active >= ins.target_size - ins.target_size.max())
    hires = ~fs.initial
    keys = fs.person_key[hires]
    inst_from_key = (keys >> np.uint64(40)).astype(np.int64) - 1
    assert np.array_equal(inst_from_key, fs.institution[hires])
    for i in range(ins.n):
        seqs = np.sort((keys[inst_from_key == i] & np.uint64(2**40 - 1)).astype(np.int64))
        assert np.array_equal(seqs, np.arange(len(seqs)))  # the k-th hire, no gaps
    assert hires.sum() > 200 and abs(fs.female[hires].mean() - 0.47) < 0.08
