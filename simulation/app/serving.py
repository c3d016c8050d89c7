"""Serving the app: `careersim app` (Solara on uvicorn), after compiling the kernels."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from simulation.app.page import check_dependencies
from simulation.app.twin import Twin
from simulation.run.simulate import COMPILING


def warm_up() -> None:
    """Compile the kernels (once per machine: numba caches them) before the first page load."""
    t = Twin(n_faculty=100)
    for _ in range(2):
        t.step()
    t.panes[1].person(int(t.panes[1].model.faculty.arrays["person_key"][t.panes[1].dept_rows[0]]))


def link_offline_assets() -> list[str]:
    """Let Solara's asset proxy find the Vega libraries that solara-assets installs.

    Solara's chart widget asks its CDN proxy for `vega@5/...`, `vega-lite@5/...` and
    `vega-embed@6/...`; solara-assets installs exact versions (`vega@5.21.0`, ...) in the
    proxy's cache, and without a CDN to resolve the major version the charts never load.
    A link from each major version to the installed one is what the proxy would have cached.
    """
    from solara.server import settings

    cdn = Path(settings.assets.proxy_cache_dir)
    made = []
    for alias in ("vega@5", "vega-lite@5", "vega-embed@6"):
        name, major = alias.split("@")
        found = sorted(cdn.glob(f"{name}@{major}.*"), key=lambda d: [int(x) for x in d.name.split("@")[1].split(".")
                                                                    if x.isdigit()])
        if (cdn / alias).exists() or not found:
            continue
        try:
            (cdn / alias).symlink_to(found[-1].name, target_is_directory=True)
            made.append(alias)
        except OSError:  # a read-only environment: the charts need the CDN then
            pass
    return made


def serve(host: str = "127.0.0.1", port: int = 8765, echo=print) -> None:
    """Serve the app (Solara on uvicorn) until interrupted; prints its address.

    Parameters
    ----------
    host, port : str, int
        Where to listen (loopback by default).
    echo : callable
        Says what happens: that the kernels compile (on a cold cache), then the address.
    """
    check_dependencies()
    link_offline_assets()
    from solara.server import settings

    settings.theme.show_banner = False  # "This website runs on Solara", fixed over the charts' corner
    os.environ["SOLARA_APP"] = "simulation.app.page:Page"
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    import uvicorn

    from simulation.model import kernel_cache

    if not kernel_cache.is_warm():
        echo(f"careersim app: {COMPILING}")
        sys.stdout.flush()
    warm_up()
    echo(f"careersim app: http://{host}:{port}/  (Ctrl-C stops it)")
    sys.stdout.flush()
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
