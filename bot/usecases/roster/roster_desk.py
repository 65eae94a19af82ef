"""The roster from the phone: add, set handles, mark away, remove, nudge, add family.

Every change is a ``roster_events`` row (who, why, when; source "bot") in the same
transaction, so the roster keeps a timeline and a later file import can say which of
these changes it overrides.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.domain.authz import Actor, may_add_family, steers_roster
from bot.domain.kinds import CATEGORY_ALIASES, HANDLE_TOPICS
from bot.domain.lifecycle import State
from bot.domain.people import Person
from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.i18n import t
from bot.texts import render
from bot.usecases.common import Ctx, Refused, set_state
from bot.usecases.desk.presence import mark_away
from bot.usecases.requests.actions import alert_again
from bot.usecases.roster.registration import Invite, issue_invite
from bot.usecases.roster.roster_log import record
from storage import board_queries as bq
from storage import queries
from storage import roster_edits as edits
from storage.invites import person_id_by_key
from storage.uow import Send, UnitOfWork

KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)
ROLES = ("member", "worker")
NAME_LIMIT = 60  # a person's name as typed on a phone; the column holds 200


async def _subject(uow: UnitOfWork, actor: Actor, key: str) -> tuple[Person, frozenset[int]]:
    """The person ``key`` if ``actor`` may manage them; the same refusal otherwise."""
    if not (actor.secretary_of or actor.committee):
        raise Refused("Only a branch secretary or the committee can change the roster.")
    person_id = await person_id_by_key(uow.conn, key)
    person = await queries.person_by_id(uow.conn, person_id) if person_id is not None else None
    branches = await bq.person_branches(uow.conn, person.id) if person else frozenset()
    if person is None or not steers_roster(actor, branches):
        raise Refused("There is nobody with the key {key} in your branch.", key=key)
    return person, branches


def _own_branch(actor: Actor) -> int:
    if not actor.secretary_of:
        raise Refused("Only a branch secretary can add people to their branch.")
    return min(actor.secretary_of)


async def add_person(uow: UnitOfWork, actor: Actor, role: str, key: str, name: str) -> Invite:
    """A new member or worker of the secretary's branch, bound later by an invite."""
    branch_id = _own_branch(actor)
    name = " ".join(name.split())[:NAME_LIMIT]
    if role not in ROLES or not KEY.fullmatch(key) or not name:
        raise Refused("Usage: {command}", command="/invite member|worker KEY NAME")
    if await edits.key_taken(uow.conn, key):
        raise Refused("The key {key} is taken; choose another.", key=key)
    department = await edits.first_department(uow.conn, branch_id)
    person_id = await edits.add_person(
        uow.conn, key=key, name=name, now=uow.now, department=department
    )
    if role == "member":
        await edits.add_member(uow.conn, branch_id, person_id)
    await record(uow, "added", actor, person_id, branch_id=branch_id, role=role, key=key)
    return await issue_invite(uow, person_id, actor.person_id)


def parse_topics(words: list[str]) -> list[str]:
    topics = []
    for word in words:
        word = word.strip().lower()
        alias = CATEGORY_ALIASES.get(word)
        topic = alias.value if alias is not None else word
        if topic not in HANDLE_TOPICS:
            raise Refused(
                "{word!r} is not something a member can handle; use {topics}.",
                word=word[:30],
                topics=", ".join(sorted(HANDLE_TOPICS)),
            )
        if topic not in topics:
            topics.append(topic)
    return topics


async def set_handles(uow: UnitOfWork, actor: Actor, key: str, words: list[str]) -> Person:
    """What a member of the branch is alerted for."""
    person, branches = await _subject(uow, actor, key)
    topics = parse_topics(words)
    if await edits.member_branch(uow.conn, person.id) is None:
        raise Refused("{name} is not a member of a branch, so handles nothing.", name=person.name)
    await edits.set_handles(uow.conn, person.id, topics, uow.now)
    await record(
        uow,
        "handles",
        actor,
        person.id,
        branch_id=min(branches),
        handles=topics,
        before=sorted(person.handles),
    )
    return person


async def set_away_for(
    uow: UnitOfWork, actor: Actor, key: str, text: str
) -> tuple[Person, datetime]:
    """A secretary marks a member of the branch away (routing skips them until then)."""
    person, branches = await _subject(uow, actor, key)
    return person, await mark_away(uow, actor, person.id, text, branch_id=min(branches))


