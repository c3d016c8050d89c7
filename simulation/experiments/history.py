"""History matching: which parameter values the published figures do not rule out, and an ensemble drawn from them.

The free parameters (their prior box) and the targets (their bands and uncertainties) are the data of
`targets.toml`. A history match runs in waves (Andrianakis et al., PLOS Comput Biol 2015; Vernon et
al., Bayesian Anal 2010):

1. design: a space-filling set of points (scipy.stats.qmc) in the space not yet ruled out (wave 1: the
   whole prior box);
2. runs: each point on `replicates` seeds (the runs of a point give the model's own variance);
3. emulators: per target, a Gaussian process (scikit-learn; a linear trend, then an anisotropic Matern
   5/2 kernel on the residuals, the replicate variance as each point's known noise), checked by
   leave-one-out (the share of standardised errors within +/-3);
4. cut: the implausibility of a point for target t is

       I_t(x) = |z_t - E[f_t(x)]| / sqrt(V_emulator(x) + V_observation + V_discrepancy + V_model)

   (z_t the published value, V_model the variance of one run at x, pooled over the design), and a
   point is ruled out when the largest (`measure = "max"`) or second largest ("second") I_t exceeds
   the cut-off (3, Pukelsheim's three-sigma rule). A point must pass every wave so far.

The waves stop when a wave keeps more than `stop_ratio` of the previous wave's volume (the space stops
shrinking), when nothing is left, or after `waves`. The volume kept is a product of shares: wave 1's,
of a fixed quasi-random sample of the prior box (`sample` points); each later wave's, of the
candidates its design was chosen from (points spread over the space the earlier waves left, grown
from their survivors by perturbation, so about, not exactly, uniform in it).

The ensemble (`draw_ensemble`): candidates in the final space not ruled out are weighted by the
emulators' Gaussian likelihood of the published figures, and `n` members are drawn by systematic
resampling (sampling-importance-resampling, Rubin 1988). `check_ensemble` runs the members and gives
every target's posterior-predictive mean and 90% interval.

Folder layout (`careersim calibrate --history-match --out FOLDER`):

    FOLDER/history.json        free parameters, targets, settings, versions and machine; the waves' summary
    FOLDER/waves.csv           per wave: points, runs, volume kept, emulator check, seconds
    FOLDER/wave_NN/design.parquet     the wave's points (one column per free parameter)
    FOLDER/wave_NN/runs_BBBB.parquet  the runs, written in batches as they finish (point, replicate,
                                      seed, one column per target)
    FOLDER/wave_NN/emulators.csv      per target: model sd, leave-one-out check, kernel
    FOLDER/wave_NN/emulators.pkl      the fitted emulators, with a fingerprint of what they were fitted on
    FOLDER/wave_NN/sample.parquet     the prior-box sample with its implausibility after this wave
    FOLDER/wave_NN/kept.parquet       points not ruled out after this wave (the next wave grows from them)
    FOLDER/ensemble.parquet           the drawn members (after `--ensemble N`)

A history match started again on its folder continues where it stopped: a wave's design is recomputed
from the waves before it (the same design: the emulators are refitted on the same runs) and checked
against the saved one, and only the batches of runs not yet written are run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.util import destination
from simulation.util.progress import step

# points, seeds -> per point, per seed, each target's value by id
Simulator = Callable[[list[dict[str, float]], list[int]], list[list[dict[str, float]]]]

MEASURES = ("max", "second")
KIND = "history match"


@dataclass(frozen=True)
class Observed:
    """What a target says, for the history match: its published value and the variances around it."""
    id: str
    value: float
    obs_var: float  # the published figure's own uncertainty
    disc_var: float  # model discrepancy: what the model cannot represent, whatever its parameters


@dataclass(frozen=True)
class Prior:
    name: str
    low: float
    high: float
    block: str = ""


@dataclass(frozen=True)
class Settings:
    points: int = 0  # per wave; 0: 5 per free parameter
    replicates: int = 2
    waves: int = 5
    cutoff: float = 3.0
    measure: str = "max"
    stop_ratio: float = 0.8
    sample: int = 20_000
    seed: int = 3000
    batch: int = 24  # points per saved batch of runs (each batch starts the executor once)

    def n_points(self, d: int) -> int:
        return self.points or 5 * d

    def validate(self) -> None:
        if self.replicates < 2:
            raise ValueError("replicates must be at least 2: the runs of a point give the model's own variance")
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {self.measure!r}")
        for name in ("waves", "sample", "batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.cutoff > 0:
            raise ValueError("the implausibility cut-off must be positive")


# --- emulators ---------------------------------------------------------------------------------

class Emulator:
    """One target's Gaussian-process emulator on the unit cube: a linear trend (least squares), then a
    GP with an anisotropic Matern 5/2 kernel on the residuals; each point's noise is known (the
    variance of its replicates' mean), so the GP interpolates the mean, not the runs."""

    def __init__(self, x: np.ndarray, y: np.ndarray, noise_var: np.ndarray):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern

        n, d = x.shape
        design = np.column_stack([np.ones(n), x])
        self.beta = np.linalg.lstsq(design, y, rcond=None)[0] if n > d + 1 else np.r_[y.mean(), np.zeros(d)]
        resid = y - design @ self.beta
        self.scale = float(resid.std()) or 1.0
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(d, 0.5), (0.05, 50.0), nu=2.5)
        self.gp = GaussianProcessRegressor(kernel, alpha=noise_var / self.scale**2 + 1e-6, normalize_y=False,
                                           n_restarts_optimizer=0, random_state=0)
        import warnings

        with warnings.catch_warnings():  # a length scale at its bound is reported by the leave-one-out check
            warnings.simplefilter("ignore")
            self.gp.fit(x, resid / self.scale)
        self.n = n

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The emulated mean and its variance at each row of x."""
        mean, sd = self.gp.predict(x, return_std=True)
        trend = np.column_stack([np.ones(len(x)), x]) @ self.beta
        return trend + mean * self.scale, (sd * self.scale) ** 2

    def loo(self) -> np.ndarray:
        """Leave-one-out standardised errors (closed form for a GP; the trend held fixed)."""
        from scipy.linalg import cho_solve

        k_inv = cho_solve((self.gp.L_, True), np.eye(self.n))
        d = np.diag(k_inv)
        return self.gp.alpha_ / d * np.sqrt(d)

    def describe(self) -> str:
        return str(self.gp.kernel_)


@dataclass
class Wave:
    number: int
    design: np.ndarray  # unit cube
    emulators: dict[str, Emulator]
    model_var: dict[str, float]
    runs: pd.DataFrame
    diagnostics: pd.DataFrame = field(default_factory=pd.DataFrame)


def residuals(wave: Wave, observed: Sequence[Observed], u: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each target the wave emulates: published value minus emulated mean at each row of u, and the
    variance allowed between them (emulator + observation + discrepancy + one run's own variance)."""
    out = []
    for t in observed:
        em = wave.emulators.get(t.id)
        if em is not None:
            mean, var = em.predict(u)
            out.append((t.value - mean, var + t.obs_var + t.disc_var + wave.model_var[t.id]))
    return out


