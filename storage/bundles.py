"""Bundles of alerts in the outbox (``bot/texts/bundle_render.py`` says what a bundle is).

A bundle is an outbox row of its own (purpose ``bundle``, payload ``{"bundle": its id,
"page": n}``; the text is drawn from its members whenever it is sent or edited). Its
members are the alert rows it carries: their ``ref_id`` names the bundle and their status
is ``bundled`` until the bundle is sent (then ``sent``) or found undeliverable (then
``failed``). A member keeps its request, recipient and level, so escalation, relays and
retiring see it as the alert it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.bundles import Entry
from bot.domain.purposes import Purpose
from storage.tables import outbox

MOST = 100  # members in one bundle: ten pages
# An alert row that may still reach its person: waiting, on the way, there, or carried by
# a bundle.
ALIVE = ("pending", "sending", "sent", "bundled")


def bundleable(method: str, purpose: str, payload: dict[str, Any]) -> bool:
    """An alert that may travel in a bundle: written with its summary (older rows had
    none), and not a repeat (that goes alone, marked)."""
    return (
        method == "sendMessage"
        and purpose == Purpose.ALERT
        and "brief" in payload
        and not payload.get("repeat")
    )


async def form(
    conn: AsyncConnection, chat_id: int, now: datetime, *, recipient_id: int | None
) -> int | None:
    """Gather the chat's due alerts into a new bundle, claimed ('sending') at once.

    Returns its id, or None when fewer than two alerts were still waiting (taken or
    cancelled meanwhile): those go as they are."""
    due = (
        await conn.execute(
            select(outbox.c.id, outbox.c.priority, outbox.c.payload)
            .where(
                outbox.c.chat_id == chat_id,
                outbox.c.status == "pending",
                outbox.c.purpose == Purpose.ALERT,
                outbox.c.method == "sendMessage",
                outbox.c.not_before <= now,
            )
            .order_by(outbox.c.priority, outbox.c.id)
            .limit(MOST)
        )
    ).all()
    # A repeat (it may have arrived before) goes alone, marked, never unmarked in a list.
    ids = [r.id for r in due if "brief" in r.payload and not r.payload.get("repeat")]
    if len(ids) < 2:
        return None
    result = await conn.execute(
        outbox.insert().values(
            chat_id=chat_id,
            priority=min(r.priority for r in due),
            method="sendMessage",
            payload={},
            recipient_id=recipient_id,
            purpose=Purpose.BUNDLE,
            status="sending",
            attempts=1,
            not_before=now,
            created_at=now,
        )
    )
    bundle_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == bundle_id)
        .values(payload={"bundle": bundle_id, "page": 0})
    )
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status == "pending")
        .values(status="bundled", ref_id=bundle_id)
    )
    return bundle_id


async def entries(conn: AsyncConnection, bundle_id: int) -> list[Entry]:
    """The bundle's members in the order they are listed (most urgent, then oldest)."""
    rows = await conn.execute(
        select(outbox.c.request_id, outbox.c.payload, outbox.c.level)
        .where(
            outbox.c.ref_id == bundle_id,
            outbox.c.purpose.in_((Purpose.ALERT, Purpose.ALERT_RETIRED)),
        )
        .where(outbox.c.method == "sendMessage")
        .order_by(outbox.c.priority, outbox.c.id)
    )
    return [
        Entry(
            request_id=int(r.request_id),
            brief=str(r.payload.get("brief", f"#{r.request_id}")),
            note=r.payload.get("note"),
            escalated=str(r.payload.get("brief", "")).startswith("⬆"),
        )
        for r in rows
    ]


async def bundle_row(conn: AsyncConnection, bundle_id: int) -> Any:
    """(chat_id, status, priority, payload) of a bundle, or None."""
    return (
        await conn.execute(
            select(outbox.c.chat_id, outbox.c.status, outbox.c.priority, outbox.c.payload).where(
                outbox.c.id == bundle_id, outbox.c.purpose == Purpose.BUNDLE
            )
        )
    ).one_or_none()


async def set_page(conn: AsyncConnection, bundle_id: int, page: int) -> None:
    """Remember the page shown, so an edit after a take redraws the page in view."""
    row = await bundle_row(conn, bundle_id)
    if row is not None:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == bundle_id)
            .values(payload={**row.payload, "page": page})
        )


async def retire_member(
    conn: AsyncConnection, row_id: int, payload: dict[str, Any], note: str
) -> None:
    """A member's request needs nobody any more: its entry shows ``note``, no button."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == row_id)
        .values(purpose=Purpose.ALERT_RETIRED, payload={**payload, "note": note})
    )


async def redraw_pending(conn: AsyncConnection, bundle_id: int) -> bool:
    """Whether the bundle will be drawn anew anyway: not sent yet, or an edit of it is
    already waiting (one edit shows every change made before it leaves)."""
    row = await bundle_row(conn, bundle_id)
    if row is None or row.status == "pending":
        return True
    waiting = await conn.scalar(
        select(outbox.c.id).where(
            outbox.c.ref_id == bundle_id,
            outbox.c.method == "editMessageText",
            outbox.c.status == "pending",
        )
    )
    return waiting is not None


async def members(conn: AsyncConnection, bundle_id: int) -> list[Any]:
    """The member rows still carried (for an undeliverable bundle)."""
    rows = await conn.execute(
        select(outbox).where(outbox.c.ref_id == bundle_id, outbox.c.status == "bundled")
    )
    return list(rows.all())


async def settle_members(conn: AsyncConnection, bundle_id: int, **values: Any) -> None:
    """The bundle's outcome is its members' (sent with it, or failed with it)."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.ref_id == bundle_id, outbox.c.status == "bundled")
        .values(**values)
    )
