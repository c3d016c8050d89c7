"""Writes the two notebooks (without outputs). Run: python notebooks/make_notebooks.py

Cell ids are stable (notebook number and position), so regenerating changes only what changed.
To open them: pip install -e ".[notebooks]" && jupyter lab notebooks/
"""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).parent


def md(text):
    return nbf.v4.new_markdown_cell(text.strip())


def code(text):
    return nbf.v4.new_code_cell(text.strip())


teaching = [
    md("""
# Dyads and networks: the same people, two ways of mentoring

One small institution. We hire the same people twice: once into a world where each junior
professor gets **one senior mentor** (a dyad), once into a world where they **build a network**
of mentors and re-shape it as their needs change. Same seed, same people, same luck; only the
mentoring differs.

The idea comes from interviews with NIH career-development awardees (DeCastro et al., *Acad Med*
2013): no single mentor covers everything a junior researcher needs.

*To run it:* `pip install -e ".[notebooks]"` in the repository, then `jupyter lab notebooks/`
and pick the Python 3 kernel of that environment.
"""),
    code("""
import os
import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import seaborn as sns

from simulation import load_scenario
from simulation.model.mesa_model import CareerModel

SMALL = os.environ.get("CAREERSIM_NOTEBOOK_SMALL") == "1"   # the test suite runs a smaller version
size = ["population.n_faculty=120", "population.n_institutions=1", "horizon_years=" + ("4" if SMALL else "12")]
models = {name: CareerModel(load_scenario(name, size, seed=7)) for name in ("dyad", "network")}
"""),
    md("""
## Who mentors whom

Each dot is a faculty member: light for assistant professors, darker for associate and full
professors. An arrow runs from a protégé to a mentor. Watch the dyad stay a set of separate
pairs while the network gives each protégé several mentors.
"""),
    code("""
def draw(model, ax, title):
    fs = model.faculty
    g = nx.DiGraph()
    rows = model.active_rows()
    for i in rows:
        g.add_node(int(i), rank=int(fs.rank[i]))
    for i in rows:
        for j, kind in zip(fs.tie_mentor[i], fs.tie_kind[i]):
            if j >= 0 and kind != 4:          # senior ties (not peers)
                g.add_edge(int(i), int(j))
    pos = nx.spring_layout(g, seed=1, k=0.35)
    colours = [("#c6dbef", "#6baed6", "#08519c")[g.nodes[n]["rank"]] for n in g]
    nx.draw_networkx(g, pos, ax=ax, node_size=35, node_color=colours, with_labels=False,
                     arrowsize=6, width=0.6, edge_color="0.45")
    ax.set_title(title)
    ax.axis("off")

moments = [1, 24] if SMALL else [1, 36, 120]
fig, axes = plt.subplots(2, len(moments), figsize=(5 * len(moments), 9))
for col, month in enumerate(moments):
    for row, (name, model) in enumerate(models.items()):
        while model.month + 1 < month:
            model.step()
        draw(model, axes[row, col], f"{name}, year {month / 12:.0f}")
plt.tight_layout()
"""),
    md("""
## What each protégé gets, function by function

Coverage is the support a protégé receives divided by what they need, per mentoring function.
Pick the newest assistant professors in each world and compare.
"""),
    code("""
rows = []
for name, model in models.items():
    newest = sorted((a for a in model.agents if a.rank_name == "assistant"), key=lambda a: -a.hire_month)[:6]
    for a in newest:
        for f, c in a.coverage_by_function.items():
            rows.append({"model": name, "protege": f"#{a.unique_id} ({a.gender}, {a.n_mentors} mentors)",
                         "function": f, "coverage": c})
cov = pd.DataFrame(rows)
sns.catplot(data=cov, x="function", y="coverage", hue="protege", col="model", kind="bar",
            height=3.6, aspect=1.4, palette="tab10")
plt.show()
"""),
    md("""
A single mentor is usually strong in one or two functions and weak in the others: the dyad's
protégés have holes. The network's protégés recruit mentors for the functions that are least met.

## Careers: who stays?

Run both worlds to the end and follow everyone hired along the way.
"""),
    code("""
from lifelines import KaplanMeierFitter

from simulation.model.recorder import people_table
from simulation.analysis.outcomes import cohort

hires = []
for name, model in models.items():
    while model.running:
        model.step()
    c = cohort(people_table(model))
    c["model"] = name
    hires.append(c)
hires = pd.concat(hires)

fig, ax = plt.subplots(figsize=(7, 4))
for name, g in hires.groupby("model"):
    KaplanMeierFitter(label=name).fit(g["years"], g["left"]).plot_survival_function(ax=ax)
ax.set(xlabel="years since hire", ylabel="share still in academia", title="Retention of hires")
plt.show()
"""),
    md("""
One institution is a small sample: the curves are noisy. For conclusions, run a replicated,
paired comparison (`careersim compare`), which is what the second notebook does.

**Questions for the class.** Which functions does the dyad leave uncovered most often? What
happens to a dyad protégé when the mentor leaves? Where would peers help most?
"""),
]