def implausibility(wave: Wave, observed: Sequence[Observed], u: np.ndarray,
                   measure: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """Per row of u: the wave's implausibility measure (the largest or second largest over targets),
    and the matrix of every target's implausibility (rows x targets with an emulator)."""
    cols = [np.abs(r) / np.sqrt(v) for r, v in residuals(wave, observed, u)]
    if not cols:
        return np.zeros(len(u)), np.zeros((len(u), 0))
    each = np.column_stack(cols)
    ordered = np.sort(each, axis=1)
    k = 1 if measure == "max" or each.shape[1] < 2 else 2
    return ordered[:, -k], each


def cumulative(waves: Sequence[Wave], observed: Sequence[Observed], u: np.ndarray, measure: str) -> np.ndarray:
    """A point's implausibility after several waves: the largest of the waves' measures (a point must
    pass every wave)."""
    out = np.zeros(len(u))
    for w in waves:
        out = np.maximum(out, implausibility(w, observed, u, measure)[0])
    return out


def fit_wave(number: int, design: np.ndarray, runs: pd.DataFrame, observed: Sequence[Observed],
             train: tuple[np.ndarray, pd.DataFrame] | None = None) -> Wave:
    """Emulators of a wave from its runs (and, in `train`, earlier runs inside the wave's space)."""
    x_all, r_all = design, runs
    if train is not None and len(train[0]):
        offset = len(design)
        x_all = np.vstack([design, train[0]])
        r_all = pd.concat([runs, train[1].assign(point=train[1]["point"] + offset)], ignore_index=True)
    emulators, model_var, rows = {}, {}, []
    for t in observed:
        if t.id not in r_all.columns:
            continue
        g = r_all.groupby("point")[t.id]
        mean, var, count = g.mean(), g.var(ddof=1), g.count()
        ok = np.isfinite(mean.to_numpy(float)) & (count.to_numpy() >= 1)
        pooled = float(np.nanmean(var.to_numpy(float))) if np.isfinite(var.to_numpy(float)).any() else np.nan
        if ok.sum() < 3 or not np.isfinite(pooled):
            rows.append({"target": t.id, "points": int(ok.sum()), "model_sd": np.nan, "loo_within_3": np.nan,
                         "loo_max_abs": np.nan, "kernel": "not emulated: too few finite runs"})
            continue
        pts = mean.index.to_numpy()[ok]
        y = mean.to_numpy(float)[ok]
        noise = pooled / count.to_numpy(float)[ok]
        em = Emulator(x_all[pts], y, noise)
        emulators[t.id] = em
        model_var[t.id] = pooled
        z = em.loo()
        rows.append({"target": t.id, "points": int(ok.sum()), "model_sd": float(np.sqrt(pooled)),
                     "loo_within_3": float(np.mean(np.abs(z) <= 3)), "loo_max_abs": float(np.abs(z).max()),
                     "kernel": em.describe()})
    return Wave(number, design, emulators, model_var, runs, pd.DataFrame(rows))


def _fingerprint(design: np.ndarray, runs: pd.DataFrame, observed: Sequence[Observed],
                 train: tuple[np.ndarray, pd.DataFrame] | None) -> str:
    import hashlib

    import sklearn

    h = hashlib.sha256()
    for part in (design, *(train[0:1] if train else ())):
        h.update(np.ascontiguousarray(part, dtype=float).tobytes())
    for frame in (runs, *(train[1:2] if train else ())):
        h.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=True).to_numpy().tobytes())
    h.update(json.dumps([asdict(t) for t in observed]).encode())
    h.update(sklearn.__version__.encode())
    return h.hexdigest()


