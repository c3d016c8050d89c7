"""The teaching app in a real browser: `careersim app` on a loopback port, Debian's chromium
driven by Playwright. Steps both panes, changes a control, and checks that the charts and the
network redraw with new data; measures a month's step and redraw at 1,000 faculty."""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path

import pytest

from simulation import app

pytestmark = pytest.mark.skipif(
    not Path(app.CHROMIUM).exists() and not os.environ.get("CI"),
    reason=(f"the browser test needs Debian's chromium at {app.CHROMIUM} "
            "(apt-get install chromium; .ci/run installs it)"),
)

N_TIMED = 6  # months stepped and timed


def _texts(page, nth: int) -> list[str]:
    """The text elements of the nth chart (0 side by side, 1 and 2 the two networks, ...)."""
    return page.locator(".vega-embed svg.marks").nth(nth).locator("text").all_text_contents()


def _marks(page, nth: int) -> str:
    """The drawn marks of the nth chart (paths with their coordinates)."""
    return page.locator(".vega-embed svg.marks").nth(nth).inner_html()


def _chart(page, title: str):
    """The chart whose title contains this text."""
    return page.locator(".vega-embed svg.marks").filter(has_text=title)


def _ties(page, nth: int) -> dict[str, int]:
    text = " ".join(_texts(page, nth))
    m = re.search(r"ties: (\d+) primary, (\d+) secondary, (\d+) external, (\d+) peer", text)
    assert m, text
    return dict(zip(("primary", "secondary", "external", "peer"), map(int, m.groups())))


def test_app_steps_redraws_and_follows_the_controls():
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    with app.Server() as server, sync_playwright() as p:
        browser, page = app.open_page(p, server.url)
        try:
            # two panes, the same people: both networks show the department's initial faculty
            dyad_title = " ".join(_texts(page, 1))
            network_title = " ".join(_texts(page, 2))
            assert "dyad · department · month 0" in dyad_title
            assert "network + external · department · month 0" in network_title
            assert page.locator(".vega-embed svg.marks").count() == 2 * len(app.CHART_TITLES) + 1

            # step month by month; every chart redraws with the new month's data
            seconds, before = [], {k: _marks(page, k) for k in range(11)}
            for month in range(1, N_TIMED + 1):
                seconds.append(app.step_and_time(page, month))
            changed = [k for k in range(11) if _marks(page, k) != before[k]]
            assert changed == list(range(11)), f"charts that did not redraw: {set(range(11)) - set(changed)}"
            dyad, network = _ties(page, 1), _ties(page, 2)
            assert dyad["primary"] > 0 and dyad["secondary"] + dyad["external"] == 0
            assert network["primary"] > 0 and network["secondary"] + network["external"] > 0
            for title in ("retention since hire", "coverage per mentoring function", "publications"):
                assert _chart(page, f"dyad · {title} · month {N_TIMED}").locator("path[d*='L']").count() > 0
            median = statistics.median(seconds)
            print(f"\nstep + redraw of one month at 1,000 faculty (both panes, all 11 charts): median "
                  f"{median:.2f} s, max {max(seconds):.2f} s over {N_TIMED} months")
            assert median < 3.0

            # click a person: their needs, mentors and career, in both panes
            app.click_person(page, pane=1)
            page.locator("text=Mentors and peers").nth(1).wait_for(timeout=30_000)
            assert page.get_by_text("Career so far:", exact=False).count() == 2

            # change a control (peer groups on), reset: both panes redraw with peer groups
            graph_before = _marks(page, 2)
            assert network["peer"] == 0
            page.get_by_text("Peer groups", exact=True).click()
            page.get_by_role("button", name="Reset").click()
            page.wait_for_function("() => [...document.querySelectorAll('.vega-embed svg.marks text')]"
                                   ".some(t => t.textContent.includes('network + peers, external'))", timeout=60_000)
            app.wait_for_month(page, 0)
            app.step_and_time(page, 1)
            assert _ties(page, 2)["peer"] > 0 and _ties(page, 1)["peer"] > 0
            assert _marks(page, 2) != graph_before
            assert "dyad + peers · department · month 1" in " ".join(_texts(page, 1))
            # the lesson: the first prepared moment, with its caption
            page.get_by_role("button", name="1. A mentor leaves").click()
            page.get_by_text(re.compile(r"A mentor leaves: Month \d+: the mentor of #\d+")).wait_for(timeout=60_000)
        finally:
            browser.close()
    print(f"browser test: {time.perf_counter() - started:.0f} s")
