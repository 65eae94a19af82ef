"""/120 again while help is on its way joins the first request; "/120 new …" does not."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import events, requests
from tests.e2e.conftest import CHEN, LI, MAO, QIAN, STRANGER, WANG, World


async def _requests(world: World) -> list[tuple[int, str, str]]:
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(
            select(requests.c.id, requests.c.kind, requests.c.text).order_by(requests.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_repeated_120_is_added_to_the_open_request_and_rings_nobody_anew(
    world: World,
) -> None:
    worker = world.user(MAO)
    worker.send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    for text in ("/120 he is not breathing", "/120", "/120 hurry"):
        worker.send(text)
    await world.user(LI).wait_message("hurry")
    await world.settle()
    assert [r[0] for r in await _requests(world)] == [1]
    for member in (LI, QIAN):
        texts = [m.text for m in world.user(member).messages]
        assert len([t for t in texts if t.endswith("Take") or "Raised" in t]) == 1
        assert any("not breathing" in t for t in texts)
        assert any("(sent /120 again)" in t for t in texts)
    added = [m.text for m in worker.messages if "Added to your request #1" in m.text]
    assert len(added) == 3 and "/120 new" in added[0]
    async with world.runtime.engine.connect() as conn:
        said: list[dict[str, str]] = list(
            await conn.scalars(
                select(events.c.data).where(events.c.request_id == 1, events.c.type == "message")
            )
        )
    assert [d["text"] for d in said] == ["he is not breathing", "(sent /120 again)", "hurry"]


async def test_new_raises_a_second_request_and_so_does_another_kind_or_a_resolved_one(
    world: World,
) -> None:
    worker = world.user(MAO)
    worker.send("/120 chest pain")
    alert = await world.user(LI).wait_message("chest pain")
    worker.send("/120 new, my colleague fell too")
    await world.user(LI).wait_message("colleague fell")
    worker.send("/110 and a fight started")
    await world.user(LI).wait_message("fight started")
    await world.user(LI).press(alert, "Take")
    world.user(LI).send("/resolve 1 in the ambulance")
    await worker.wait_message("Is your trouble over?")
    worker.send("/120 chest pain again")  # #1 is resolved, #2 is still open: joins #2
    await world.user(LI).wait_message("chest pain again")
    await world.settle()
    assert await _requests(world) == [
        (1, "120", "chest pain"),
        (2, "120", "my colleague fell too"),
        (3, "110", "and a fight started"),
    ]


async def test_twenty_120s_from_an_unknown_account_alert_the_committee_once(
    world: World,
) -> None:
    stranger = world.user(STRANGER, "Nobody")
    for k in range(20):
        stranger.send(f"/120 help {k}")
    await world.user(CHEN).wait_message("help 19")
    await world.settle()
    assert [r[0] for r in await _requests(world)] == [1]
    alerts = [m for m in world.user(CHEN).messages if m.buttons == ["Take"]]
    assert len(alerts) == 1


async def test_past_the_budget_a_request_is_stored_and_shown_but_rings_nobody(
    world: World,
) -> None:
    worker = world.user(MAO)
    for k in range(5):  # examples/roster.yaml keeps the default: 5 an hour
        worker.send(f"/110 new trouble {k}")
        await world.user(LI).wait_message(f"trouble {k}")
    worker.send("/110 new trouble 5")
    told = await worker.wait_message("no phone rings")
    assert "#6" in told.text
    await world.settle()
    assert not any("trouble 5" in m.text for u in (LI, QIAN) for m in world.user(u).messages)
    assert [r[0] for r in await _requests(world)] == [1, 2, 3, 4, 5, 6]  # stored all the same
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("page 1/2")
    assert "#6" in board.text
    await world.advance(minutes=61)  # an hour later the budget is there again
    worker.send("/110 new trouble 6")
    await world.user(LI).wait_message("trouble 6")
