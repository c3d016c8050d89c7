"""`careersim analyze <sweep folder>`: sensitivity analysis of a parameter sweep.

Reads what the sweep engine writes (`sweep.json`, `design.parquet`, the Hive-partitioned
`runs/shard=<k>/task-<t>.parquet` dataset) and writes, under `<sweep>/analysis/`:

- `point_means`: per design point, mentoring model and outcome, the mean over replicates
  with its 95% t-interval; when two or more models are compared, each model's paired
  advantage over the first (replicate by replicate, e.g. network − dyad) is an extra series,
  signed by the outcome registry's direction so that positive is better for faculty (for an
  outcome where lower is better, the first model's level minus the other's; for one that is
  neither, the other's minus the first's);
- `sign_bins` and `sign_changes`: for each advantage, outcome and parameter, the mean
  advantage in bins of the parameter's range, and where it changes sign (a monotone fit);
- by design: `sobol_indices` (S1, ST of the replicate means with the replicate noise's part
  removed, 95% intervals carrying design sampling and noise; `simulation.analysis.sensitivity`),
  `morris` (mu*, its interval, mu, sigma, the noise floor), `grid_surfaces` (mean and 95%
  t-interval per grid cell), `main_effects` and `effect_ranges` (each parameter's main-effect
  range with an interval for the noise), `lhs_correlations` (Spearman rank correlations and standardized regression
  coefficients, with 95% intervals);
- `importance`: the measure that ranks the parameters for this design, per outcome;
- `figures/*.png` (seaborn) and `report.html`, a self-contained page in the style of a
  comparison's report.

Every table is written once, as CSV, atomically; the page shows the figures from `figures/`
(keep the folder together when you move the page). `analyze()` is the function the
command line calls; it raises `SweepError` (a one-line message) for a folder that is not a
sweep or a sweep that cannot be analysed.

The package, one concept per module, each importing only those before it:

- `data`: reading a sweep folder (`load_sweep`, the runs' keys, the task files' machines) and the
  replicate values every statistic starts from;
- `words`: differences in an outcome's unit, what an advantage means, the sign-change sentence;
- `stats`: the statistics (point means, Sobol, Morris, grids, Latin hypercubes, sign changes,
  importance);
- `result`: the `Analysis` an analysis returns;
- `figures`, `summary`, `page`: its figures, its text summary and its HTML page;
- `pipeline`: `analyze`, from folder to page.
"""


from simulation.analysis.sweep_analysis.data import (GROUP_CHOICES, KINDS, RUN_KEYS, SWEEP_LEAD_OUTCOMES, TASK_KEY,
                                                     Sweep, SweepError, load_sweep, machines_text, replicate_values,
                                                     series_order, task_machines, unique_runs)
from simulation.analysis.sweep_analysis.figures import grid_figure
from simulation.analysis.sweep_analysis.page import SECTION_TITLES, write_page
from simulation.analysis.sweep_analysis.pipeline import analyze
from simulation.analysis.sweep_analysis.result import Analysis
from simulation.analysis.sweep_analysis.stats import (importance, monotone_threshold, point_means,
                                                      sobol_inconsistencies)
from simulation.analysis.sweep_analysis.summary import format_summary

__all__ = ["GROUP_CHOICES", "KINDS", "RUN_KEYS", "SECTION_TITLES", "SWEEP_LEAD_OUTCOMES", "TASK_KEY", "Analysis",
           "Sweep", "SweepError", "analyze", "format_summary", "grid_figure", "importance", "load_sweep",
           "machines_text", "monotone_threshold", "point_means", "replicate_values", "series_order",
           "sobol_inconsistencies", "task_machines", "unique_runs", "write_page"]
