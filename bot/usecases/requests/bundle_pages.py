"""◀ ▶ in a bundle of alerts (``bot/texts/bundle_render.py``): the same message, another page.

The page is redrawn through the outbox like every other edit: a bundle comes when the
chat's messages are at Telegram's pace, and an edit made beside the outbox would meet a
429 there."""

from __future__ import annotations

from bot.domain.authz import Actor
from bot.texts import bundle_render
from bot.usecases.common import Refused, redraw_bundle
from storage import bundles
from storage.uow import UnitOfWork

STALE = "This button is no longer valid."


async def page(uow: UnitOfWork, actor: Actor, bundle_id: int, wanted: str | None) -> int:
    """Show page ``wanted`` of a bundle, for the person it was sent to only; the page is
    remembered, so that the bundle redrawn after a take stays on the page in view.
    Returns the page shown (counted from 0)."""
    found = await bundles.bundle_row(uow.conn, bundle_id)
    if found is None or found.chat_id != actor.chat_id or not (wanted or "").isdigit():
        raise Refused(STALE)
    entries = await bundles.entries(uow.conn, bundle_id)
    shown = min(int(wanted or 0), bundle_render.pages(entries) - 1)
    await bundles.set_page(uow.conn, bundle_id, shown)
    await redraw_bundle(uow, bundle_id, found.chat_id, found.priority)
    return shown
