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


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(\n<!-- /generated:{name} -->)", re.DOTALL
        )
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    """`--check`: fail if the code tables are stale. `--results`: also render the calibration and
    patterns sections from results/calibration/check.csv and results/patterns/patterns.csv."""
    argv = sys.argv[1:] if argv is None else argv
    text = ODD.read_text()
    new = render(text)
    if "--results" in argv:
        for name, make, csv in (("calibration", calibration_block, RESULTS / "calibration" / "check.csv"),
                                ("patterns", patterns_block, RESULTS / "patterns" / "patterns.csv")):
            if not csv.exists():
                print(f"{csv} not found: "
                      f"run `careersim {'calibrate --check' if name == 'calibration' else 'patterns'}` first",
                      file=sys.stderr)
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