analysis = [
    md("""
# Scenario analysis: a variant against the status quo

Write a variant scenario, run it beside the status quo on paired replicates, and read the
differences with their 95% confidence intervals.

Everything it writes goes to `results/notebook_analysis/` in the repository (git ignores
`results/`), whether the kernel starts in `notebooks/` (as Jupyter does) or in the repository;
set `CAREERSIM_NOTEBOOK_RESULTS` to a folder to write there instead. Running it again reuses
the runs already made and rewrites the tables, figures and report.

*To run it:* `pip install -e ".[notebooks]"` in the repository, then `jupyter lab notebooks/`
and pick the Python 3 kernel of that environment.
"""),
    code("""
import os
import sys
from contextlib import redirect_stderr
from pathlib import Path

from IPython.display import Image, display

from simulation.experiments.compare import compare, format_differences

SMALL = os.environ.get("CAREERSIM_NOTEBOOK_SMALL") == "1"   # the test suite runs a smaller version


def repository_root(start: Path) -> Path:
    # careersim's repository: the nearest folder at or above `start` with its pyproject.toml
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and 'name = "careersim"' in pyproject.read_text(errors="replace"):
            return folder
    return start


# results/ of the repository (ignored by git), wherever the kernel started
results = Path(os.environ.get("CAREERSIM_NOTEBOOK_RESULTS") or repository_root(Path.cwd().resolve()) / "results")
workdir = results / "notebook_analysis"
print("writing to", workdir)
"""),
    md("""
## 1. Write the variant

The variant keeps everything from the status quo and adds two policies: protected mentoring
time (a quarter more time for every mentor) and a cap of four faculty protégés per mentor.
"""),
    code("""
workdir.mkdir(parents=True, exist_ok=True)
variant = workdir / "protected_time.toml"
variant.write_text('''# What if mentors had protected time and a cap on protégés?
extends = "status_quo"
description = "Status quo plus 25% protected mentoring time and at most four faculty proteges per mentor"

[mentoring]
protected_time = 0.25
cap_mentees = 4
''')
print(variant.read_text())
"""),
    md("## 2. Compare, paired replicate by replicate"),
    code("""
from simulation.analysis.report import write_report

sets = ["population.n_faculty=300", "horizon_years=12"] if SMALL else []
# careersim reports progress on stderr (a bar in a terminal, timestamped lines elsewhere); in a
# notebook that would look like an error, so it goes to the cell's ordinary output instead.
# A second run reuses the runs this folder already holds and rewrites tables, figures, report.
with redirect_stderr(sys.stdout):
    comparison = compare(["status_quo", str(variant)], replicates=2 if SMALL else 12, seed=1,
                         out=workdir / "comparison", sets=sets, executor="serial" if SMALL else "processes")
    # the comparison is tables; its figures and report are drawn from them
    write_report(comparison.out, workers=1 if SMALL else None)
print(format_differences(comparison.differences))
"""),
    md("""
## 3. Read the table

Each cell is the variant minus the status quo, averaged over replicates, with a 95% interval.
Replicate *r* of both scenarios used the same seed, so the same people were hired: the
intervals are paired, and narrower than they would be for independent runs.
"""),
    code("""
d = comparison.differences
d[(d["group"] == "all")][["outcome", "reference_mean", "scenario_mean", "difference", "ci_low", "ci_high",
                           "paired_to_unpaired_width"]].round(3).head(20)
"""),
    md("## 4. Figures"),
    code("""
for name in ("differences", "retention", "coverage_by_stage"):
    display(Image(filename=str(comparison.out / "figures" / f"{name}.png")))
print("full report:", comparison.out / "report.html")
"""),
]

NOTEBOOKS = {"01_dyad_vs_network.ipynb": teaching, "02_scenario_analysis.ipynb": analysis}


def build() -> dict[str, nbf.NotebookNode]:
    """The notebooks by file name, as they are written (tests compare them with the files)."""
    notebooks = {}
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.cells = cells
        for k, cell in enumerate(nb.cells):  # stable ids: regenerating changes only what changed
            cell["id"] = f"{name.split('_')[0]}-{k:02d}"
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        notebooks[name] = nb
    return notebooks


if __name__ == "__main__":
    for name, nb in build().items():
        nbf.write(nb, HERE / name)
        print("wrote", HERE / name)