def fitted_wave(wdir: Path, number: int, design: np.ndarray, runs: pd.DataFrame, observed: Sequence[Observed],
                train: tuple[np.ndarray, pd.DataFrame] | None) -> Wave:
    """`fit_wave`, kept in wdir/emulators.pkl: a wave read again (a resumed match, `load`) reuses the
    emulators fitted on exactly the same runs, targets and scikit-learn version, and refits otherwise
    (the fit is deterministic, so either way they are the same emulators)."""
    import pickle

    key = _fingerprint(design, runs, observed, train)
    path = wdir / "emulators.pkl"
    if path.exists():
        try:
            saved = pickle.loads(path.read_bytes())
            if saved.get("key") == key:
                return saved["wave"]
        except Exception:  # noqa: BLE001 - an unreadable cache is refitted
            pass
    wave = fit_wave(number, design, runs, observed, train)
    destination.write_bytes(path, pickle.dumps({"key": key, "wave": wave}))
    return wave


def earlier_inside(waves: Sequence[Wave], observed: Sequence[Observed],
                   settings: Settings) -> tuple[np.ndarray, pd.DataFrame] | None:
    """The earlier waves' points (unit cube) and runs that lie in the space they have not ruled out:
    they help the next wave's emulators. None before the second wave."""
    if not waves:
        return None
    x = np.vstack([w.design for w in waves])
    offset, parts = 0, []
    for w in waves:
        parts.append(w.runs.assign(point=w.runs["point"] + offset))
        offset += len(w.design)
    keep = np.flatnonzero(cumulative(waves, observed, x, settings.measure) <= settings.cutoff)
    runs = pd.concat(parts, ignore_index=True)
    runs = runs[runs["point"].isin(keep)]
    remap = {old: new for new, old in enumerate(keep)}
    return x[keep], runs.assign(point=runs["point"].map(remap))


