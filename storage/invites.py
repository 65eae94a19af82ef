"""One-time invite codes that bind a roster person to the Telegram account opening them.

The code travels in a deep link (``https://t.me/<bot>?start=<code>``), so it uses only
the characters Telegram allows in a /start payload. A code is claimed by one conditional
UPDATE, so two phones racing with the same link cannot both win. These functions run
inside the caller's transaction and never commit: the binding, the reply to send and the
update's inbox record are committed together or not at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import invites, people

CODE_BYTES = 18  # 24 URL-safe characters: unguessable, and well within 64 for /start


class RedeemStatus(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"  # no such code (or its person left the roster)
    EXPIRED = "expired"
    USED = "used"
    CHAT_ALREADY_BOUND = "chat_already_bound"  # that account is another person's


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    person_id: int | None = None  # set when status is OK

    @property
    def ok(self) -> bool:
        return self.status is RedeemStatus.OK


async def person_id_by_key(
    conn: AsyncConnection, key: str, *, active_only: bool = True
) -> int | None:
    """The id of the roster person ``key``; people removed from the roster count as unknown."""
    query = select(people.c.id).where(people.c.key == key)
    if active_only:
        query = query.where(people.c.active.is_(True))
    value = (await conn.execute(query)).scalar_one_or_none()
    return int(value) if value is not None else None


async def create_invite(
    conn: AsyncConnection,
    *,
    person_id: int,
    created_by_id: int | None,
    now: datetime,
    ttl: timedelta = timedelta(days=7),
) -> str:
    """Store a new code for ``person_id`` valid for ``ttl``, and return it."""
    if ttl <= timedelta(0):
        raise ValueError("an invite must live for a positive time")
    code = secrets.token_urlsafe(CODE_BYTES)
    await conn.execute(
        insert(invites).values(
            code=code,
            person_id=person_id,
            created_by_id=created_by_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return code


async def redeem_invite(
    conn: AsyncConnection, *, code: str, chat_id: int, now: datetime
) -> RedeemResult:
    """Bind the person of ``code`` to ``chat_id``, once, if the code is still valid."""
    if not code or len(code) > 64:
        return RedeemResult(RedeemStatus.UNKNOWN)
    # Claim first: the conditional UPDATE is the only step that decides who wins.
    active_people = select(people.c.id).where(people.c.active.is_(True))
    claimed = await conn.execute(
        update(invites)
        .where(
            and_(
                invites.c.code == code,
                invites.c.used_at.is_(None),
                invites.c.expires_at > now,
                invites.c.person_id.in_(active_people),
            )
        )
        .values(used_at=now, used_by_chat_id=chat_id)
    )
    row = (
        await conn.execute(
            select(invites.c.person_id, invites.c.used_at, invites.c.expires_at).where(
                invites.c.code == code
            )
        )
    ).one_or_none()
    if row is None:
        return RedeemResult(RedeemStatus.UNKNOWN)
    if claimed.rowcount != 1:
        if row.used_at is not None:
            return RedeemResult(RedeemStatus.USED)
        if row.expires_at <= now:
            return RedeemResult(RedeemStatus.EXPIRED)
        return RedeemResult(RedeemStatus.UNKNOWN)  # the person was removed from the roster
    person_id = int(row.person_id)

    holder = (
        await conn.execute(
            select(people.c.id, people.c.active).where(
                and_(people.c.telegram_id == chat_id, people.c.id != person_id)
            )
        )
    ).one_or_none()
    if holder is not None and holder.active:
        # Give the code back: the account is the problem, not the code.
        await conn.execute(
            update(invites).where(invites.c.code == code).values(used_at=None, used_by_chat_id=None)
        )
        return RedeemResult(RedeemStatus.CHAT_ALREADY_BOUND)
    if holder is not None:
        # A person removed from the roster still held the account: it moves on.
        await conn.execute(
            update(people).where(people.c.id == holder.id).values(telegram_id=None, updated_at=now)
        )
    await conn.execute(
        update(people).where(people.c.id == person_id).values(telegram_id=chat_id, updated_at=now)
    )
    return RedeemResult(RedeemStatus.OK, person_id)
