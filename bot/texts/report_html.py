"""A period's figures as one self-contained HTML page, for publishing or printing.

Everything is inside the file: the CSS inline, the charts as base64 PNG ``data:`` URLs,
no script, no font or image fetched from anywhere, so it opens the same offline, in a mail
attachment or on paper. Every text is escaped; the page says the same as the quarterly
assessment (``bot.texts.report_render``), a table per branch with the change against the
previous period of the same length.
"""

from __future__ import annotations

import base64
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.figures import Report
from bot.i18n import t
from bot.texts import report_render
from bot.texts.report_charts import Chart

CSS = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1d2733; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
p.note { color: #556; margin-top: 0; }
figure { margin: 1.5em 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #556; font-size: .9em; }
section { margin: 2em 0; break-inside: avoid; }
h2 { font-size: 1.2em; border-bottom: 2px solid #3b7dd8; padding-bottom: .2em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #dde3ea;
         vertical-align: top; }
th { background: #f2f5f9; font-weight: 600; }
td.change { white-space: nowrap; color: #445; }
@media print { body { margin: 0; max-width: none; } figure { break-inside: avoid; } }
"""


def _figure(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    caption = escape(chart.caption)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _section(lang: str, report: Report, before: Report | None, *, suppress: bool) -> list[str]:
    earlier = {b.branch_id: b for b in before.branches} if before is not None else {}
    out = []
    # Not t() inside the f-string: Babel reads an f-string as one token and extracts nothing.
    columns = (t(lang, "Figure"), t(lang, "Value"), t(lang, "Change"))
    head = "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    for fig in report.branches:
        rows = [
            f"<tr><td>{escape(line.label)}</td><td>{escape(line.value)}</td>"
            f'<td class="change">{escape(line.change)}</td></tr>'
            for line in report_render.lines(
                lang, fig, earlier.get(fig.branch_id), suppress=suppress
            )
        ]
        name = escape(report_render.branch_name(lang, fig))
        out.append(f"<section><h2>{name}</h2><table>{head}{''.join(rows)}</table></section>")
    return out


def page(
    lang: str,
    report: Report,
    before: Report | None,
    charts: list[Chart],
    *,
    suppress: bool,
    made_at: datetime,
    tz: ZoneInfo,
) -> str:
    """The whole HTML document."""
    title = t(lang, "Branch figures · {span}", span=report_render.span_text(report))
    notes = [
        t(
            lang,
            "Change: against {previous}. Made {at} ({zone}).",
            previous=report.period.previous().label,
            at=made_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            zone=str(tz),
        )
    ]
    if suppress:
        notes.append(t(lang, "A figure over fewer than 3 requests shows n<3."))
    body = [
        f"<h1>{escape(title)}</h1>",
        *(f'<p class="note">{escape(note)}</p>' for note in notes),
        *(_figure(chart) for chart in charts),
        *_section(lang, report, before, suppress=suppress),
    ]
    html_lang = "zh-Hans" if lang == "zh" else lang
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
