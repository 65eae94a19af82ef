"""Registering: roster ids are recognised; others bind once through an invite link."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cli.main import main
from storage.tables import people, requests
from tests.e2e.conftest import MAO, SUN, WANG, ZHOU, World, service_request

ZHENG_PHONE = 5555  # zheng is in the roster without a Telegram id


async def test_roster_person_is_recognised_at_start(world: World) -> None:
    world.user(MAO).send("/start")
    hello = await world.user(MAO).wait_message("Hello, 茅建国")
    assert "/120" in hello.text


async def test_secretary_invites_and_the_link_works_once(world: World) -> None:
    world.user(ZHOU).send("/invite zheng")
    link = await world.user(ZHOU).wait_message("https://t.me/helpline_bot?start=")
    code = re.search(r"start=([A-Za-z0-9_-]+)", link.text)
    assert code is not None
    newcomer = world.user(ZHENG_PHONE, "Zheng")
    newcomer.send(f"/start {code.group(1)}")
    await newcomer.wait_message("Welcome, 郑丽")
    async with world.runtime.engine.connect() as conn:
        bound = await conn.scalar(select(people.c.telegram_id).where(people.c.key == "zheng"))
    assert bound == ZHENG_PHONE
    intruder = world.user(7777, "Other")
    intruder.send(f"/start {code.group(1)}")
    await intruder.wait_message("unknown, already used or expired")
    # Now zheng is reachable and gets the dock branch's insurance requests directly.
    await service_request(world, SUN, "Insurance claim", "claim for my hand")
    alert = await newcomer.wait_message("claim for my hand")
    assert alert.buttons == ["Take"]
    assert await world.count(requests) == 1


async def test_invite_refusals_change_nothing(world: World) -> None:
    world.user(MAO).send("/invite zheng")  # a worker cannot invite
    await world.user(MAO).wait_message("Only a branch secretary or the committee")
    world.user(WANG).send("/invite zheng")  # zheng is in the dock branch, not wang's
    await world.user(WANG).wait_message("not in your branch")
    world.user(WANG).send("/invite nobody")
    await world.user(WANG).wait_message("nobody with the key nobody")
    world.user(WANG).send("/invite")
    await world.user(WANG).wait_message("Usage: /invite PERSON_KEY")
    stranger = world.user(6666, "Guess")
    stranger.send("/start not-a-real-code")
    await stranger.wait_message("unknown, already used or expired")
    async with world.runtime.engine.connect() as conn:
        bound = await conn.scalar(select(people.c.telegram_id).where(people.c.key == "zheng"))
    assert bound is None


async def test_cli_invite_code_binds_and_expired_codes_are_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = world.runtime.settings
    monkeypatch.setenv("HELPLINE_DB", settings.db)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_BOT_USERNAME", "helpline_bot")
    assert await asyncio.to_thread(main, ["invite", "zheng", "--days", "1"], world.clock) == 0
    printed = capsys.readouterr().out
    code = re.search(r"start=([A-Za-z0-9_-]+)", printed)
    assert code is not None
    world.clock.advance(timedelta(days=2))
    newcomer = world.user(ZHENG_PHONE, "Zheng")
    newcomer.send(f"/start {code.group(1)}")
    expired = await newcomer.wait_message("not valid")
    # Unknown, used or expired: one answer, so trying codes tells nobody which exist.
    assert expired.text == (
        "This invite code is not valid: unknown, already used or expired. Ask your branch "
        "secretary for a new link."
    )


async def test_an_invite_is_valid_for_the_rosters_time_and_warns_when_the_person_is_bound(
    world: World,
) -> None:
    world.user(ZHOU).send("/invite zheng")
    link = await world.user(ZHOU).wait_message("start=")
    until = (world.clock.now() + timedelta(days=7)).astimezone(world.runtime.settings.tz)
    assert f"valid until {until:%m-%d %H:%M}" in link.text
    assert "already has a Telegram account" not in link.text
    world.user(WANG).send("/invite li")  # li's phone is registered already
    moved = await world.user(WANG).wait_message("start=")
    assert "already has a Telegram account registered" in moved.text
