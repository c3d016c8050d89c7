"""Generated parts of docs/ODD.md: the parameter, state, observation and phase tables, from the code.

    python -m simulation.odd          rewrite the generated blocks in docs/ODD.md
    python -m simulation.odd --check  exit 1 if they are out of date (the tests run this)

A block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from simulation.config.params import describe
from simulation.model.mesa_model import PHASES
from simulation.model.recorder import RECORD_PHASE, SERIES
from simulation.model.state import FACULTY_COLUMNS, OBSERVATION_COLUMNS, TIE_LOG_COLUMNS, column_doc

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def _cell(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def params_table() -> str:
    lines = ["| parameter | default | unit | range | meaning | source |", "|---|---|---|---|---|---|"]
    for r in describe():
        rng = ""
        if r["min"] is not None or r["max"] is not None:
            rng = (f"{_cell(r['min']) if r['min'] is not None else ''} to "
                   f"{_cell(r['max']) if r['max'] is not None else ''}")
        lines.append(
            f"| `{r['name']}` | {_cell(r['default'])} | {r['unit']} | {rng} | {r['meaning']} | {r['source']} |"
        )
    return "\n".join(lines)


def state_table(columns=FACULTY_COLUMNS) -> str:
    lines = ["| column | dtype | shape | meaning |", "|---|---|---|---|"]
    for r in column_doc(columns):
        lines.append(f"| `{r['name']}` | {r['dtype']} | {r['shape']} | {r['meaning']} |")
    return "\n".join(lines)


def observation_table() -> str:
    return state_table(OBSERVATION_COLUMNS)


def phases_table() -> str:
    """The month's phases, in the order `CareerModel.step` runs them (mesa_model.PHASES), then the
    recorder's observation."""
    lines = ["| # | phase | kernels | what it does | reads | writes |", "|---|---|---|---|---|---|"]
    rows = [(p.name, p.kernels, p.does, p.reads, p.writes) for p in PHASES] + [RECORD_PHASE]
    for k, (name, kernels, does, reads, writes) in enumerate(rows, 1):
        calls = ", ".join(f"`{x.strip()}`" for x in kernels.split(","))
        lines.append(f"| {k} | **{name}** | {calls} | {does} | {reads} | {writes} |")
    return "\n".join(lines)


def ties_table() -> str:
    lines = ["| column | dtype | meaning |", "|---|---|---|"]
    for r in column_doc(TIE_LOG_COLUMNS):
        lines.append(f"| `{r['name']}` | {r['dtype']} | {r['meaning']} |")
    return "\n".join(lines)