# --- designs -----------------------------------------------------------------------------------

def maximin_subset(candidates: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n rows of `candidates` chosen greedily to spread out (each the farthest from those chosen)."""
    if len(candidates) <= n:
        return candidates.copy()
    chosen = [int(rng.integers(len(candidates)))]
    dist = np.linalg.norm(candidates - candidates[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(candidates - candidates[i], axis=1))
    return candidates[chosen]


def space_not_ruled_out(waves: Sequence[Wave], observed: Sequence[Observed], parents: np.ndarray,
                        settings: Settings, want: int, rng: np.random.Generator) -> np.ndarray:
    """At least `want` points of the space the waves have not ruled out: `parents` (points known to be
    in it), and when they are too few, more found by perturbing them (Gaussian steps of half their
    spread, kept when every wave so far lets them pass); or all that could be found."""
    kept = parents
    d = parents.shape[1]
    for _ in range(20):
        if len(kept) >= want or len(kept) == 0:
            break
        spread = np.maximum(kept.std(axis=0) if len(kept) > 1 else np.full(d, 0.05), 0.01)
        parent = kept[rng.integers(len(kept), size=4 * want)]
        cand = np.clip(parent + rng.normal(0, 0.5, parent.shape) * spread, 0, 1)
        ok = cumulative(waves, observed, cand, settings.measure) <= settings.cutoff
        kept = np.vstack([kept, cand[ok]])
    return kept


def prior_sample(settings: Settings, d: int) -> np.ndarray:
    """The fixed quasi-random sample of the prior box that measures volumes: a scrambled Sobol'
    sequence of at least `settings.sample` points (the next power of two, which keeps its balance)."""
    from scipy.stats import qmc

    return qmc.Sobol(d=d, scramble=True, seed=settings.seed).random_base2(int(np.ceil(np.log2(settings.sample))))


# --- the history match -------------------------------------------------------------------------

def to_values(priors: Sequence[Prior], u: np.ndarray) -> list[dict[str, float]]:
    lo = np.array([p.low for p in priors])
    hi = np.array([p.high for p in priors])
    x = lo + np.asarray(u) * (hi - lo)
    return [{p.name: float(v) for p, v in zip(priors, row)} for row in np.atleast_2d(x)]


def to_unit(priors: Sequence[Prior], values: pd.DataFrame) -> np.ndarray:
    lo = np.array([p.low for p in priors])
    hi = np.array([p.high for p in priors])
    return (values[[p.name for p in priors]].to_numpy(float) - lo) / (hi - lo)


def _frame(priors: Sequence[Prior], u: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(to_values(priors, u), columns=[p.name for p in priors]) if len(u) else \
        pd.DataFrame(columns=[p.name for p in priors], dtype=float)


def _wave_runs(folder: Path, design: np.ndarray, priors: Sequence[Prior], observed: Sequence[Observed],
               simulator: Simulator, settings: Settings, number: int, progress: bool) -> pd.DataFrame:
    """The wave's runs, batch by batch; batches already on disk are read, not run again."""
    seeds = [settings.seed + 1000 * number + r for r in range(settings.replicates)]
    values = to_values(priors, design)
    parts = []
    n_batches = -(-len(design) // settings.batch)
    for b in range(n_batches):
        path = folder / f"runs_{b:04d}.parquet"
        if path.exists():
            parts.append(pd.read_parquet(path))
            continue
        idx = list(range(b * settings.batch, min(len(design), (b + 1) * settings.batch)))
        step(f"wave {number}: batch {b + 1} of {n_batches} ({len(idx)} points x {len(seeds)} seeds)", progress)
        out = simulator([values[i] for i in idx], seeds)
        rows = [{"point": i, "replicate": r, "seed": s, **{t.id: float(res.get(t.id, np.nan)) for t in observed}}
                for i, per_seed in zip(idx, out) for r, (s, res) in enumerate(zip(seeds, per_seed))]
        frame = pd.DataFrame(rows)
        destination.write_parquet(frame, path)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["point", "replicate", "seed"])


@dataclass
class HistoryMatch:
    folder: Path
    priors: list[Prior]
    observed: list[Observed]
    settings: Settings
    waves: list[Wave]
    sample: np.ndarray
    sample_impl: np.ndarray
    table: pd.DataFrame  # per wave
    parents: np.ndarray  # points in the space not ruled out after the last wave (unit cube)


def _describe(priors, observed, settings) -> dict:
    return {"free": [asdict(p) for p in priors], "targets": [asdict(t) for t in observed],
            "settings": asdict(settings)}


def history_match(folder: str | Path, priors: Sequence[Prior], observed: Sequence[Observed],
                  simulator: Simulator, settings: Settings = Settings(), progress: bool = True,
                  about: dict | None = None) -> HistoryMatch:
    """Run (or continue) a history match in `folder`; return its waves.

    Parameters
    ----------
    folder : str or Path
        Where the waves are written (a new folder, or one this same match started: it resumes).
    priors : sequence of Prior
        The free parameters and their prior ranges.
    observed : sequence of Observed
        The targets with their observation and discrepancy variances.
    simulator : callable
        ``simulator(points, seeds)`` -> for each point, one dict of target values per seed.
    settings : Settings
        Design size, seeds per point, implausibility cut, stopping rule.
    progress : bool
        Print a line per wave and batch.
    about : dict, optional
        Further description saved in history.json (scenario, targets file).

    Returns
    -------
    HistoryMatch
        The waves (their designs, runs, emulators and kept points) and the prior sample's
        implausibility."""
    from scipy.stats import qmc

    from simulation.run.results import versions

    settings.validate()
    priors, observed = list(priors), list(observed)
    folder = destination.claim(folder, KIND)
    described = {**_describe(priors, observed, settings), **(about or {})}
    meta_path = folder / "history.json"
    earlier: dict[int, float] = {}  # seconds spent on each wave by earlier invocations
    if meta_path.exists():
        saved = json.loads(meta_path.read_text())
        earlier = {int(r["wave"]): float(r.get("seconds", 0.0)) for r in saved.get("waves", [])}
        for key in ("free", "targets"):
            if saved.get(key) != json.loads(json.dumps(described[key])):
                what = "free parameters" if key == "free" else "targets"
                raise ValueError(f"{folder}: this history match was started with other {what} (history.json); "
                                 "give another --out, or the same targets.toml to continue it")
        old = {k: v for k, v in saved["settings"].items() if k not in ("waves", "stop_ratio")}
        new = {k: v for k, v in asdict(settings).items() if k not in ("waves", "stop_ratio")}
        if old != new:
            diff = ", ".join(f"{k} {old.get(k)} -> {new[k]}" for k in new if old.get(k) != new[k])
            raise ValueError(f"{folder}: this history match was started with other settings ({diff}); "
                             "give the same ones to continue it, or another --out")
    if not meta_path.exists():
        destination.write_text(meta_path, json.dumps({**described, "versions": versions(), "waves": []},
                                                     indent=2) + "\n")
    d = len(priors)
    sample = prior_sample(settings, d)
    sample_impl = np.zeros(len(sample))
    waves: list[Wave] = []
    rows: list[dict] = []
    volume = 1.0
    # candidates spread over the space not yet ruled out: first the prior box's sample, then points
    # grown from the survivors of the last wave (`space_not_ruled_out`)
    pool, parents = sample, sample
    n = settings.n_points(d)
    for number in range(1, settings.waves + 1):
        t0 = time.perf_counter()
        wdir = folder / f"wave_{number:02d}"
        if number == 1:
            design = qmc.LatinHypercube(d=d, seed=settings.seed).random(n)
        else:
            rng = np.random.default_rng(settings.seed + number)
            pool = space_not_ruled_out(waves, observed, parents, settings, 10 * n, rng)
            design = maximin_subset(pool, n, rng)
        wdir.mkdir(exist_ok=True)
        design_path = wdir / "design.parquet"
        frame = _frame(priors, design)
        if design_path.exists():
            saved = pd.read_parquet(design_path)
            if saved.shape[0] != len(frame) or not np.allclose(saved[list(frame.columns)].to_numpy(float),
                                                                  frame.to_numpy(float), rtol=0, atol=1e-12):
                raise ValueError(f"{design_path}: the saved design differs from the one the earlier waves give now; "
                                 "the folder holds another history match: give another --out")
        else:
            destination.write_parquet(frame.assign(point=range(len(frame))), design_path)
        step(f"wave {number}: {len(design)} points x {settings.replicates} seeds", progress)
        runs = _wave_runs(wdir, design, priors, observed, simulator, settings, number, progress)
        wave = fitted_wave(wdir, number, design, runs, observed, earlier_inside(waves, observed, settings))
        waves.append(wave)
        wave_impl, _ = implausibility(wave, observed, sample, settings.measure)
        sample_impl = np.maximum(sample_impl, wave_impl)
        # the share of the candidates (about uniform in the space the earlier waves left) this wave keeps
        pool_impl = cumulative(waves, observed, pool, settings.measure)
        survivors = int(np.sum(pool_impl <= settings.cutoff))
        parents = pool[pool_impl <= settings.cutoff]
        if survivors == 0:  # none of the candidates: the waves' own points that pass, if any (volume: at most)
            every = np.vstack([w.design for w in waves])
            parents = every[cumulative(waves, observed, every, settings.measure) <= settings.cutoff]
        new_volume = volume * max(survivors, 1 if len(parents) else 0) / len(pool)
        destination.write_parquet(_frame(priors, parents), wdir / "kept.parquet")
        diag = wave.diagnostics
        destination.write_file(wdir / "emulators.csv", lambda tmp: diag.to_csv(tmp, index=False))
        smp = _frame(priors, sample).assign(implausibility=sample_impl, wave_implausibility=wave_impl)
        destination.write_parquet(smp, wdir / "sample.parquet")
        loo = diag["loo_within_3"].to_numpy(float)
        rows.append({"wave": number, "points": len(design), "runs": int(len(runs)),
                     "emulated_targets": int(np.isfinite(loo).sum()),
                     "volume_kept": new_volume, "volume_ratio": new_volume / volume if volume > 0 else np.nan,
                     "loo_within_3": float(np.nanmean(loo)) if np.isfinite(loo).any() else np.nan,
                     "worst_target": str(diag.loc[np.nanargmin(loo), "target"]) if np.isfinite(loo).any() else "",
                     "worst_loo_within_3": float(np.nanmin(loo)) if np.isfinite(loo).any() else np.nan,
                     "seconds": earlier.get(number, 0.0) + time.perf_counter() - t0})
        step(f"wave {number}: {100 * new_volume:.3g}% of the prior box not ruled out "
             f"({rows[-1]['volume_ratio']:.3g} of the previous); emulators' leave-one-out within 3 sd: "
             f"{rows[-1]['loo_within_3']:.0%}", progress)
        table = pd.DataFrame(rows)
        destination.write_file(folder / "waves.csv", lambda tmp: table.to_csv(tmp, index=False))
        destination.write_text(meta_path, json.dumps({**described, "versions": versions(), "waves": rows}, indent=2,
                                                        default=float) + "\n")
        ratio, volume = rows[-1]["volume_ratio"], new_volume
        if len(parents) == 0:
            step(f"wave {number}: every point is ruled out; stopping", progress)
            break
        if number > 1 and ratio >= settings.stop_ratio:
            step(f"wave {number}: the space kept {ratio:.2f} of the previous wave's (>= {settings.stop_ratio}): "
                 "it has stopped shrinking", progress)
            break
    return HistoryMatch(folder, priors, observed, settings, waves, sample, sample_impl, pd.DataFrame(rows), parents)


# --- the ensemble ------------------------------------------------------------------------------

def log_likelihood(wave: Wave, observed: Sequence[Observed], u: np.ndarray) -> np.ndarray:
    """The emulators' Gaussian log-likelihood of the published figures at each row of u."""
    out = np.zeros(len(u))
    for r, v in residuals(wave, observed, u):
        out += -0.5 * (r**2 / v + np.log(2 * np.pi * v))
    return out


WEIGHTINGS = ("uniform", "likelihood")


def draw_ensemble(hm: HistoryMatch, n: int, seed: int = 4000, candidates: int = 0,
                  weighting: str = "uniform") -> tuple[pd.DataFrame, dict]:
    """n members drawn from the space the history match did not rule out (candidates spread over it,
    `space_not_ruled_out`). `weighting`:

    - "uniform": every candidate not ruled out counts alike, n drawn without replacement (the history
      match's own answer: all of these are consistent with the figures within the stated variances);
    - "likelihood": candidates weighted by the last wave's emulated Gaussian likelihood of the figures,
      then systematic resampling (sampling-importance-resampling, Rubin 1988). With thirty figures the
      weights are steep: few candidates carry them (see `effective_sample_size`).

    Returns the members and how they were made."""
    if not hm.waves:
        raise ValueError(f"{hm.folder}: the history match has no wave yet: run `careersim calibrate --history-match`")
    if n < 1:
        raise ValueError("the ensemble needs at least one member")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}")
    rng = np.random.default_rng(seed)
    want = candidates or max(20 * n, 2000)
    pool = space_not_ruled_out(hm.waves, hm.observed, hm.parents, hm.settings, want, rng)
    if len(pool) == 0:
        raise ValueError(f"{hm.folder}: every point is ruled out: no parameter values reproduce all the targets "
                         "within their uncertainty (see waves.csv and each wave's emulators.csv)")
    ll = log_likelihood(hm.waves[-1], hm.observed, pool)
    if weighting == "uniform":
        w = np.full(len(pool), 1.0 / len(pool))
        idx = rng.choice(len(pool), size=n, replace=len(pool) < n)
        how_drawn = (f"{n} members drawn at random, alike, from {len(pool)} candidates spread over the space not "
                     "ruled out")
    else:
        w = np.exp(ll - ll.max())
        w /= w.sum()
        positions = (rng.random() + np.arange(n)) / n
        idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(pool) - 1)
        how_drawn = (f"sampling-importance-resampling: {len(pool)} candidates in the space not ruled out, weighted "
                     f"by the last wave's emulated Gaussian likelihood of the published figures, {n} members by "
                     "systematic resampling")
    members = _frame(hm.priors, pool[idx]).assign(weight=w[idx], log_likelihood=ll[idx])
    members.insert(0, "member", range(n))
    which = "largest" if hm.settings.measure == "max" else "second largest"
    waves = f"{len(hm.waves)} wave" + ("s" if len(hm.waves) != 1 else "")
    how = {"method": (f"history matching ({waves}; a point ruled out when the {which} of its "
                      f"implausibilities exceeds {hm.settings.cutoff:g}; Gaussian-process emulators, scikit-learn), "
                      f"then {how_drawn}"),
           "weighting": weighting, "candidates": int(len(pool)), "effective_sample_size": float(1.0 / np.sum(w**2)),
           "distinct_members": int(len(np.unique(idx))), "seed": seed,
           "volume_kept": float(hm.table["volume_kept"].iloc[-1])}
    return members, how


