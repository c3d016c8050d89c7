"""The package's history match and calibrated ensemble: `simulation.experiments.history` run on the
default scenario against `targets.toml`, the ensemble installed in the calibration record, and the
figures (`simulation.analysis.calibration_plots`).

The ensemble is installed in `simulation/config/calibration.json` under "ensemble": its members (the
free parameters' values), how they were drawn, and the history match that made them. The point
defaults ("estimates") stay as they are: quick runs, teaching and `--point` use them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Sequence

import pandas as pd

from simulation.experiments import calibration as cal
from simulation.experiments import history
from simulation.util import destination
from simulation.util.progress import step


def run_history_match(folder: Path, scenario: str = "status_quo", sets: Sequence[str] = (), replicates: int = 2,
                      seed: int = 3000, points: int | None = None, waves: int = 5, workers: int | None = None,
                      executor: str | None = None, address=None, progress: bool = True,
                      targets_file: str | Path = cal.TARGETS_FILE, measure: str = "second") -> history.HistoryMatch:
    """History-match `scenario` to the targets (or continue the match in `folder`), then draw its figures.

    `measure`: a point is ruled out when the second largest of its thirty implausibilities exceeds the
    cut-off ("second", the default), or the largest ("max"). With thirty targets, some with emulators
    still rough in the first waves, the second largest is the usual choice (Vernon et al. 2010;
    Andrianakis et al. 2015): on the default model, the largest also ruled out the point calibration
    itself after two waves (its front-loading emulated at 4.1)."""
    targets, free = cal.load_targets(targets_file)
    settings = history.Settings(points=points or 0, replicates=replicates, waves=waves, seed=seed, measure=measure)
    priors = cal.priors(free)
    step(f"history match: {len(priors)} free parameters, {len(targets)} targets, "
         f"{settings.n_points(len(priors))} points per wave x {replicates} seeds"
         + "".join(f" (+ the same on {r})" for r in cal.plan(targets) if r != cal.CALIBRATED), progress)
    hm = history.history_match(
        folder, priors, cal.observed(targets, cal.load_uncertainty(targets_file)),
        cal.simulator(scenario, targets, sets, workers, progress, executor, address), settings, progress,
        about={"scenario": scenario, "sets": list(sets)})
    wave_figures(hm, progress)
    return hm


def wave_figures(hm: history.HistoryMatch, progress: bool = True) -> list[Path]:
    """Per wave: minimum implausibility and optical depth over the most constrained pairs of parameters."""
    from simulation.analysis import calibration_plots as plots

    figures = hm.folder / "figures"
    figures.mkdir(exist_ok=True)
    free = [{"name": p.name, "low": p.low, "high": p.high, "block": p.block} for p in hm.priors]
    out = []
    for w in hm.waves:
        sample = pd.read_parquet(hm.folder / f"wave_{w.number:02d}" / "sample.parquet")
        path = figures / f"implausibility_wave_{w.number:02d}.png"
        out.append(plots.implausibility_pairs(sample, free, w.number, path, hm.settings.cutoff))
    step(f"figures: {len(out)} implausibility figures in {figures}", progress)
    return out


def format_waves(table: pd.DataFrame) -> str:
    """The waves' table as `careersim calibrate --history-match` prints it."""
    if table.empty:
        return "no wave was run"
    t = pd.DataFrame({
        "wave": table["wave"],
        "points": table["points"],
        "runs": table["runs"],
        "volume kept": table["volume_kept"].map(lambda v: f"{v:.3%}"),
        "of previous": table["volume_ratio"].map(lambda v: f"{v:.3g}"),
        "emulators' LOO within 3 sd": table["loo_within_3"].map(lambda v: f"{v:.0%}"),
        "worst target (LOO)": [f"{n} ({v:.0%})" for n, v in zip(table["worst_target"], table["worst_loo_within_3"])],
        "minutes": (table["seconds"] / 60).map(lambda v: f"{v:.1f}"),
    })
    return t.to_string(index=False)


def make_ensemble(folder: Path, n: int, seed: int = 4000, progress: bool = True,
                  weighting: str = "uniform") -> tuple[pd.DataFrame, dict]:
    """Draw the ensemble from the history match in `folder`; write ensemble.parquet, its record and figure."""
    from simulation.analysis import calibration_plots as plots
    from simulation.config.params import calibration_record

    hm = history.load(folder)
    about = json.loads((folder / "history.json").read_text())  # what was matched: scenario and --set
    members, how = history.draw_ensemble(hm, n, seed, weighting=weighting)
    shown = folder.resolve()
    try:
        shown = shown.relative_to(Path.cwd())
    except ValueError:
        pass
    how = {**how, "history_match": str(shown), "waves": hm.table.to_dict("records"),
           "history_settings": {**asdict(hm.settings), "scenario": about.get("scenario", ""),
                                "sets": about.get("sets", [])},
           "created_utc": datetime.now(UTC).isoformat(timespec="seconds")}
    destination.write_parquet(members, folder / "ensemble.parquet")
    destination.write_text(folder / "ensemble.json", json.dumps(how, indent=2, default=float) + "\n")
    free = [{"name": p.name, "low": p.low, "high": p.high, "block": p.block} for p in hm.priors]
    point = {p.name: float(calibration_record()["estimates"][p.name]) for p in hm.priors
             if p.name in calibration_record()["estimates"]}
    (folder / "figures").mkdir(exist_ok=True)
    plots.ensemble_marginals(members, free, folder / "figures" / "ensemble_marginals.png", point=point)
    step(f"figure: {folder / 'figures' / 'ensemble_marginals.png'}", progress)
    return members, how


def install_ensemble(members: pd.DataFrame, how: dict, path: Path | None = None) -> Path:
    """Write the members into the calibration record (key "ensemble"), keeping the point estimates."""
    from simulation.config import params

    path = Path(path or cal.RECORD_FILE)
    record = json.loads(path.read_text())
    names = [c for c in members.columns if c not in ("member", "weight", "log_likelihood")]
    record["ensemble"] = {
        "members": [{k: round(float(v), 6) for k, v in zip(names, row)} for row in members[names].to_numpy(float)],
        "method": how["method"], "created_utc": how["created_utc"], "source": how["history_match"],
        "effective_sample_size": how["effective_sample_size"], "candidates": how["candidates"],
        "distinct_members": how["distinct_members"], "weighting": how["weighting"], "seed": how["seed"],
        "history_settings": how["history_settings"],
        "waves": [{k: v for k, v in w.items() if k != "seconds"} for w in how["waves"]],
    }
    out = cal.write_record(record, path)
    params.calibration_record.cache_clear()
    return out


def predictive_figure(table: pd.DataFrame, figures: Path) -> Path:
    """Every target's band against the ensemble's 90% predictive interval."""
    from simulation.analysis import calibration_plots as plots

    figures.mkdir(parents=True, exist_ok=True)
    return plots.predictive_vs_bands(table, figures / "ensemble_check.png")
