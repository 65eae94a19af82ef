"""Texts and keyboards of care plans and visits, built from the catalog.

Pure functions of their arguments, like ``bot.texts.render``: no Update, no database.
"""

from __future__ import annotations

from datetime import date

from bot.callbacks import Button, Verb
from bot.domain.visits import PlanKind, PlanState, VisitState
from bot.i18n import N_, t

Rows = list[list[tuple[str, Button]]]

PLAN_STATE_LABELS = {
    PlanState.ACTIVE: N_("active"),
    PlanState.PAUSED: N_("paused"),
    PlanState.ENDED: N_("ended"),
}
VISIT_STATE_LABELS = {
    VisitState.DUE: N_("due"),
    VisitState.DONE: N_("done"),
    VisitState.MISSED: N_("missed"),
    VisitState.CANCELLED: N_("cancelled"),
}
KIND_ICONS = {
    PlanKind.CARE: "🤝",
    PlanKind.RECEPTION: "🏛",
    PlanKind.DEPARTMENT_VISIT: "🚶",
}
WEEKDAY_LABELS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def day_text(lang: str, day: date) -> str:
    """``2026-12-05 (Saturday)``: a date a phone user can check against a calendar."""
    return f"{day.isoformat()} ({t(lang, WEEKDAY_LABELS[day.weekday()])})"


def plan_title(kind: PlanKind, cared_for: str, key: str) -> str:
    return f"{KIND_ICONS[kind]} {cared_for} [{key}]"


def reminder_text(lang: str, kind: PlanKind, title: str, note: str, day: date, today: date) -> str:
    """The reminder a visitor gets, ahead or on the day."""
    days = (day - today).days
    if days <= 0:
        when = t(lang, "today")
    elif days == 1:
        when = t(lang, "tomorrow")
    else:
        when = t(lang, "in {n} days", n=days)
    head = (
        t(lang, "🗓 Visit to {name}: {day}, {when}.", name=title, day=day_text(lang, day), when=when)
        if kind is PlanKind.CARE
        else t(
            lang, "🗓 Duty: {name}: {day}, {when}.", name=title, day=day_text(lang, day), when=when
        )
    )
    lines = [head]
    if note:
        lines.append(note)
    lines.append(t(lang, "Press Done once it has happened."))
    return "\n".join(lines)


def visit_buttons(lang: str, visit_id: int) -> Rows:
    return [
        [
            (t(lang, "Done"), Button(Verb.VISIT_DONE, visit_id)),
            (t(lang, "Postpone"), Button(Verb.VISIT_POSTPONE, visit_id)),
            (t(lang, "Can't go"), Button(Verb.VISIT_DECLINE, visit_id)),
        ]
    ]


def postpone_buttons(lang: str, visit_id: int, days: list[date]) -> Rows:
    labels = [(f"{d.strftime('%m-%d')} {t(lang, WEEKDAY_LABELS[d.weekday()])}", d) for d in days]
    rows: Rows = []
    for i in range(0, len(labels), 2):
        rows.append(
            [
                (label, Button(Verb.VISIT_POSTPONE, visit_id, d.strftime("%Y%m%d")))
                for label, d in labels[i : i + 2]
            ]
        )
    return rows


def assign_buttons(visit_id: int, people: list[tuple[int, str]]) -> Rows:
    """One button per person the secretary can give the visit to."""
    return [
        [(name, Button(Verb.VISIT_ASSIGN, visit_id, str(pid))) for pid, name in people[i : i + 2]]
        for i in range(0, len(people), 2)
    ]


# The /newplan form's buttons: one verb, the answer in the argument.
PATTERNS = [
    ("pm", N_("Monthly on a day")),
    ("pf", N_("First weekday of the month")),
    ("pl", N_("Last weekday of the month")),
    ("pw", N_("Every N weeks")),
    ("py", N_("Yearly on a date")),
    ("po", N_("Once")),
    ("pr", N_("Type an RRULE")),
]


def form_button(arg: str) -> Button:
    return Button(Verb.PLAN_FORM, 0, arg)


def form_rows(items: list[tuple[str, str]], per_row: int = 2) -> Rows:
    """(argument, label) pairs as rows of form buttons."""
    return [
        [(label, form_button(arg)) for arg, label in items[i : i + per_row]]
        for i in range(0, len(items), per_row)
    ]


def weekday_rows(lang: str) -> Rows:
    return form_rows([(f"d{i}", t(lang, WEEKDAY_LABELS[i])) for i in range(7)], 4)
