"""Every role × every action of the secretary's desk: the answer, and what changed.

One World, one story. Requests #1 (open) and #2 (resolved by 吴建华) belong to 孙小红 of
the dock branch (secretary 周海涛); 孙母 is her family. 郑丽 (dock member) cannot be
reached. First every role tries every action (refusals and read-only answers change
nothing), then the allowed changes are made, then stale and forged buttons are pressed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from storage.tables import (
    branch_members,
    deadlines,
    events,
    invites,
    outbox,
    people,
    requests,
    roles,
    roster_events,
)
from tests.e2e.conftest import (
    CHEN,
    GU,
    MAO,
    STRANGER,
    SUN,
    SUN_MOTHER,
    WANG,
    WU,
    ZHOU,
    World,
)

ZHENG = 5555  # the dock member whose alerts fail
QUEUED = ("id", "chat_id", "method", "payload", "purpose", "request_id", "recipient_id")
WATCHED = (
    requests,
    events,
    people,
    branch_members,
    roles,
    roster_events,
    invites,
    deadlines,
)

ROLES = {
    "worker": MAO,
    "family": SUN_MOTHER,
    "member": WU,
    "secretary": ZHOU,
    "other-secretary": WANG,
    "committee": CHEN,
    "supervisor": GU,
    "unregistered": STRANGER,
}

# Roles that exist only once CHANGES have run: wu was a member until "/remove wu".
AFTER_REMOVAL = {"removed member": WU}

NO_BOARD = "The board is for branch secretaries"
NOT_YOURS_1 = "There is no request #1 that you can act on"
NOT_YOURS_2 = "There is no request #2 that you can act on"
NOT_ROSTER = "Only a branch secretary or the committee can change the roster"
NOT_INVITER = "Only a branch secretary or the committee can create invites"
NOT_ADDER = "Only a branch secretary can add people"
NOT_IN_BRANCH = "nobody with the key wu in your branch"
INVALID = "This button is no longer valid"
NO_FAMILY = "Only a registered employee can add a family member"
NOTHING_OPEN = "Nothing of theirs was open"
IN_ROSTER = "comes from someone in the roster"
NOT_BLOCKED = "is not blocked"

# action -> (what is sent: a command, or "press:" and callback data), with {zheng} and {wu}
ACTIONS = {
    "board": "/board",
    "page": "press:b:0",
    "reassign-menu": "press:g:1",
    "reassign": "press:a:1:{wu}",
    "escalate": "press:e:1",
    "confirm-for": "press:f:2",
    "reopen": "press:o:2",
    "nudge": "press:h:{zheng}",
    "invite": "/invite zheng",
    "invite-new": "/invite member xu 许文",
    "handles": "/handles wu 120 110 gear",
    "away-for": "/away wu 2d",
    "remove": "/remove wu testing the matrix",
    "family": "/family 某某",
    "view": "/status 1",
    "cancel-all": "/cancelall 2 testing the matrix",
    "block": "/block 1 testing the matrix",
    "unblock": "/unblock 1",
}

# Phase one: every role tries every action. The answer is the row's refusal unless the
# role is listed; listed answers are read-only (a board, a menu, an explanation). Roles in
# ALLOWED[action] may make the change: their cells come in phase two.
ANSWERS: dict[str, tuple[str, dict[str, str]]] = {
    "board": (
        NO_BOARD,
        {
            "secretary": "码头机修支部",
            "other-secretary": "仓储部支部 · page 1/1",
            "committee": "码头机修支部: 1 open",
        },
    ),
    "page": (NO_BOARD, {"secretary": "Page 1", "other-secretary": "Page 1", "committee": "Page 1"}),
    "reassign-menu": (
        NOT_YOURS_1,
        {"secretary": "Choose the member", "committee": "Choose the member"},
    ),
    "reassign": (NOT_YOURS_1, {}),
    "escalate": (NOT_YOURS_1, {}),
    "confirm-for": (NOT_YOURS_2, {"secretary": "/confirm 2", "committee": "/confirm 2"}),
    "reopen": (NOT_YOURS_2, {}),
    "nudge": (INVALID, {}),
    "invite": (NOT_INVITER, {"other-secretary": "zheng is not in your branch"}),
    "invite-new": (NOT_ADDER, {}),
    "handles": (NOT_ROSTER, {"other-secretary": NOT_IN_BRANCH}),
    "away-for": (NOT_ROSTER, {"other-secretary": NOT_IN_BRANCH}),
    "remove": (NOT_ROSTER, {"other-secretary": NOT_IN_BRANCH}),
    "family": (NO_FAMILY, {}),
    "view": (NOT_YOURS_1, {"secretary": "#1", "committee": "#1"}),
    # 孙小红 is in the roster, so she cannot be blocked; and nobody is blocked to unblock.
    "cancel-all": (NOT_YOURS_2, {}),
    "block": (NOT_YOURS_1, {"secretary": IN_ROSTER, "committee": IN_ROSTER}),
    "unblock": (NOT_YOURS_1, {"secretary": NOT_BLOCKED, "committee": NOT_BLOCKED}),
}
OVERSEERS = {"secretary", "committee"}
ALLOWED: dict[str, set[str]] = {
    **{a: OVERSEERS for a in ("reassign", "escalate", "reopen", "nudge", "invite")},
    **{a: OVERSEERS for a in ("handles", "away-for", "remove")},
    "invite-new": {"secretary", "other-secretary"},  # each to their own branch
    "family": {"worker", "member", "secretary", "other-secretary", "committee", "supervisor"},
    "cancel-all": OVERSEERS,  # its cells come last: it ends 孙小红's open request #1
}

# Phase two: the allowed changes, in an order where each still applies: (role, what, answer).
CHANGES = [
    ("secretary", "press:a:1:{wu}", "now 吴建华's"),
    ("committee", "press:a:1:{zheng}_y", "now 郑丽's"),  # unreachable: confirmed first
    ("secretary", "press:e:1", "escalated; told: 陈主任"),
    ("committee", "press:e:1", "escalated; told: 陈主任"),
    ("secretary", "press:o:2", "back with its owner"),
    ("member", "/resolve 2 dressed again", "marked resolved"),  # (to reopen it once more)
    ("committee", "press:o:2", "back with its owner"),
    ("secretary", "press:h:{zheng}", "郑丽 is asked to open the bot"),
    ("committee", "press:h:{zheng}", "郑丽 is asked to open the bot"),
    ("secretary", "/invite zheng", "start="),
    ("committee", "/invite zheng", "start="),
    ("secretary", "/invite member xu 许文", "start="),
    ("other-secretary", "/invite worker xv 许武", "start="),
    ("secretary", "/handles wu 120 110 gear", "吴建华 now handles: 120, 110, gear"),
    ("committee", "/handles wu 120", "吴建华 now handles: 120"),
    ("secretary", "/away wu 2d", "吴建华 is away until"),
    ("committee", "/away wu 3d", "吴建华 is away until"),
    *[(role, "/family 某某", "Forward this link") for role in sorted(ALLOWED["family"])],
    ("secretary", "/remove wu testing the matrix", "wu is off the roster"),
    ("committee", "/remove zheng testing the matrix", "zheng is off the roster"),
]

# Last of all, as it ends request #1: the secretary stops everything 孙小红 has open; the
# committee, a moment later, finds nothing left.
LAST = [
    ("secretary", "/cancelall 2 testing the matrix", "Cancelled: #1", True),
    ("committee", "/cancelall 2 testing the matrix", NOTHING_OPEN, False),
]

# After the changes: buttons from before, and made-up ones, change nothing.
STALE = [
    ("secretary", "press:o:2", "waiting for a taker now"),  # its owner left the roster
    ("secretary", "press:a:1:{wu}", "cannot take request #1"),  # wu left the roster
    ("secretary", "press:a:99:{wu}", "There is no request #99"),
    ("secretary", "press:a:1:abc", INVALID),
    ("secretary", "press:z:1", INVALID),
    ("secretary", "press:h:{wu}", INVALID),  # not in the roster any more
    ("other-secretary", "press:g:1", NOT_YOURS_1),
]


async def _dump(world: World) -> dict[str, list[Any]]:
    await world.settle()
    out = {}
    async with world.runtime.engine.connect() as conn:
        for table in WATCHED:
            out[table.name] = sorted(
                (tuple(r) for r in await conn.execute(select(table))), key=repr
            )
        # What was queued, not how its delivery is going (a retry after a 429 may still
        # be under way from an earlier cell), and not the answer itself: every answer,
        # a refusal too, is a message the outbox sends.
        queued = select(*(outbox.c[name] for name in QUEUED)).where(outbox.c.purpose != "reply")
        out["outbox"] = sorted((tuple(r) for r in await conn.execute(queued)), key=repr)
    return out


async def _do(world: World, telegram_id: int, what: str, expected: str) -> str:
    user = world.user(telegram_id)
    if what.startswith("press:"):
        message = user.last.message_id if user.messages else 0
        answer = await user.press_data(message, what.removeprefix("press:"))
        return answer.text or ""
    user.send(what)
    try:
        return (await user.wait_message(expected)).text
    except TimeoutError:
        return user.last.text if user.messages else ""


async def _setup(world: World) -> dict[str, int]:
    world.user(ZHENG, "Zheng")
    world.user(SUN).send("/110 somebody is following me")
    await world.user(WU).wait_message("following me")
    world.user(SUN).send("/120 burnt hand")
    alert = await world.user(WU).wait_message("burnt hand")
    await world.user(WU).press(alert, "Take")
    world.user(WU).send("/resolve 2 dressed")
    await world.user(SUN).wait_message("Is your trouble over?")
    async with world.runtime.engine.begin() as conn:
        await conn.execute(
            update(people)
            .where(people.c.key == "zheng")
            .values(telegram_id=ZHENG, unreachable_since=world.clock.now())
        )
        ids: dict[str, int] = {
            r.key: r.id for r in await conn.execute(select(people.c.key, people.c.id))
        }
    return {"wu": ids["wu"], "zheng": ids["zheng"]}


async def _check(
    world: World, role: str, what: str, answer: str, changes: bool, wrong: list[str]
) -> None:
    before = await _dump(world)
    got = await _do(world, ROLES.get(role) or AFTER_REMOVAL[role], what, answer)
    after = await _dump(world)
    changed = sorted(name for name in before if before[name] != after[name])
    if answer not in got or bool(changed) != changes:
        wrong.append(f"{role} {what}: changed {changed}, answered {got[:80]!r}")


async def test_every_role_and_action_answers_and_changes_only_what_it_may(world: World) -> None:
    ids = await _setup(world)
    wrong: list[str] = []
    for action, (refusal, answers) in ANSWERS.items():
        for role in ROLES:
            if role in ALLOWED.get(action, set()):
                continue
            what = ACTIONS[action].format(**ids)
            await _check(world, role, what, answers.get(role, refusal), False, wrong)
    for role, what, answer in CHANGES:
        await _check(world, role, what.format(**ids), answer, True, wrong)
    for role, what, answer in STALE:
        await _check(world, role, what.format(**ids), answer, False, wrong)
    # wu has been removed: the member who was is now a stranger to every action.
    for action, (refusal, answers) in ANSWERS.items():
        what = ACTIONS[action].format(**ids)
        await _check(
            world, "removed member", what, answers.get("unregistered", refusal), False, wrong
        )
    for role, what, answer, changes in LAST:
        await _check(world, role, what, answer, changes, wrong)
    assert not wrong, "\n".join(wrong)
