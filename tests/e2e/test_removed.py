"""Removed means removed: someone taken off the roster - by a secretary's /remove or by
an import that leaves them out - hears nothing more of any request, and what they had
taken goes back to the others at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli.main import main
from storage.tables import outbox, requests
from tests.e2e.conftest import LI, MAO, QIAN, ROSTER, WANG, ZHAO, World

WORDS = "I am at gate 3, my ID number is 310101199001011234"


def _without_li(tmp_path: Path) -> Path:
    """examples/roster.yaml as the admin edits it when 李强 leaves the company."""
    text = ROSTER.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "{key: li," not in line]
    text = "\n".join(lines).replace("[li, zhao, qian]", "[zhao, qian]")
    path = tmp_path / "roster-without-li.yaml"
    path.write_text(text.replace("visitors: [li, zhao]", "visitors: [zhao]"), encoding="utf-8")
    return path


async def _import_without_li(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_DB", world.runtime.settings.db)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    path = _without_li(tmp_path)
    assert await asyncio.to_thread(main, ["roster", "import", str(path)], world.clock) == 0


async def _li_took_a_110(world: World) -> None:
    world.user(MAO).send("/110 somebody is following me")
    alert = await world.user(LI).wait_message("following me")
    await world.user(LI).press(alert, "Take")
    await world.user(MAO).wait_message("李强 is handling your request #1")
    await world.settle()


def _heard_after(world: World, telegram_id: int, mark: int) -> list[str]:
    return [m.text for m in world.user(telegram_id).messages[mark:]]


async def test_an_import_without_a_member_hands_back_what_they_took_and_tells_them_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _li_took_a_110(world)
    mark = len(world.user(LI).messages)
    world.user(ZHAO).mark()
    await _import_without_li(world, tmp_path, monkeypatch)
    world.runtime.dispatcher.wake()
    # The request is open again and the branch is alerted again, without li.
    again = await world.user(ZHAO).wait_message("following me")
    assert again.buttons == ["Take"]
    world.user(MAO).send(WORDS)
    await world.user(ZHAO).wait_message("gate 3")
    await world.settle()
    async with world.runtime.engine.connect() as conn:
        state = await conn.scalar(select(requests.c.state).where(requests.c.id == 1))
    assert state == "open"
    heard = _heard_after(world, LI, mark)
    assert not any("gate 3" in text or "310101" in text for text in heard), heard


async def test_remove_from_the_phone_does_the_same(world: World) -> None:
    await _li_took_a_110(world)
    mark = len(world.user(LI).messages)
    world.user(WANG).send("/remove li left the company")
    await world.user(WANG).wait_message("li is off the roster")
    world.user(MAO).send(WORDS)
    await world.user(ZHAO).wait_message("gate 3")
    await world.settle()
    heard = _heard_after(world, LI, mark)
    assert not any("gate 3" in text or "310101" in text for text in heard), heard


async def test_a_message_queued_before_the_removal_is_not_sent_after_it(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # li's chat is held back by Telegram, so his alert waits in the outbox...
    world.server.fail("sendMessage", chat_id=LI, status=429, retry_after=30, times=5)
    world.user(MAO).send("/120 chest pain, " + WORDS)
    await world.user(QIAN).wait_message("chest pain")
    await world.server.wait_call(lambda c: c.chat_id == LI and c.status == 429)
    await world.settle()
    # ... and li leaves the roster before it is due again.
    await _import_without_li(world, tmp_path, monkeypatch)
    world.clock.advance(timedelta(seconds=31))
    world.runtime.dispatcher.wake()
    await world.settle()
    assert world.user(LI).messages == []
    async with world.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.status, outbox.c.error).where(outbox.c.chat_id == LI)
            )
        ).all()
    assert rows and all(r.status == "failed" and "left the roster" in r.error for r in rows)
