"""A comparison with its report, as `careersim compare` makes it: `compare` writes the tables,
then `write_report` draws the figures and writes report.html (in this process), and the
comparison is read back with the figures' notes."""

from simulation.analysis.comparison import Comparison, load
from simulation.analysis.report import write_report
from simulation.experiments.compare import compare


def compare_and_report(*args, **kwargs) -> Comparison:
    comp = compare(*args, **kwargs)
    write_report(comp.out, workers=1)
    return load(comp.out)
