"""The report read as an analyst would, in a real browser at 1400 x 900 (issue 25, item 6): its
first three screens hold the pairwise answer (a network against the dyad), a cost line and a
what-it-hinges-on line, and name scenarios by their labels, not their identifiers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulation.app.browser import CHROMIUM, CHROMIUM_ARGS

from .comparisons import compare_and_report

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason=f"the browser test needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")

WIDTH, HEIGHT, SCREENS = 1400, 900, 3
# the text of every text node whose box starts within the first three screens
VISIBLE = """(limit) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (el.closest('details:not([open])') && !el.closest('summary')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.height > 0 && r.top + window.scrollY < limit) out.push(node.textContent);
  }
  return out.join(' ');
}"""


def test_first_three_screens_answer_the_question(tmp_path):
    from playwright.sync_api import sync_playwright

    members = [{"exits.unmet_effect": v} for v in (0.0, 1.0, 2.0)]
    c = compare_and_report(["status_quo", "dyad", "network"], replicates=3, seed=3, out=tmp_path / "cmp",
                           sets=["population.n_faculty=150", "population.n_institutions=2", "horizon_years=11"],
                           executor="serial", progress=False, decomposition=False, ensemble=members,
                           seeds_per_member=2)
    labels = json.loads((c.out / "comparison.json").read_text())["labels"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.goto((c.out / "report.html").resolve().as_uri())
            text = " ".join(page.evaluate(VISIBLE, SCREENS * HEIGHT).split())
        finally:
            browser.close()
    assert f"{labels['network']} instead of {labels['dyad']}" in text  # the pairwise question
    assert f"{labels['network']} keeps" in text or "Undetermined" in text  # its answer in words
    assert "Costs , per 100 faculty a year" in text and "departures avoided" in text  # (text nodes joined by spaces)
    assert "What it hinges on" in text
    assert "<img class='answer-figure' alt='net cost of each pair" in (c.out / "report.html").read_text()
    assert "plausible worlds" in text
    for name, shown in labels.items():
        assert shown != name
        if "_" in name:  # an identifier, not a word a sentence could use
            assert name not in text, name
