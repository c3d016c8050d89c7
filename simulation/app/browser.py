"""The app in a headless browser (Debian's chromium driven by Playwright): the server in a
process of its own, the steps the browser test takes, and the screenshot.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from simulation.app.charts import SERIES_CHARTS
from simulation.app.lessons import LESSON, LESSON_TITLES


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now, on this address."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1366, "height": 768}  # the smallest screen the layout is made for
SIZES = ({"width": 1366, "height": 768}, {"width": 1600, "height": 900}, {"width": 1920, "height": 1080})
SCREENSHOT_VIEWPORT = {"width": 1366, "height": 2600}


class Server:
    """`careersim app` in a process group of its own, on a free loopback port; stopped by its PID."""

    def __init__(self, port: int | None = None, timeout: float = 900.0, bind_timeout: float = 120.0):
        """Waits up to `timeout` for the app to print its address (on a cold cache it compiles the
        kernels first: minutes on 2 cores), then up to `bind_timeout` for the port to open."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # `careersim app`, through the interpreter running this (its script may not be on PATH)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulation", "app", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
            cwd=Path(__file__).resolve().parents[2])  # not the caller's folder: its files could shadow modules
        self.output: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("careersim app exited:\n" + "".join(self.output))
            self.output.append(line)
            if "careersim app: http://" in line:
                break
        deadline = time.monotonic() + bind_timeout
        while time.monotonic() < deadline:  # the address is printed just before uvicorn binds
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("careersim app did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def open_page(playwright, url: str, viewport: dict | None = None):
    """Headless Debian chromium (Playwright's own browsers are not downloaded), the page loaded."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=viewport or VIEWPORT)
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for(timeout=120_000)
    wait_for_month(page, 0)
    return browser, page


CHART_TITLES = ("department", *(title for _, title, _ in SERIES_CHARTS))


def wait_for_month(page, month: int, timeout: float = 60_000) -> None:
    """Wait until every chart (both panes and the side-by-side chart) shows this month."""
    n = 2 * len(CHART_TITLES) + 1
    page.wait_for_function(
        """([m, n]) => { const re = new RegExp('month ' + m + '$');
             return [...document.querySelectorAll('.vega-embed svg.marks')]
                    .filter(s => [...s.querySelectorAll('text')].some(t => re.test(t.textContent))).length >= n; }""",
        arg=[month, n], timeout=timeout)


def step_and_time(page, month_after: int) -> float:
    """Click Step; seconds until every chart shows the next month."""
    t = time.perf_counter()
    page.get_by_role("button", name="Step").click()
    wait_for_month(page, month_after)
    return time.perf_counter() - t


def click_person(page, pane: int = 0, nth: int = 2) -> None:
    """Click an assistant professor in post in a pane's network (0 left, 1 right)."""
    nodes = page.locator(".vega-embed svg.marks").nth(1 + pane).locator(
        "g.mark-symbol path[aria-label*='opacity: 1; rank: assistant']")
    nodes.nth(nth).click()


def run_lesson_moment(page, k: int, timeout: float = 120_000) -> int:
    """Press lesson button k (from 1); wait until its caption and every chart show its month."""
    title = LESSON_TITLES[LESSON[k - 1]]
    page.get_by_role("button", name=f"{k}. {title}").click()
    said = page.locator(".cs-panel").filter(has_text=re.compile(rf"^{re.escape(title)} \(month \d+\)"))
    said.wait_for(timeout=timeout)
    month = int(re.search(r"\(month (\d+)\)", said.inner_text()).group(1))
    wait_for_month(page, month)
    page.wait_for_timeout(500)  # the person panels follow the charts
    return month


def scroll_to_person(page) -> None:
    """Scroll the page to the two networks and the person panels below them."""
    page.locator(".cs-card").filter(has_text="Left: ").nth(1).scroll_into_view_if_needed()
    page.locator(".cs-card").filter(has_text="Left: ").nth(1).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)


def screenshot(path: str | Path, months: int = 36) -> Path:
    """Serve the app, step `months` months, click a person, save a screenshot of the whole page
    (1366 pixels wide, tall enough for every card).

    Parameters
    ----------
    path : str or Path
        The PNG to write (its folder is made if missing).
    months : int
        Months stepped before the picture.

    Returns
    -------
    Path
        The picture's path.
    """
    from playwright.sync_api import sync_playwright

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Server() as server, sync_playwright() as p:
        browser, page = open_page(p, server.url, SCREENSHOT_VIEWPORT)
        try:
            for k in range(months):
                page.get_by_role("button", name="Step").click()
                wait_for_month(page, k + 1)
            click_person(page, pane=0, nth=3)
            page.locator("text=Mentors and peers").nth(1).wait_for(timeout=30_000)
            page.mouse.move(5, 400)  # no tooltip in the picture
            page.wait_for_timeout(800)
            page.screenshot(path=str(path), full_page=True)
        finally:
            browser.close()
    return path
