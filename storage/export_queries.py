"""The rows ``helpline export`` writes, streamed from the database in chunks.

Requests raised in [start, end) with their branch and owner, and the events of those
requests, each read through a server-side cursor (``stream`` with ``yield_per``) so an
export of any size holds one chunk in memory at a time. The anonymised export's queries
do not select the names and texts at all. Both queries should run on one read-only
connection, in one transaction: the timeline then matches the requests exactly, however
busy the bot is meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import branches, events, people, requests

CHUNK = 2000  # rows fetched from the cursor at a time

_owner = people.alias("owner")
_actor = people.alias("actor")


def _raised_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(requests.c.created_at >= start, requests.c.created_at < end)


def requests_query(start: datetime, end: datetime, *, anonymised: bool) -> Select[Any]:
    columns: list[Any] = [
        requests.c.id,
        requests.c.kind,
        requests.c.category,
        requests.c.urgency,
        requests.c.state,
        branches.c.key.label("branch_key"),
        branches.c.name.label("branch_name"),
        requests.c.requester_department,
        requests.c.family_of_name,
        requests.c.unregistered,
        requests.c.level,
        requests.c.rating,
        requests.c.created_at,
        requests.c.take_seconds,
        requests.c.resolve_seconds,
        requests.c.close_seconds,
        requests.c.closed_by,
        requests.c.reopen_count,
        requests.c.escalated,
    ]
    joined = requests.outerjoin(branches, branches.c.id == requests.c.branch_id)
    if anonymised:
        # Only whether there is a family-of name, never the name itself.
        columns[8] = requests.c.family_of_name.is_not(None).label("family")
    else:
        columns += [requests.c.requester_name, requests.c.text, _owner.c.name.label("owner_name")]
        joined = joined.outerjoin(_owner, _owner.c.id == requests.c.owner_id)
    query = select(*columns).select_from(joined).where(_raised_in(start, end))
    return query.order_by(requests.c.created_at, requests.c.id)


def events_query(start: datetime, end: datetime, *, anonymised: bool) -> Select[Any]:
    columns: list[Any] = [
        events.c.request_id,
        events.c.at,
        events.c.type,
        events.c.data,
    ]
    joined = events.join(requests, requests.c.id == events.c.request_id)
    if anonymised:
        columns += [events.c.actor_id, events.c.actor_chat_id, requests.c.requester_chat_id]
    else:
        columns.append(_actor.c.name.label("actor_name"))
        joined = joined.outerjoin(_actor, _actor.c.id == events.c.actor_id)
    return (
        select(*columns)
        .select_from(joined)
        .where(_raised_in(start, end))
        .order_by(requests.c.created_at, requests.c.id, events.c.id)
    )


async def count(conn: AsyncConnection, query: Select[Any]) -> int:
    """How many rows ``query`` will stream (the progress bar's total)."""
    found = await conn.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return int(found or 0)


async def people_names(conn: AsyncConnection) -> dict[int, str]:
    """Every person's name by id, removed people too: whom an event reached."""
    rows = await conn.execute(select(people.c.id, people.c.name))
    return {int(r[0]): str(r[1]) for r in rows.all()}


async def stream(conn: AsyncConnection, query: Select[Any]) -> AsyncIterator[RowMapping]:
    """The rows of ``query``, ``CHUNK`` at a time from a server-side cursor."""
    result = await conn.stream(query.execution_options(yield_per=CHUNK))
    async for partition in result.mappings().partitions():
        for row in partition:
            yield row