def load(folder: str | Path, priors: Sequence[Prior] | None = None, observed: Sequence[Observed] | None = None,
         ) -> HistoryMatch:
    """A history match from its folder: the emulators refitted on the saved runs (the same ones)."""

    folder = Path(folder)
    meta_path = folder / "history.json"
    if not meta_path.exists():
        raise ValueError(f"{folder}: not a history-match folder (no history.json); run "
                         "`careersim calibrate --history-match` first")
    meta = json.loads(meta_path.read_text())
    priors = list(priors or [Prior(**p) for p in meta["free"]])
    observed = list(observed or [Observed(**t) for t in meta["targets"]])
    settings = Settings(**meta["settings"])
    d = len(priors)
    sample = prior_sample(settings, d)
    waves: list[Wave] = []
    for row in meta["waves"]:
        number = int(row["wave"])
        wdir = folder / f"wave_{number:02d}"
        design = to_unit(priors, pd.read_parquet(wdir / "design.parquet"))
        runs = pd.concat([pd.read_parquet(p) for p in sorted(wdir.glob("runs_*.parquet"))], ignore_index=True)
        waves.append(fitted_wave(wdir, number, design, runs, observed, earlier_inside(waves, observed, settings)))
    impl = cumulative(waves, observed, sample, settings.measure) if waves else np.zeros(len(sample))
    parents = (to_unit(priors, pd.read_parquet(folder / f"wave_{waves[-1].number:02d}" / "kept.parquet"))
               if waves else sample)
    return HistoryMatch(folder, priors, observed, settings, waves, sample, impl, pd.DataFrame(meta["waves"]), parents)
