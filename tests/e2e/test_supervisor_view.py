"""A supervisor (顾明, 3001) sees anonymised figures and nothing else: no worker's or member's
name, no request's text, through any command or button the bot has.

One story: requests with distinctive texts are raised, taken, talked about, resolved and
rated, and one is left open. Then the supervisor sends every command the application
registers - found on the application itself, so a command added later is tried too - with
and without plausible arguments, and presses made-up buttons of every callback verb. Every
call the bot made to the supervisor's chat, and every answer to a press, is searched for
the roster's names and the texts. Last, the supervisor asks for help themselves (/120,
/110, /request): then being told who comes is the point, so only the committee's name may
appear, and still no one else's text.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from telegram.ext import CommandHandler

from bot.callbacks import Verb
from bot.files.roster import parse_roster
from storage.tables import inbox, people
from tests.e2e.conftest import (
    GU,
    LI,
    MAO,
    QIAN,
    ROSTER,
    SUN,
    WU,
    ZHAO,
    World,
    service_request,
)
from tests.e2e.report_story import Case, assert_chart_png, captioned, photo_bytes, story

TEXTS = [
    "zebra-crane-417 卡车撞坏了三号吊机",
    "amber-heart-905 胸口很疼",
    "violet-fall-233 从梯子上摔下来",
    "copper-flood-618 机修车间漏水",
    "indigo-gear-771 劳保鞋坏了",  # left open: it is on the boards
    "worker-talks-jade-552",  # a worker's reply, relayed to the member
    "member-talks-ruby-390",  # the member's answer
    "scarlet-fight-804 仓库门口有人打架",  # a 110 being handled
]
HELP_COMMANDS = {"120", "110", "request"}  # the supervisor asking for help: the last phase
ARGS = [
    "",
    "1",
    "#2",
    "3 because-reason-here",
    "5",
    "99",
    "sun-guardian",
    "reception-dock",
    "li",
    "wang",
    "li 120 110",
    "member xu 许文",
    "worker xv 许武",
    "3d",
    "2026-12-05",
    "mon li",
    "mon -",
    "this-month",
    "last-month",
    "2026-12",
    "2026Q4",
    "2026",
    "bad-period",
    "NOTACODE",
]


def _private_words() -> list[str]:
    """Every person's name in the roster but the supervisor's, the cared-for and their notes."""
    roster = parse_roster(ROSTER.read_text(encoding="utf-8"), str(ROSTER))
    names = [p.name for p in roster.people if p.name != "顾明"]
    cared = [p for p in roster.plans if p.kind == "care"]
    names += [p.cared_for.split(" (")[0] for p in cared] + [p.note for p in cared if p.note]
    return names


async def _handled(world: World) -> None:
    """Wait until the bot has finished with the last update and sent what it queued."""
    update_id = world.server.state.last_update_id
    for _ in range(1000):
        async with world.runtime.engine.connect() as conn:
            status = await conn.scalar(select(inbox.c.status).where(inbox.c.update_id == update_id))
        if status == "done":
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError(f"update {update_id} was not handled")
    await world.settle()


def _to_supervisor(world: World, answers: list[str]) -> str:
    """Everything the bot sent the supervisor: every call to their chat, every answer."""
    calls = [c.params for c in world.server.calls if str(c.chat_id) == str(GU)]
    return json.dumps([calls, answers], ensure_ascii=False, default=lambda _o: "<file>")


def _leaks(seen: str, words: list[str]) -> list[str]:
    return [w for w in words if w in seen]


async def _talk_and_leave_one_open(world: World) -> None:
    """A 110 taken and talked about, still being handled; a service request nobody took."""
    mao, zhao = world.user(MAO), world.user(ZHAO)
    mao.send(f"/110 {TEXTS[7]}")
    alert = await zhao.wait_message(lambda m: TEXTS[7] in m.text and "Take" in m.buttons)
    await zhao.press(alert, "Take")
    handling = await mao.wait_message("is handling your request")
    mao.send(TEXTS[5], reply_to=handling)
    relayed = await zhao.wait_message(TEXTS[5])
    zhao.send(TEXTS[6], reply_to=relayed)
    await mao.wait_message(TEXTS[6])
    await service_request(world, MAO, "Protective gear", TEXTS[4])
    await mao.wait_message("received")
    await world.settle()


def _forged_presses(person_ids: list[int]) -> list[str]:
    who = [str(i) for i in person_ids]
    data = []
    for verb in Verb:
        for number in (1, 2, 5, 99):
            for arg in (None, "5", *who, f"{who[0]}_y", "20261205", "send", "0_1"):
                data.append(f"{verb.value}:{number}" + (f":{arg}" if arg else ""))
    return data


async def test_no_name_or_text_reaches_a_supervisor_through_any_command(dated: World) -> None:
    world = dated
    await story(
        world,
        [
            Case(MAO, LI, TEXTS[0], take_after=1),
            Case(ZHAO, QIAN, TEXTS[1], take_after=2, stars=4),
            Case(QIAN, LI, TEXTS[2], take_after=3),
            Case(SUN, WU, TEXTS[3], take_after=1),
        ],
    )
    await _talk_and_leave_one_open(world)
    async with world.runtime.engine.connect() as conn:
        person_ids: list[int] = list(await conn.scalars(select(people.c.id).order_by(people.c.id)))
    private = _private_words() + TEXTS
    supervisor = world.user(GU)
    answers: list[str] = []

    registered = sorted(
        {
            command
            for group in world.runtime.app.handlers.values()
            for handler in group
            if isinstance(handler, CommandHandler)
            for command in handler.commands
        }
    )
    assert {"report", "figures", "board", "status", "visits", "plan"} <= set(registered)
    for command in registered:
        if command in HELP_COMMANDS:
            continue
        for arg in ARGS:
            supervisor.send(f"/{command} {arg}".strip())
            await _handled(world)
    supervisor.send("hello there")
    await _handled(world)
    supervisor.send("a reply", reply_to=supervisor.last)
    await _handled(world)
    message = supervisor.last.message_id
    for data in _forged_presses(person_ids[:3]):
        answer = await supervisor.press_data(message, data)
        answers.append(answer.text or "")
        await _handled(world)
    assert _leaks(_to_supervisor(world, answers), private) == []
    # The search is not blind: the same words are all over the members' chats.
    members = [c.params for c in world.server.calls if c.chat_id in (LI, ZHAO)]
    assert len(_leaks(json.dumps(members, ensure_ascii=False, default=str), private)) >= 5

    # The figures did reach them, withheld where fewer than 3 requests are behind them.
    # Supervisors see ended quarters only: the month is refused, the quarter once it ended
    # (the clock jumps without firing anything).
    supervisor.mark()
    supervisor.send("/figures 2026-12")
    await supervisor.wait_message("Supervisors see whole quarters that have ended")
    world.clock.advance(timedelta(days=31))
    supervisor.mark()
    supervisor.send("/figures 2026Q4")
    shown = (await supervisor.wait_message("Anonymised figures · 2026Q4")).text
    warehouse, dock = shown.index("🏢 仓储部支部"), shown.index("🏢 码头机修支部")
    # Five requests: three 120s, one 110 and one service request; the ones would give the
    # rest away, so the breakdown is withheld whole.
    assert "Requests: 5 — 120: n<3 · 110: n<3 · service: n<3" in shown[warehouse:dock]
    assert "Service requests by category: n<3\n" in shown[warehouse:dock]
    # Taken after 1, 2 and 3 minutes, and the 110 at once.
    assert "Time to take: median 1 min · 90% within 3 min" in shown[warehouse:dock]
    # Three ratings of 5, 4 and 3: the breakdown is withheld, and so is the mean that
    # would rebuild it.
    assert "Satisfaction: n<3" in shown[warehouse:dock]
    assert "Requests: n<3\n" in shown[dock:]
    for caption in ("Median time to take · 2026Q4", "Requests per week · 2026Q4"):
        chart = await supervisor.wait_message(captioned(caption))
        assert_chart_png(photo_bytes(world, chart))

    # Asking for help themselves: the committee's duty officer may be named, nobody else.
    before = len(answers)
    for text in ("/120 supervisor-own-emergency", "/110", "/mine", "/status 6"):
        supervisor.send(text)
        await _handled(world)
    await service_request(world, GU, "Insurance claim", "supervisor-own-service")
    await _handled(world)
    calls: Any = [c for c in world.server.calls if str(c.chat_id) == str(GU)]
    assert any("陈主任" in json.dumps(c.params, ensure_ascii=False, default=str) for c in calls)
    others = [w for w in private if w != "陈主任"]
    assert _leaks(_to_supervisor(world, answers[:before]), others) == []