async def remove(uow: UnitOfWork, ctx: Ctx, actor: Actor, key: str, reason: str) -> list[int]:
    """Take someone off the roster (and their family with them); history stays.

    The requests they had taken go back to open and are alerted again; the numbers of
    those requests are returned.
    """
    person, branches = await _subject(uow, actor, key)
    if not reason.strip():
        raise Refused("Say why: {command}", command=f"/remove {key} reason")
    if person.id == actor.person_id:
        raise Refused("You cannot remove yourself; ask the committee.")
    if await edits.branch_led_by(uow.conn, person.id) is not None:
        raise Refused(
            "{name} is a branch secretary: name a new secretary in the roster file first.",
            name=person.name,
        )
    family = await edits.active_family(uow.conn, person.id)
    await edits.deactivate(uow.conn, [person.id, *family], uow.now)
    branch_id = min(branches) if branches else None
    await record(uow, "removed", actor, person.id, branch_id=branch_id, reason=reason)
    for member in family:
        await record(
            uow, "removed", actor, member, branch_id=branch_id, reason=reason, worker=person.id
        )
    return await hand_back(uow, ctx, person, actor.person_id, "removed: " + reason)


async def hand_back(
    uow: UnitOfWork, ctx: Ctx, person: Person, actor_id: int | None, reason: str
) -> list[int]:
    """Someone left the roster (``/remove`` or an import without them): the requests
    they had taken go back to open and are alerted again; return their numbers. Their
    messages still queued are dropped when due (the dispatcher checks the roster)."""
    taken = await queries.requests_where(
        uow.conn, owner_id=person.id, states=[State.TAKEN], limit=1000
    )
    note = t(ctx.lang, "↩ {name} left the roster", name=person.name)
    for req in taken:
        if await set_state(uow, req, State.TAKEN, state=State.OPEN.value, owner_id=None):
            await uow.event(req.id, "released", actor_id=actor_id, reason=reason)
            await alert_again(uow, ctx, req, note)
    return [r.id for r in taken]


async def hand_back_after_import(uow: UnitOfWork, ctx: Ctx, person_ids: list[int]) -> int:
    """What the people an import took off the roster had taken, handed back; how many."""
    found = await queries.people_by_ids(uow.conn, person_ids)
    handed = 0
    for person in found.values():
        handed += len(await hand_back(uow, ctx, person, None, "removed: roster import"))
    return handed


async def nudge(uow: UnitOfWork, ctx: Ctx, actor: Actor, person_id: int) -> Person:
    """Ask a member whose alerts fail to open the bot again."""
    active = await edits.is_active(uow.conn, person_id)
    person = await queries.person_by_id(uow.conn, person_id) if active else None
    branches = await bq.person_branches(uow.conn, person_id) if person else frozenset()
    if person is None or not steers_roster(actor, branches):
        raise Refused("This button is no longer valid.")
    if not person.unreachable or person.telegram_id is None:
        raise Refused("{name} is reachable again; no nudge is needed.", name=person.name)
    await uow.send(
        Send(
            chat_id=person.telegram_id,
            method="sendMessage",
            payload=render.text_message(
                t(
                    ctx.lang,
                    "📣 {by} asks you to open the help line bot: alerts to you could not be "
                    "delivered. Send /start so they reach you again.",
                    by=actor.name,
                )
            ),
            priority=Priority.HIGH,
            purpose=Purpose.NUDGE,
            recipient_id=person.id,
        )
    )
    await record(uow, "nudged", actor, person.id, branch_id=min(branches) if branches else None)
    return person


async def add_family(uow: UnitOfWork, actor: Actor, name: str) -> tuple[str, Invite]:
    """A worker registers a family member; returns the name as stored and the invite code
    to forward to them."""
    person = await queries.person_by_chat(uow.conn, actor.chat_id)
    if person is None or not may_add_family(actor):
        raise Refused("Only a registered employee can add a family member.")
    name = " ".join(name.split())[:NAME_LIMIT]
    if not name:
        raise Refused("Usage: {command}", command="/family NAME")
    key = f"{person.key}-family-{await edits.family_count(uow.conn, person.id) + 1}"
    while await edits.key_taken(uow.conn, key):
        key += "x"
    family_id = await edits.add_person(
        uow.conn, key=key[:64], name=name, now=uow.now, family_of_id=person.id
    )
    branches = await bq.person_branches(uow.conn, person.id)
    await record(
        uow,
        "family-added",
        actor,
        family_id,
        branch_id=min(branches) if branches else None,
        family_of=person.id,
    )
    return name, await issue_invite(uow, family_id, actor.person_id)
