"""The notebooks run top to bottom (at a small size), cleanly, and are committed without outputs.

Clean means: no error, nothing on stderr and no warning of any kind in any output (a new user
saw `TqdmWarning: IProgress not found`), nothing written under notebooks/, and what notebook 02
writes lands in results/ (here: the folder CAREERSIM_NOTEBOOK_RESULTS points at), also when it
is run a second time into its own previous output.
"""

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "notebooks"
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
ANALYSIS = HERE / "02_scenario_analysis.ipynb"
WARNING = re.compile(r"\w*Warning\b|IProgress")  # TqdmWarning, FutureWarning, "Warning: ..." etc.


def tree(folder: Path) -> dict[str, tuple]:
    """Every file and folder below `folder`, with size and modification time."""
    return {str(p.relative_to(folder)): (p.is_dir(), p.stat().st_size if p.is_file() else 0, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def problems(nb) -> list[str]:
    """Errors, stderr streams and warnings among the outputs of an executed notebook."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "error":
                found.append(f"{cell.id}: {out.ename}: {out.evalue}")
                continue
            if out.output_type == "stream" and out.name == "stderr":
                found.append(f"{cell.id}: stderr: {out.text[:300]!r}")
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            if WARNING.search(text):
                found.append(f"{cell.id}: a warning in the output: {text[:300]!r}")
    return found


def execute(nb, cwd: Path):
    """Run `nb` in a fresh kernel started in `cwd` (Jupyter starts it in the notebook's folder)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


@pytest.fixture
def small(monkeypatch, tmp_path):
    """The small version, with the backend Jupyter uses; notebook output goes to a temporary folder."""
    monkeypatch.setenv("CAREERSIM_NOTEBOOK_SMALL", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks the inline backend, as in Jupyter
    monkeypatch.setenv("CAREERSIM_NOTEBOOK_RESULTS", str(tmp_path / "results"))
    return tmp_path / "results"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear outputs before committing"


def test_notebooks_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_notebooks", HERE / "make_notebooks.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)  # builds the cells; writes nothing unless run as a script
    built = generator.build()
    assert sorted(built) == [p.name for p in NOTEBOOKS]
    for name, nb in built.items():
        assert json.loads((HERE / name).read_text()) == json.loads(nbformat.writes(nb)), (
            f"{name} differs from notebooks/make_notebooks.py: run python notebooks/make_notebooks.py")


def test_teaching_notebook_runs_cleanly(small):
    before = tree(HERE)
    nb = execute(nbformat.read(HERE / "01_dyad_vs_network.ipynb", as_version=4), HERE)
    assert not problems(nb)
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 3, "the ties, the coverage and the retention figures are shown"
    assert tree(HERE) == before, "the notebook wrote under notebooks/"
    assert not small.exists(), "the teaching notebook writes nothing"


def test_analysis_notebook_runs_cleanly_twice(small):
    before = tree(HERE)
    # first in notebooks/ (where Jupyter starts the kernel), then again from the repository root
    # into its own previous output: careersim rewrites its own folder, reusing the runs
    for cwd in (HERE, ROOT):
        nb = execute(nbformat.read(ANALYSIS, as_version=4), cwd)
        assert not problems(nb), f"run from {cwd}"
        assert tree(HERE) == before, "the notebook wrote under notebooks/"
        comparison = small / "notebook_analysis" / "comparison"
        assert (small / "notebook_analysis" / "protected_time.toml").is_file()
        assert (comparison / "report.html").is_file() and (comparison / "comparison.json").is_file()
        assert {p.name for p in (comparison / "figures").glob("*.png")} >= {
            "differences.png", "retention.png", "coverage_by_stage.png"}
        shown = [
            o for c in nb.cells if "display(Image" in c.source for o in c.outputs if o.output_type == "display_data"
        ]
        assert len(shown) == 3 and all("image/png" in o.data for o in shown)


@pytest.mark.parametrize("cwd", ["notebooks", "."], ids=["kernel-in-notebooks", "kernel-in-repository"])
def test_analysis_notebook_writes_to_the_repositorys_results(cwd, monkeypatch):
    """Without CAREERSIM_NOTEBOOK_RESULTS the output folder is the repository's results/, ignored
    by git, wherever the kernel starts. Only the setup cell runs: it creates nothing."""
    monkeypatch.delenv("CAREERSIM_NOTEBOOK_RESULTS", raising=False)
    nb = nbformat.read(ANALYSIS, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert "mkdir" not in setup.source and "write" not in setup.source.replace("writing to", "")
    nb.cells = [setup, nbformat.v4.new_code_cell("print(workdir.resolve())")]
    before = tree(HERE)
    execute(nb, ROOT / cwd)
    assert not problems(nb)
    printed = nb.cells[1].outputs[0].text.strip()
    assert Path(printed) == ROOT / "results" / "notebook_analysis"
    assert tree(HERE) == before
    if shutil.which("git") and (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index",
                                  "results/notebook_analysis/comparison/report.html"], cwd=ROOT)
        assert ignored.returncode == 0, ".gitignore must ignore what the notebook writes"


def test_there_are_two_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_dyad_vs_network.ipynb", "02_scenario_analysis.ipynb"]
