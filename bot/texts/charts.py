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
from dataclasses import dataclass
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


def _no_data(ax: Axes, text: str, families: list[str]) -> None:
    """Say "no data" in the middle of the plot: an empty axis reads as a chart that broke,
    or as every branch at zero, and a reader cannot tell which."""
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        plain(text),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize="x-large",
        color="#666666",
        fontfamily=families,
    )


def bar_figure(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    unit: str,
    value_labels: Sequence[str] | None = None,
    *,
    no_data: str,
) -> Figure:
    """One bar per label (e.g. time to take per branch), as a Figure (tests read its texts).

    A None value draws no bar (a figure withheld or not measured); ``value_labels`` are
    written above the bars instead of the bare numbers (e.g. "3 min", "n<3"). With no
    labels, or no value at all, the chart says ``no_data`` (translated by the caller).
    """
    families = fonts()
    fig, ax = _figure()
    if not labels or all(v is None for v in values):
        ax.set_title(plain(title), fontfamily=families)
        _no_data(ax, no_data, families)
        return fig
    heights = [0.0 if v is None else float(v) for v in values]
    bars = ax.bar([plain(label) for label in labels], heights, color="#3b7dd8")
    texts = [plain(v) for v in value_labels] if value_labels is not None else None
    texts = texts or [f"{h:.0f}" for h in heights]
    for text in ax.bar_label(bars, labels=texts):
        text.set_fontfamily(families)
    _finish(ax, title, unit, families, rotate=len(labels) > 4)
    return fig


# Lines that coincide (two branches with the same weekly counts) must both stay visible:
# each series has its own marker and dash, and the later ones are drawn thinner and
# smaller on top of the earlier ones, a little transparent, so a line hidden under
# another still shows as a ring of markers around it and a dash pattern inside it.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":")
WIDEST, NARROWEST = 3.2, 1.2  # line width of the first and the last series (points)
BIGGEST, SMALLEST = 11.0, 5.0  # marker size of the first and the last series (points)
ALPHA = 0.85


@dataclass(frozen=True)
class LineStyle:
    """How one series of a line chart is drawn."""

    marker: str
    dash: str
    width: float
    size: float
    zorder: int


def line_style(index: int, count: int) -> LineStyle:
    """Series ``index`` of ``count``: its own marker and dash (cycling after 8 and 4),
    width and marker size shrinking from the first series to the last."""
    step = index / (count - 1) if count > 1 else 0.0
    return LineStyle(
        marker=MARKERS[index % len(MARKERS)],
        dash=DASHES[index % len(DASHES)],
        width=WIDEST - (WIDEST - NARROWEST) * step,
        size=BIGGEST - (BIGGEST - SMALLEST) * step,
        zorder=2 + index,
    )


def line_figure(
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str,
    *,
    no_data: str,
) -> Figure:
    """One line per series over the same x labels (e.g. requests per week per branch), as
    a Figure; a None value leaves a gap. With no series or no value at all, the chart
    says ``no_data``."""
    from matplotlib.ticker import MaxNLocator

    families = fonts()
    fig, ax = _figure()
    if not x_labels or all(v is None for values in series.values() for v in values):
        ax.set_title(plain(title), fontfamily=families)
        _no_data(ax, no_data, families)
        return fig
    xs = list(range(len(x_labels)))
    for index, (name, values) in enumerate(series.items()):
        points = [float("nan") if v is None else v for v in values]
        style = line_style(index, len(series))
        ax.plot(
            xs,
            points,
            label=plain(name),
            marker=style.marker,
            linestyle=style.dash,
            linewidth=style.width,
            markersize=style.size,
            alpha=ALPHA,
            zorder=style.zorder,
        )
    step = max(1, -(-len(xs) // MAX_TICKS))
    ax.set_xticks(xs[::step], [plain(x) for x in x_labels][::step])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small", prop={"family": families, "size": "small"})
    _finish(ax, title, unit, families, rotate=len(xs[::step]) > 6)
    return fig
