"""Survey results as pictures: one PNG per six questions, a small bar chart for each.

Six to a picture, not one picture per question: results also go to everyone on publish,
and thirty photos per person would hold up the outbox for an hour. Only questions whose
counts are shown are drawn (the same rule as the text). Built on `bot.texts.charts`' figures and
fonts (matplotlib's object API, loaded at the first chart), so it can run in a worker
thread while the bot goes on answering.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.domain.survey import QuestionKind, QuestionResult, Results
from bot.i18n import t
from bot.texts.charts import DPI, figure, fonts, plain
from bot.texts.textfit import CAPTION_LIMIT, shorten

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PER_IMAGE = 6
COLOUR = "#3b7dd8"


def _wrap(text: str, width: int, lines: int) -> str:
    """Cut into lines of ``width`` characters (Chinese has no spaces to break at)."""
    pieces = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    if len(pieces) > lines:
        pieces = [*pieces[: lines - 1], shorten(pieces[lines - 1] + "…", width)]
    return "\n".join(pieces)


def _panel(
    lang: str, fig: Figure, grid: tuple[int, int, int], result: QuestionResult, fonts: list[str]
) -> None:
    from matplotlib.ticker import MaxNLocator  # matplotlib loads at the first chart

    assert result.counts is not None
    rows, cols, at = grid
    ax = fig.add_subplot(rows, cols, at)
    question = result.question
    labels = [plain(question.label(v)) for v in range(1, question.options + 1)]
    title = plain(_wrap(f"{result.number}. {question.text}", 30, 2))
    if result.mean is not None:
        mean = f"{result.mean:.1f}"
        title += "  " + t(lang, "(mean {mean})", mean=mean)
    if question.kind is QuestionKind.SCALE:
        bars = ax.bar(labels, list(result.counts), color=COLOUR)
    else:
        wrapped = [_wrap(label, 12, 2) for label in labels]
        bars = ax.barh(wrapped[::-1], list(result.counts)[::-1], color=COLOUR)
    ax.bar_label(bars, fmt="%d")
    (ax.yaxis if question.kind is QuestionKind.SCALE else ax.xaxis).set_major_locator(
        MaxNLocator(integer=True)
    )
    ax.set_title(title, fontsize=10, loc="left", fontfamily=fonts)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(fonts)


def _png(lang: str, results: list[QuestionResult], fonts: list[str]) -> bytes:
    cols = 1 if len(results) == 1 else 2
    rows = (len(results) + cols - 1) // cols
    fig = figure(7.0 * cols if cols == 1 else 11.0, 3.4 * rows + 0.4)
    for at, result in enumerate(results, start=1):
        _panel(lang, fig, (rows, cols, at), result, fonts)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def result_charts(lang: str, title: str, results: Results) -> list[tuple[bytes, str]]:
    """(PNG, caption) per group of up to six shown questions; none when withheld."""
    if results.withheld:
        return []
    shown = [r for r in results.questions if r.shown]
    families = fonts()
    out = []
    for start in range(0, len(shown), PER_IMAGE):
        group = shown[start : start + PER_IMAGE]
        caption = t(
            lang,
            "📊 {title} · questions {first}–{last}",
            title=title,
            first=group[0].number,
            last=group[-1].number,
        )
        out.append((_png(lang, group, families), shorten(caption, CAPTION_LIMIT)))
    return out
