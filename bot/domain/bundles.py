"""An entry of a bundle of alerts (``bot/texts/bundle_render.py`` says what a bundle is): the
request it lists, as its alert summarised it, and why it is no longer open, if it is not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    request_id: int
    brief: str  # the alert's summary: "#12 🚑 120 … · 毛 · 仓储部 · 12-07 10:02\n   …"
    note: str | None  # why the entry is no longer open, once it is not
    escalated: bool  # an escalation (level above the members), not a first alert
