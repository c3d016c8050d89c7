"""Costs and savings of a comparison's scenarios, per 100 faculty a year, from each run's own
mentor hours and departures (run-level outcomes of the registry: `departures_per_100`,
`mentor_hours_per_100`, `proteges_per_100`) and each scenario's `[costs]` table
(`config.scenario.scenario_costs`; defaults and sources in `config.params.Costs`): a departure
and a mentor hour at the reference scenario's prices for every scenario, the programme at each
scenario's own (`priced`).

For one run of a scenario with costs c:

    mentor_time_cost_per_100 = mentor_hours_per_100 * c.mentor_hour
    programme_cost_per_100   = proteges_per_100 * c.programme_per_protege
    departure_cost_per_100   = departures_per_100 * c.departure
    net_cost_per_100         = mentor_time_cost + programme_cost + departure_cost

(US$ per 100 faculty a year). The difference of net_cost_per_100 between two scenarios, run by
run, is the net cost of moving from one to the other (negative: a saving); its interval is the
comparison's paired interval, like every other difference. The departures avoided are minus the
difference in departures_per_100.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COST_COLUMNS = ("mentor_time_cost_per_100", "programme_cost_per_100", "departure_cost_per_100", "net_cost_per_100")


INSTITUTION = ("departure", "mentor_hour")  # the institution's prices: one for every scenario of a comparison


def priced(scenarios: list[str], reference: str, own: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The prices each scenario is costed with: the institution's (a departure, a mentor hour)
    from the reference scenario's [costs], the same for all, so that a difference in cost is a
    difference in hours and departures, not in prices; the programme cost per protege from each
    scenario's own [costs] (a programme's own cost)."""
    return {s: {**own[s], **{k: own[reference][k] for k in INSTITUTION}} for s in scenarios}


def add_costs(table: pd.DataFrame, costs: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The outcome table with the cost columns, each run priced with its scenario's costs
    (`costs`: scenario -> its [costs] entries). Rows of groups other than "all" (run-level
    outcomes have no gender split) and scenarios without costs get NaN."""
    out = table.copy()
    for c in COST_COLUMNS:
        out[c] = np.nan
    need = {"mentor_hours_per_100", "proteges_per_100", "departures_per_100"}
    if not need <= set(out.columns):
        return out
    for scenario, c in costs.items():
        rows = (out["scenario"] == scenario).to_numpy() & (out["group"] == "all").to_numpy()
        if not rows.any():
            continue
        time_ = out.loc[rows, "mentor_hours_per_100"].to_numpy(float) * float(c["mentor_hour"])
        programme = out.loc[rows, "proteges_per_100"].to_numpy(float) * float(c["programme_per_protege"])
        departures = out.loc[rows, "departures_per_100"].to_numpy(float) * float(c["departure"])
        out.loc[rows, "mentor_time_cost_per_100"] = time_
        out.loc[rows, "programme_cost_per_100"] = programme
        out.loc[rows, "departure_cost_per_100"] = departures
        out.loc[rows, "net_cost_per_100"] = time_ + programme + departures
    return out


def money(x: float) -> str:
    """'$257,400', '-$51,200' (sums of $10,000 or more to the nearest hundred: the inputs are not
    more precise), '$150' (smaller ones to the dollar)."""
    if x is None or not np.isfinite(x):
        return "n/a"
    v = round(float(x), -2) if abs(x) >= 10_000 else round(float(x))
    return f"{'-' if v < 0 else ''}${abs(v):,.0f}"
