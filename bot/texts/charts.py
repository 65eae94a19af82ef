"""Charts for reports and survey results: matplotlib, rendered on the server to PNG bytes.

Pure functions of their arguments (labels come translated from the caller). Built on
matplotlib's object API (a ``Figure`` with its own Agg canvas, fonts set per text rather
than in the global rcParams), so a chart can be drawn in a worker thread while the bot
goes on answering. matplotlib is imported at the first chart, not with this module: it
costs a restart almost half a second before the first deadline is armed.

Chinese labels are drawn in Noto Sans CJK SC, the font file the ``mplfonts`` package ships
(installed with the bot by pip, so every machine that runs the bot has it, with no system
package and no root). Only the file is used: mplfonts' own helpers rewrite matplotlib's
global settings and its data folder, which a library inside a server must not do.
A glyph that font lacks falls back to matplotlib's own DejaVu Sans.
"""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CJK_FONT = "Noto Sans CJK SC"
_CJK_FILE = "NotoSansCJKsc-Regular.otf"
WIDTH, HEIGHT, DPI = 8.0, 4.5, 100  # 800 x 450 px: readable on a phone, small to send
MAX_TICKS = 14  # x labels drawn on a line chart; more would overlap (a year has 53 weeks)


def fonts() -> list[str]:
    """The CJK font, then matplotlib's default: per-text font families."""
    _register_cjk_font()
    return [CJK_FONT, "DejaVu Sans"]


@functools.cache
def _register_cjk_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(cjk_font_file()))


def cjk_font_file() -> Path:
    """mplfonts' Noto Sans CJK SC, found without importing mplfonts (see the docstring)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is missing: pip install -e .")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / _CJK_FILE


def plain(text: str) -> str:
    """A label drawn as written: matplotlib reads "$…$" as TeX math (an unbalanced "$"
    in a branch name or a survey question fails the whole chart) and hides legend
    entries that start with "_"."""
    text = str(text).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def figure(width: float = WIDTH, height: float = HEIGHT) -> Figure:
    """A figure with its own Agg canvas: no pyplot, no global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _figure() -> tuple[Figure, Axes]:
    fig = figure()
    return fig, fig.add_subplot()


def _finish(ax: Axes, title: str, unit: str, families: list[str], rotate: bool) -> None:
    ax.set_title(plain(title), fontfamily=families)
    ax.set_ylabel(plain(unit), fontfamily=families)
    ax.spines[["top", "right"]].set_visible(False)
    if rotate:
        ax.tick_params(axis="x", labelrotation=30)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(families)


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    unit: str,
    value_labels: Sequence[str] | None = None,
) -> bytes:
    """One bar per label (e.g. time to take per branch); empty values draw an empty chart.

    A None value draws no bar (a figure withheld or not measured); ``value_labels`` are
    written above the bars instead of the bare numbers (e.g. "3 min", "n<3").
    """
    families = fonts()
    fig, ax = _figure()
    heights = [0.0 if v is None else float(v) for v in values]
    bars = ax.bar([plain(label) for label in labels], heights, color="#3b7dd8")
    texts = [plain(v) for v in value_labels] if value_labels is not None else None
    texts = texts or [f"{h:.0f}" for h in heights]
    for text in ax.bar_label(bars, labels=texts):
        text.set_fontfamily(families)
    _finish(ax, title, unit, families, rotate=len(labels) > 4)
    return png(fig)


def line_chart(
    title: str, x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], unit: str
) -> bytes:
    """One line per series over the same x labels (e.g. requests per week per branch); a
    None value leaves a gap."""
    from matplotlib.ticker import MaxNLocator

    families = fonts()
    fig, ax = _figure()
    xs = list(range(len(x_labels)))
    for name, values in series.items():
        points = [float("nan") if v is None else v for v in values]
        ax.plot(xs, points, marker="o", label=plain(name))
    step = max(1, -(-len(xs) // MAX_TICKS))
    ax.set_xticks(xs[::step], [plain(x) for x in x_labels][::step])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    if series:
        ax.legend(loc="upper left", fontsize="small", prop={"family": families, "size": "small"})
    _finish(ax, title, unit, families, rotate=len(xs[::step]) > 6)
    return png(fig)
