"""Charts for reports and survey results: matplotlib, rendered on the server to PNG bytes.

Pure functions of their arguments (labels come translated from the caller). The Agg
backend needs no display; CJK labels use whichever of the usual CJK fonts the machine has
(Debian's fonts-noto-cjk, WenQuanYi), and fall back to the default font otherwise.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after use(): the backend is chosen first
from matplotlib import font_manager
from matplotlib.figure import Figure

_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")
WIDTH, HEIGHT, DPI = 8.0, 4.5, 100  # 800 x 450 px: readable on a phone, small to send


def _fonts() -> list[str]:
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK if name in have] + ["DejaVu Sans"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str) -> bytes:
    """One bar per label (e.g. time to take per branch); empty values draw an empty chart."""
    with plt.rc_context({"font.family": _fonts()}):
        fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
        bars = ax.bar(list(labels), list(values), color="#3b7dd8")
        ax.bar_label(bars, fmt="%.0f")
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
        if len(labels) > 4:
            ax.tick_params(axis="x", labelrotation=30)
        return _png(fig)


def line_chart(
    title: str, x_labels: Sequence[str], series: dict[str, Sequence[float | None]], unit: str
) -> bytes:
    """One line per series over the same x labels (e.g. requests per week per branch)."""
    with plt.rc_context({"font.family": _fonts()}):
        fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
        xs = list(range(len(x_labels)))
        for name, values in series.items():
            ax.plot(xs, [float("nan") if v is None else v for v in values], marker="o", label=name)
        ax.set_xticks(xs, list(x_labels))
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.spines[["top", "right"]].set_visible(False)
        if series:
            ax.legend(loc="upper left", fontsize="small")
        if len(x_labels) > 6:
            ax.tick_params(axis="x", labelrotation=30)
        return _png(fig)
