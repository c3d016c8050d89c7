"""What an analysis of a sweep holds: its tables, figures, notes and where it wrote them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulation.analysis.sweep_analysis.data import Sweep


@dataclass
class Analysis:
    """One analysis of a sweep, for one group of hires (`analyze` returns it).

    Attributes: `sweep` (what was read), `group` ('all', 'women' or 'men'), `tables` (name -> table,
    each written as `<name>.csv`), `figures` (section, name, png, title, caption of each), `notes`
    (what could not be analysed, and caveats: what, why), `status` (`data.completeness`), `report`
    (the page) and `folder` (where the tables, figures and page are).
    """

    sweep: Sweep
    group: str
    tables: dict[str, pd.DataFrame]
    figures: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    status: dict = field(default_factory=dict)
    report: Path | None = None
    folder: Path | None = None

