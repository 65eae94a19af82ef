"""The survey's story helpers for the e2e tests: import, open, answer through the buttons,
read what arrived (texts and chart images)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.domain.survey import SurveySpec
from bot.files.survey_file import parse_survey
from sandbox.users import SentMessage, SimUser
from storage.db import writing
from storage.survey_store import import_survey
from storage.tables import surveys
from tests.e2e.conftest import CHEN, GU, LI, MAO, QIAN, SUN, WANG, WU, ZHAO, ZHOU, World

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "survey.yaml"
KEY = "yearly-2026"
ASKED = (CHEN, GU, WANG, LI, ZHAO, QIAN, ZHOU, WU, MAO, SUN)
# What each finisher answers: a scale's value or a choice's number, question by question.
ANSWERS = {
    LI: [5, 4, 5, 1, 1, 3, 1, 5],
    ZHAO: [4, 4, 3, 1, 2, 4, 1, 4],
    MAO: [3, 2, 4, 3, 4, 2, 2, 3],
}
PNG = b"\x89PNG\r\n\x1a\n"


async def import_file(world: World, text: str) -> SurveySpec:
    spec = parse_survey(text, "survey.yaml", lang="en")
    async with writing(world.runtime.engine) as conn:
        await import_survey(conn, spec, world.clock.now())
    return spec


async def survey_id(world: World, key: str = KEY) -> int:
    async with world.runtime.engine.connect() as conn:
        found = await conn.scalar(select(surveys.c.id).where(surveys.c.key == key))
    assert found is not None
    return int(found)


def latest(user: SimUser, text: str) -> Any:
    """The newest bot message in the chat containing ``text``."""
    found = [m for m in user.messages if text in m.text]
    assert found, f"no message with {text!r} for {user}: {[m.text[:40] for m in user.messages]}"
    return found[-1]


async def arrived(world: World, who: int, *parts: str) -> str:
    """The text of the first bot message in the chat holding every one of ``parts``,
    waiting for it (a chat gets about one message a second; the outbox paces them)."""
    found = await world.user(who).wait_message(
        lambda m: all(part in m.text for part in parts), since=0
    )
    return found.text


async def command(world: World, who: int, text: str, expect: str) -> str:
    user = world.user(who)
    user.send(text)
    return (await user.wait_message(expect)).text


def asking(heading: str) -> Callable[[SentMessage], bool]:
    """A message that asks the question with this heading (it still has its buttons)."""
    return lambda m: heading in m.text and bool(m.buttons)


async def answer(
    world: World, who: int, spec: SurveySpec, values: list[int], start: int = 1
) -> None:
    """Answer from question ``start`` on through the buttons, as a person would."""
    user = world.user(who)
    total = len(spec.questions)
    message = latest(user, f"Question {start} of {total}")
    for number, value in enumerate(values, start=start):
        reply = await user.press(message, spec.questions[number - 1].label(value))
        assert reply.text == ("Thank you!" if number == total else "Answer kept.")
        if number < total:
            message = await user.wait_message(asking(f"Question {number + 1} of {total}"))
    if start + len(values) > total:
        await user.wait_message("are recorded, without your name")


async def open_and_answer(world: World) -> tuple[SurveySpec, int]:
    spec = await import_file(world, EXAMPLE.read_text(encoding="utf-8"))
    said = await command(world, CHEN, f"/survey open {KEY}", "is open")
    assert "10 people are asked" in said
    await world.settle()
    for who, values in ANSWERS.items():
        await answer(world, who, spec, values)
    await world.settle()
    return spec, await survey_id(world)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def photos_now(world: World, who: int) -> list[bytes]:
    found = []
    for message in world.user(who).messages:
        if message.photo:
            stored = world.server.state.files.get(message.photo[-1]["file_id"])
            assert stored is not None
            found.append(stored.data)
    return found


async def photos(world: World, who: int, count: int) -> list[bytes]:
    """The chart images in the chat, once ``count`` of them arrived (one chat gets about
    a message a second, so the last may still be on its way when the outbox looks idle)."""

    def probe() -> list[bytes] | None:
        found = photos_now(world, who)
        return found if len(found) >= count else None

    found = await world.server.state.changed.wait_for(probe, 10.0)
    assert len(found) == count
    return found
