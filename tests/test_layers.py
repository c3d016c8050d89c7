"""The package's floors: each imports only from floors below it, no module imports itself back
through others, and the analysis floor (figures, reports, the outcome registry) never loads numba.

Read from the source with `ast`, so a lazy import inside a function counts as much as one at the top:
a floor that reaches up, even late, is a circle waiting to happen.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulation"

# lowest first; a module may import from its own floor and the floors before it
FLOORS = ("util", "config", "model", "run", "analysis", "experiments", "interface")
INTERFACE = {"cli", "app", "odd", "__main__", "__init__"}  # the top: what users call (odd: the ODD's tables)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in INTERFACE:
        return "interface"
    return parts[1]


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported simulation module, whether at module level) for every import in the file."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found = []
    for node in ast.walk(tree):
        at_top = id(node) in top
        if isinstance(node, ast.Import):
            found += [(a.name, at_top) for a in node.names if a.name.startswith("simulation")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("simulation"):
                continue
            for alias in node.names:  # `from simulation.model import state` imports a module
                candidate = f"{module}.{alias.name}"
                found.append((candidate if _is_module(candidate) else module, at_top))
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_on_a_known_floor():
    unknown = {module_name(p) for p in SOURCES if floor(module_name(p)) not in FLOORS}
    assert not unknown, f"modules outside the floors {FLOORS}: {sorted(unknown)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_only_go_down(path):
    me = module_name(path)
    mine = FLOORS.index(floor(me))
    upward = [m for m, _ in imports(path) if m != "simulation" and FLOORS.index(floor(m)) > mine]
    assert not upward, f"{me} (floor {floor(me)}) imports from floors above it: {sorted(set(upward))}"


def test_no_import_circles():
    """No cycle among modules, counting every import (lazy ones too): a circle means two modules
    belong together or a shared piece belongs lower down."""
    graph = {module_name(p): {m for m, _ in imports(p) if m != "simulation"} for p in SOURCES}
    graph = {k: {m for m in v if m in graph and m != k} for k, v in graph.items()}
    # packages' __init__ modules only document; an import of a package counts as the package
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The two checks above would fail on a package that breaks the rules."""
    pkg = tmp_path / "simulation"
    (pkg / "model").mkdir(parents=True)
    (pkg / "analysis").mkdir()
    for d in (pkg, pkg / "model", pkg / "analysis"):
        (d / "__init__.py").write_text("")
    (pkg / "model" / "a.py").write_text("from simulation.analysis import b\n")
    (pkg / "analysis" / "b.py").write_text("def f():\n    from simulation.model.a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
    a, b = pkg / "model" / "a.py", pkg / "analysis" / "b.py"
    assert imports(a) == [("simulation.analysis.b", True)]
    assert imports(b) == [("simulation.model.a", False)]
    with pytest.raises(AssertionError, match="imports from floors above"):
        test_imports_only_go_down(a)
    monkeypatch.setattr(sys.modules[__name__], "SOURCES", [a, b])
    with pytest.raises(AssertionError, match="import circles"):
        test_no_import_circles()


NUMBA_FREE = sorted(
    module_name(p) for p in SOURCES
    if floor(module_name(p)) in ("util", "config", "analysis") and p.name != "__main__.py"
) + ["simulation", "simulation.run.results"]


def test_analysis_and_configuration_load_no_numba():
    """Drawing a figure, writing a report or reading a scenario needs no compiler: importing the
    util, config and analysis floors (and the results reader) leaves numba unloaded."""
    code = (
        "import importlib, sys\n"
        f"for m in {NUMBA_FREE!r}:\n"
        "    importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith('numba.'))[:3])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"numba loaded by one of {NUMBA_FREE}: {out.stdout}"


def test_the_numba_check_would_see_numba():
    code = "import sys, simulation.model.rng\nprint('numba' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
