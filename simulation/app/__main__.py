"""The teaching app: the same people under two mentoring models, side by side, live.

    python -m simulation.app                                     # serves it, as `careersim app` does
    python -m simulation.app --screenshot docs/images/app.png    # the README's picture
"""

from __future__ import annotations

import argparse

from simulation.app.browser import screenshot
from simulation.app.serving import serve


def main(argv: list[str] | None = None) -> None:
    """Serve the app, or (with `--screenshot PNG`) save a screenshot of it after some months."""
    ap = argparse.ArgumentParser(prog="python -m simulation.app", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--screenshot", metavar="PNG", help="save a screenshot of the app after some months, then exit")
    ap.add_argument("--months", type=int, default=36, help="months stepped before the screenshot")
    args = ap.parse_args(argv)
    if args.screenshot:
        print(f"screenshot: {screenshot(args.screenshot, args.months)}")
    else:
        serve(args.host, args.port)


if __name__ == "__main__":
    main()
