"""What the HTML pages share: the comparison report (`report.py`) and a sweep's analysis page
(`sweep_analysis.page`) use the same base style and show their figures the same way."""

from __future__ import annotations

import base64
import html
from pathlib import Path

CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; max-width: 1220px; margin: 1em auto; \
color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.35em; margin: .1em 0 .2em; } \
h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: .2em; font-size: 1.25em; }
table { border-collapse: collapse; font-size: .9em; margin: .6em 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: .25em .6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: .92em; }
.note { background: #f6f8fa; padding: .6em 1em; border-radius: 4px; }
.meta { color: #333; font-size: .9em; margin: 0 0 .6em; }
.meta b { color: #111; }
.answer { background: #f3f7fb; border-left: 4px solid #0072b2; padding: .3em 1em .4em; border-radius: 4px; \
font-size: .95em; }
.answer h2 { border: 0; margin: .2em 0 .2em; font-size: 1.15em; }
.answer ul { margin: .2em 0; padding-left: 1.2em; } .answer li { margin: .12em 0; }
.answer p { margin: .25em 0; }
details pre { font-size: .75em; max-height: 30em; overflow: auto; background: #f6f8fa; padding: .5em; }
.better { background: #d6f0dc; color: #0b5323; } .worse { background: #f9d9d5; color: #8a1c12; }
.better.uncertain { background: #f0f9f2; color: #3d6b4a; } .worse.uncertain { background: #fcf0ee; color: #8a5a55; }
.same { color: #555; }
table.diffs td:nth-child(n+4) { white-space: nowrap; }
table.summary { font-size: .84em; width: 100%; margin-top: .4em; }
table.summary td:first-child { min-width: 13em; }
table.summary td, table.summary th { padding: .2em .4em; }
table.summary th { vertical-align: bottom; font-weight: 600; }
table.summary th.group { font-weight: normal; color: #555; font-size: .92em; }
table.summary td.num { white-space: nowrap; border-left: 1px solid #fff; }
table.summary tr.reference td { background: #f4f4f4; }
.ci { display: block; font-size: .85em; opacity: .85; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .35em; \
vertical-align: -.05em; }
.what { display: block; color: #555; font-size: .88em; }
code.raw { color: #777; font-size: .8em; }
.legend { font-size: .85em; color: #444; margin: .2em 0 .4em; }
.runs { overflow-x: auto; } .runs td, .runs th { font-size: .82em; white-space: nowrap; }
.missing { background: #fff8e1; padding: .6em 1em; border-left: 4px solid #f0b400; border-radius: 4px; }
"""


def img(path: str | Path, alt: str = "", relative_to: str | Path | None = None) -> str:
    """A figure as an HTML `<img>` element.

    Parameters
    ----------
    path : str or Path
        The figure's PNG file.
    alt : str
        The element's alternative text.
    relative_to : str or Path, optional
        The folder of the page that shows it. Without it, the PNG is embedded in the page as data
        (a self-contained page, as the comparison report is); with it, the page links the file by its
        path relative to that folder (one copy; keep the folders together).

    Returns
    -------
    str
        The element, its attributes escaped.
    """
    if relative_to is None:
        data = base64.b64encode(Path(path).read_bytes()).decode()
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
    src = Path(path).resolve().relative_to(Path(relative_to).resolve()).as_posix()
    return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