def series_table() -> str:
    lines = ["| column | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in SERIES]
    return "\n".join(lines)


BLOCKS = {"params": params_table, "state": state_table, "observation": observation_table, "ties": ties_table,
          "series": series_table, "phases": phases_table}

RESULTS = Path(__file__).resolve().parents[1] / "results"
DOC_FIGURES = ODD.parent / "figures"


def calibration_block(check_csv: Path) -> str:
    """The --check table and figure, from results/calibration/check.csv."""
    import pandas as pd

    from simulation.experiments.calibration import format_check
    from simulation.analysis.plots import calibration_figure, save

    table = pd.read_csv(check_csv)
    save(calibration_figure(table), DOC_FIGURES, "calibration")
    rows = ["| target | population | published | band | simulated (95% CI) | within | source |",
            "|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        rows.append(f"| {r['target']} | {r['population']} | {r['published']} | {r['low']:g} to {r['high']:g} | "
                    f"{r['simulated']:.3g} ({r['ci_low']:.3g} to {r['ci_high']:.3g}) | "
                    f"{'yes' if r['within'] else '**no**'} | {r['source']} |")
    n_ok = int(table["within"].sum())
    return (f"{n_ok} of {len(table)} targets within tolerance.\n\n" + "\n".join(rows)
            + "\n\n![Calibration: simulated against published](figures/calibration.png)\n\n"
            + "```\n" + format_check(table) + "\n```")


def patterns_block(patterns_csv: Path) -> str:
    """The patterns table and figure, from results/patterns/patterns.csv."""
    import pandas as pd

    from simulation.analysis.plots import patterns_figure, save

    table = pd.read_csv(patterns_csv)
    save(patterns_figure(table), DOC_FIGURES, "patterns")
    rows = ["| pattern | statement | evidence | mean (95% CI) | expected | holds |", "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        rows.append(f"| {r['pattern']} | {r['statement']} | {r['evidence']} | {r['mean']:+.4f} "
                    f"({r['ci_low']:+.4f} to {r['ci_high']:+.4f}) | {r['expected']} | "
                    f"{'yes' if r['holds'] else '**no**'} |")
    return (f"{int(table['holds'].sum())} of {len(table)} statements hold.\n\n" + "\n".join(rows)
            + "\n\n![Patterns: evidence with 95% intervals](figures/patterns.png)")


def history_block(folder: Path) -> str:
    """The history match's waves, the ensemble's marginals and its check against every target, from
    results/calibration/history/ and results/calibration/check_ensemble.csv."""
    import shutil

    import pandas as pd

    from simulation.analysis.calibration_plots import predictive_vs_bands

    waves = pd.read_csv(folder / "waves.csv")
    check = pd.read_csv(folder.parent / "check_ensemble.csv")
    DOC_FIGURES.mkdir(parents=True, exist_ok=True)
    last = int(waves["wave"].max())
    figures = folder / "figures"
    shutil.copyfile(figures / f"implausibility_wave_{last:02d}.png", DOC_FIGURES / "history_implausibility.png")
    shutil.copyfile(figures / "ensemble_marginals.png", DOC_FIGURES / "ensemble_marginals.png")
    predictive_vs_bands(check, DOC_FIGURES / "ensemble_check.png")
    rows = ["| wave | points | runs | volume kept | of the previous | emulators' leave-one-out within 3 sd | "
            "worst target (its share) |", "|---|---|---|---|---|---|---|"]
    for _, r in waves.iterrows():
        rows.append(f"| {r['wave']} | {r['points']} | {r['runs']} | {r['volume_kept']:.3%} | "
                    f"{r['volume_ratio']:.3g} | {r['loo_within_3']:.1%} | {r['worst_target']} "
                    f"({r['worst_loo_within_3']:.0%}) |")
    crows = ["| target | published | band | ensemble mean | 90% predictive interval | within |",
             "|---|---|---|---|---|---|"]
    for _, r in check.iterrows():
        crows.append(f"| {r['target']} | {r['value']:.3g} | {r['low']:g} to {r['high']:g} | "
                     f"{r['predictive_mean']:.3g} | {r['predictive_low']:.3g} to {r['predictive_high']:.3g} | "
                     f"{'yes' if r['within'] else '**no**'} |")
    return ("\n".join(rows)
            + f"\n\n![Wave {last}: minimum implausibility and optical depth](figures/history_implausibility.png)\n\n"
            + "![The ensemble's marginals against the priors](figures/ensemble_marginals.png)\n\n"
            + f"Against the ensemble ({int(check['members'].max())} members, one run each): "
            + f"{int(check['within'].sum())} of {len(check)} targets have their predictive mean within the band.\n\n"
            + "\n".join(crows) + "\n\n![Every target against the ensemble](figures/ensemble_check.png)")


def ensemble_comparison_block(folder: Path) -> str:
    """The default comparison's headline differences across the ensemble, with the interval from chance
    alone, the 95% interval of the parameters' share of the members' spread and the members on each side
    of zero, from results/compare/default/."""
    import json

    import pandas as pd

    from simulation.analysis.outcomes import HEADLINE, REGISTRY, SHARE

    meta = json.loads((folder / "comparison.json").read_text())
    if not meta.get("ensemble"):
        raise ValueError(f"{folder}: a point comparison; the block needs one across the ensemble")
    d = pd.read_parquet(folder / "differences.parquet")
    d = d[(d["group"] == "all") & d["outcome"].isin(HEADLINE)]
    rows = ["| scenario | outcome | difference from the status quo | 95% interval (calibration and chance) | "
            "95% interval (chance alone) | parameters' share of the members' spread (95%) | members above / below "
            "zero |", "|---|---|---|---|---|---|---|"]
    for _, r in d.iterrows():
        k = 100 if REGISTRY[r["outcome"]].unit == SHARE else 1
        rows.append(f"| {r['scenario']} | {r['outcome']} | {k * r['difference']:+.2f} | {k * r['ci_low']:+.2f} to "
                    f"{k * r['ci_high']:+.2f} | {k * r['chance_ci_low']:+.2f} to {k * r['chance_ci_high']:+.2f} | "
                    f"{r['share_low']:.0%} to {r['share_high']:.0%} | {r['members_above']:.0f} / "
                    f"{r['members_below']:.0f} |")
    e = meta["ensemble"]
    return (f"`careersim compare` (the default comparison; {e['members']} members x {e['seeds_per_member']} seeds per "
            "scenario; shares and retention in percentage points, publications per faculty-year):\n\n"
            + "\n".join(rows))


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(\n<!-- /generated:{name} -->)", re.DOTALL
        )
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    """`--check`: fail if the code tables are stale. `--results`: also render the calibration, patterns,
    history-match and ensemble-comparison sections from results/calibration/ (check.csv, history/,
    check_ensemble.csv), results/patterns/patterns.csv and results/compare/default/."""
    argv = sys.argv[1:] if argv is None else argv
    text = ODD.read_text()
    new = render(text)
    if "--results" in argv:
        for name, make, csv, command in (
                ("calibration", calibration_block, RESULTS / "calibration" / "check.csv", "calibrate --check --point"),
                ("patterns", patterns_block, RESULTS / "patterns" / "patterns.csv", "patterns"),
                ("history", history_block, RESULTS / "calibration" / "history", "calibrate --history-match, "
                 "`careersim calibrate --ensemble 200 --apply` and `careersim calibrate --check"),
                ("ensemble_comparison", ensemble_comparison_block, RESULTS / "compare" / "default", "compare")):
            if not csv.exists():
                print(f"{csv} not found: run `careersim {command}` first", file=sys.stderr)
                return 1
            block = make(csv)
            pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(\n<!-- /generated:{name} -->)", re.DOTALL)
            new = pattern.sub(lambda m, block=block: m.group(1) + block + m.group(2), new)
    if "--check" in argv:
        if new != text:
            print(f"{ODD} is out of date: run `python -m simulation.odd`", file=sys.stderr)
            return 1
        return 0
    ODD.write_text(new)
    print(f"updated {ODD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
