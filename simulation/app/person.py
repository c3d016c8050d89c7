"""The person panel: one person, paired across the panes by their identity, as HTML."""

from __future__ import annotations

import html

from simulation.app.twin import Pane, Twin
from simulation.app.words import pct, shown
from simulation.config.params import FUNCTIONS


def differences(twin: Twin, key: int) -> list[str]:
    """How one person's history differs between the panes, in words (a hire may be hired in a
    different month where a vacancy opened at a different time; one may leave or be promoted)."""
    (a, b), e = twin.panes, html.escape
    da, db = a.person(key), b.person(key)
    if da is None or db is None:
        return [(a if da is None else b).absence(key)] if (da, db) != (None, None) else [a.absence(key)]
    out = []
    if da["hire_month"] != db["hire_month"]:
        out.append(f"Hired in month {shown(da['hire_month'])} under the {e(a.label)} and in month "
                   f"{shown(db['hire_month'])} under "
                   f"the {e(b.label)}: the vacancy opened at a different time.")
    for d, p in ((da, a), (db, b)):
        if not d["in_post"]:
            out.append(f"Left in month {shown(d['exit']['month'])} ({d['exit']['reason']}) under the {e(p.label)}.")
    if da["in_post"] and db["in_post"] and da["rank"] != db["rank"]:
        out.append(f"Now {da['rank']} under the {e(a.label)}, {db['rank']} under the {e(b.label)}.")
    return out


BAR_COLOURS = ((0.7, "#1a9850"), (0.4, "#fdae61"), (0.0, "#d73027"))


def person_html(pane: Pane, d: dict | None, key: int) -> str:
    """The person panel's HTML: who (their identity), needs, support and coverage by function as
    this month's support phase computed them, each tie and what it gives, and the career so far."""
    e = html.escape
    if d is None:
        return f"<p><b>{e(pane.label)}</b>: {e(pane.absence(key))}</p>"
    head = (f"<p style='margin:0'><b>{e(pane.label)}</b> · <b>{e(d['who'])}</b>: {d['gender']}, {d['rank']} "
            f"professor, institution {d['institution']}, "
            + ("initial population" if d["initial"] else f"hired in month {shown(d['hire_month'])}") + "</p>")
    c = d["career"]
    career = (f"<p style='margin:4px 0'>Career so far: {c['publications']} publications, {c['grants']} independent "
              f"grant(s)"
              + (f" (first in month {shown(c['first_grant_month'])})" if c["first_grant_month"] is not None else "")
              + (f"; associate in month {shown(c['associate_month'])}" if c["associate_month"] is not None else "")
              + (f"; full in month {shown(c['full_month'])}" if c["full_month"] is not None else "")
              + ("; career award" if c["career_award"] else "")
              + f"; {c['mentors_lost']} mentor(s) lost to departures; {c['months_without_mentor']} of "
              f"{c['months_as_protege']} months as a protégé without a mentor.</p>")
    if not d["in_post"]:
        return (head + f"<p style='color:#b2182b'>Left in month {shown(d['exit']['month'])} "
                f"({d['exit']['reason']}).</p>"
                + career)
    ended = d["ended"]
    givers = [m["tag"] for m in d["mentors"]] + ([" + ".join(t["tag"] for t in ended["ties"]) + " (left)"]
                                                  if ended else [])
    rows = []
    for f in FUNCTIONS:
        need, cov, sup = d["needs"][f], d["coverage"][f], d["support"][f]
        colour = next(col for lo, col in BAR_COLOURS if cov >= lo)
        bar = (f"<span class=cs-bar><span style='background:{colour};width:{100 * cov:.0f}%'></span></span>")
        gives = [m["gives"][f] for m in d["mentors"]] + ([ended["gives"][f]] if ended else [])
        rows.append(f"<tr><td>{f}</td><td align=right>{need:.2f}</td><td align=right>{sup:.2f}</td>"
                    f"<td>{bar} {pct(cov)}</td><td>{' '.join(f'{g:.2f}' for g in gives) or '-'}</td></tr>")
    table = ("<table class=cs-person><tr><th align=left>function</th><th align=right>need</th>"
             "<th align=right>support</th><th align=left>covered</th>"
             f"<th align=left>given by {e(' '.join(givers)) or 'nobody'}</th></tr>" + "".join(rows) + "</table>")
    ms = "".join(
        f"<li>{e(m['tag'])}: {m['kind']}, {m['gender']} {m['rank']}"
        + ("" if m["same_institution"] else ", other institution")
        + f", since month {shown(m['since'])}, gives {pct(m['share_of_need'])} of the need</li>"
        for m in d["mentors"])
    if ended:
        ms += "".join(f"<li>{e(t['tag'])}: {t['kind']}, {t['gender']} {t['rank']}, since month {shown(t['since'])}: "
                      f"<b>left at the end of month {pane.month}</b> (their support counted this month, "
                      "not next)</li>" for t in ended["ties"])
    mentors = f"<p style='margin:4px 0'>Mentors and peers:</p><ul style='margin:0'>{ms or '<li>none</li>'}</ul>"
    return head + table + mentors + career
