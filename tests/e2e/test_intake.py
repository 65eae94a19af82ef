"""Asking for help: /120 and /110 at once, /120 with details after, /request, /mine, /cancel."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import events, requests
from tests.e2e.conftest import (
    CHEN,
    LI,
    MAO,
    QIAN,
    STRANGER,
    SUN,
    WANG,
    WU,
    ZHAO,
    World,
    service_request,
)


async def test_trouble_110_alerts_every_member_handling_110_at_once(world: World) -> None:
    world.user(MAO).send("/110 a customer's truck hit the crane rail")
    for member in (LI, ZHAO):
        alert = await world.user(member).wait_message("truck hit the crane rail")
        assert "110" in alert.text and alert.buttons == ["Take"]
    await world.user(MAO).wait_message("Request #1 received")
    assert world.server.sent_to(QIAN) == []  # qian does not handle 110


async def test_bare_120_is_raised_first_and_details_follow(world: World) -> None:
    worker = world.user(MAO)
    worker.send("/120")
    alert = await world.user(LI).wait_message("#1")
    assert "no details yet" in alert.text
    await worker.wait_message("Request #1 received")
    await worker.wait_message("What happened")
    worker.send("Zhang collapsed near warehouse 5")
    await world.user(LI).wait_message("Zhang collapsed near warehouse 5")
    await world.user(QIAN).wait_message("Zhang collapsed near warehouse 5")
    async with world.runtime.engine.connect() as conn:
        text = await conn.scalar(select(requests.c.text).where(requests.c.id == 1))
    assert text == "Zhang collapsed near warehouse 5"


async def test_photo_voice_and_location_reach_whoever_handles_it(world: World) -> None:
    worker, li = world.user(MAO), world.user(LI)
    worker.send("/110 water leaking onto the forklift charger")
    alert = await li.wait_message("forklift charger")
    await li.press(alert, "Take")
    await worker.wait_message("is handling your request")
    worker.send_photo(caption="here")
    await li.wait_message(lambda m: m.kind == "photo")
    worker.send_voice()
    await li.wait_message(lambda m: m.kind == "voice")
    worker.send_location(31.23, 121.47)
    located = await li.wait_message(lambda m: m.kind == "location")
    assert located.location is not None and located.location["latitude"] == 31.23
    assert not any(m.kind == "photo" for m in world.user(ZHAO).messages)


async def test_guided_service_request_with_category_description_and_confirmation(
    world: World,
) -> None:
    worker = world.user(MAO)
    worker.send("/request")
    menu = await worker.wait_message("What is it about?")
    await worker.press(menu, "Medical bill reimbursement")
    await worker.wait_message("describe what you need")
    worker.send("Hospital bill of 2,300 yuan from March, not reimbursed")
    worker.send_photo(caption="the bill")
    ready = await worker.wait_message(lambda m: "Send" in m.buttons)
    answer = await worker.press(ready, "Send")
    assert "#1" in (answer.text or "")
    alert = await world.user(LI).wait_message("2,300 yuan")  # li handles reimbursement
    assert "Medical bill reimbursement" in alert.text
    await world.user(LI).wait_message(lambda m: m.kind == "photo")
    assert world.server.sent_to(ZHAO) == []  # one member in turn for normal requests


async def test_service_requests_go_to_handlers_in_turn(world: World) -> None:
    # li and qian both handle reimbursement: normal requests go to one of them in turn.
    for n, member in ((1, LI), (2, QIAN), (3, LI)):
        await service_request(world, MAO, "Medical bill reimbursement", f"bill {n}")
        await world.user(member).wait_message(f"bill {n}")
    assert not any("bill 2" in m.text for m in world.user(LI).messages)
    assert not any("bill 1" in m.text for m in world.user(QIAN).messages)


async def test_member_without_telegram_is_skipped_and_secretary_alerted(world: World) -> None:
    # In the dock branch only zheng handles insurance, and zheng has no Telegram account yet.
    await service_request(world, SUN, "Insurance claim", "claim for my hand injury")
    await world.user(1101).wait_message("claim for my hand injury")  # zhou, the secretary
    assert world.server.sent_to(WU) == []


async def test_branch_without_handler_goes_straight_to_secretary(world: World) -> None:
    worker = world.user(MAO)
    worker.send("/request")
    menu = await worker.wait_message("What is it about?")
    await worker.press(menu, "Family difficulty")  # nobody in the warehouse handles family
    await worker.wait_message("describe")
    worker.send("my father needs care")
    ready = await worker.wait_message(lambda m: "Send" in m.buttons)
    await worker.press(ready, "Send")
    alert = await world.user(WANG).wait_message("my father needs care")
    assert alert.buttons == ["Take"]
    ack = await worker.wait_message("received")
    assert "王芳" in ack.text


async def test_unregistered_sender_is_helped_by_the_committee_at_once(world: World) -> None:
    stranger = world.user(STRANGER, "Visitor")
    stranger.send("/120 a man fell from the ladder at gate 2")
    alert = await world.user(CHEN).wait_message("fell from the ladder")
    assert "Not in the roster" in alert.text and "Visitor" in alert.text
    await stranger.wait_message("Request #1 received")


async def test_mine_lists_requests_and_cancel_withdraws(world: World) -> None:
    worker = world.user(MAO)
    worker.send("/110 broken door")
    alert = await world.user(LI).wait_message("broken door")
    worker.send("/mine")
    listing = await worker.wait_message("Your requests")
    assert "#1" in listing.text and "waiting for a taker" in listing.text
    world.user(LI).send("/mine")
    member_view = await world.user(LI).wait_message("Waiting for a taker in your branch")
    assert "#1" in member_view.text
    worker.send("/cancel 1")
    await worker.wait_message("Request #1 is withdrawn")
    await world.user(LI).wait_message("Withdrawn")
    answer = await world.user(LI).press_data(alert, "t:1")
    assert "can no longer be done" in (answer.text or "") or "withdrawn" in (answer.text or "")
    assert await world.count(events, events.c.type == "cancelled") == 1


async def test_a_withdrawn_request_takes_the_owners_buttons_away(world: World) -> None:
    worker, li = world.user(MAO), world.user(LI)
    worker.send("/110 broken door")
    alert = await li.wait_message("broken door")
    await li.press(alert, "Take")
    mine = await li.wait_message(lambda m: "Release" in m.buttons)
    worker.send("/cancel 1")
    await worker.wait_message("Request #1 is withdrawn")
    await li.wait_message("withdrew request #1")
    edited = await li.wait_message("Withdrawn by")
    assert edited.message_id == mine.message_id and edited.buttons == []
    assert not any(m.buttons for m in li.messages)


async def test_cancel_of_someone_elses_request_changes_nothing(world: World) -> None:
    world.user(MAO).send("/110 broken door")
    await world.user(LI).wait_message("broken door")
    world.user(SUN).send("/cancel 1")
    await world.user(SUN).wait_message("no request #1 that you can act on")
    world.user(SUN).send("/cancel abc")
    await world.user(SUN).wait_message("Usage: /cancel N")
    assert await world.count(requests, requests.c.state == "open") == 1


async def test_a_member_in_trouble_is_not_alerted_about_their_own_request(world: World) -> None:
    world.user(LI).send("/120 I cut my hand")
    await world.user(QIAN).wait_message("I cut my hand")
    await world.user(LI).wait_message("Request #1 received")
    assert not any("I cut my hand" in m.text for m in world.user(LI).messages)
