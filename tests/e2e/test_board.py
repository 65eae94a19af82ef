"""/board: the secretary's branch at a glance, its pages and its buttons."""

from __future__ import annotations

from sqlalchemy import select, update

from storage.tables import events, people, requests
from tests.e2e.conftest import CHEN, LI, MAO, QIAN, STRANGER, SUN, WANG, WU, ZHAO, World


async def _owner(world: World, number: int) -> tuple[str, str | None]:
    async with world.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(requests.c.state, people.c.key)
                .outerjoin(people, people.c.id == requests.c.owner_id)
                .where(requests.c.id == number)
            )
        ).one()
    return row.state, row.key


async def test_board_lists_the_branch_most_trouble_first_with_owner_and_next_step(
    world: World,
) -> None:
    world.user(MAO).send("/110 forklift blocked the exit")
    await world.user(LI).wait_message("forklift")
    world.user(MAO).send("/120 cut hand")
    alert = await world.user(LI).wait_message("cut hand")
    await world.user(LI).press(alert, "Take")
    world.user(SUN).send("/110 dock fight")  # another branch: not on 王芳's board
    await world.user(WU).wait_message("dock fight")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    text = board.text
    assert "仓储部支部" in text and "page 1/1" in text
    assert text.index("#2") < text.index("#1")  # both urgent: the newest first
    assert "Owner: 李强" in text and "owner's first reply due" in text
    assert "dock fight" not in text and "#3" not in text
    assert board.buttons == ["#2 Reassign", "Escalate", "#1 Reassign", "Escalate"]


async def test_board_pages_hold_five_requests(world: World) -> None:
    for n in range(7):
        world.user(MAO).send(f"/110 new trouble {n}")
        await world.user(MAO).wait_message(f"Request #{n + 1} received")
        await world.advance(minutes=15)  # within mao's budget of 5 requests an hour
    world.user(WANG).send("/board")
    first = await world.user(WANG).wait_message("page 1/2")
    assert first.text.count("🚓") == 5
    assert "More ▶" in first.buttons
    await world.user(WANG).press(first, "More ▶")
    second = await world.user(WANG).wait_message("page 2/2")
    assert second.message_id == first.message_id  # the same message turns the page
    assert "#1 " in second.text and "#2 " in second.text
    assert "◀ Newer trouble" in second.buttons


async def test_reassign_moves_the_request_tells_both_and_logs_it(world: World) -> None:
    world.user(MAO).send("/120 fainted")
    alert = await world.user(LI).wait_message("fainted")
    await world.user(LI).press(alert, "Take")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    await world.user(WANG).press(board, "#1 Reassign")
    menu = await world.user(WANG).wait_message("Reassign request #1 to:")
    assert "李强" not in menu.buttons  # the owner already has it
    answer = await world.user(WANG).press(menu, "钱卫东")
    assert "now 钱卫东's" in (answer.text or "")
    await world.user(QIAN).wait_message("王芳 assigned request #1")
    await world.user(LI).wait_message("reassigned to 钱卫东")
    await world.user(MAO).wait_message("钱卫东 is handling your request #1")
    assert await _owner(world, 1) == ("taken", "qian")
    assert await world.count(events, events.c.type == "reassigned") == 1


async def test_reassigning_to_someone_away_asks_first(world: World) -> None:
    world.user(ZHAO).send("/away 2d")
    await world.user(ZHAO).wait_message("You are away")
    world.user(MAO).send("/110 broken shelf")
    await world.user(LI).wait_message("broken shelf")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    await world.user(WANG).press(board, "#1 Reassign")
    menu = await world.user(WANG).wait_message("Reassign request #1 to:")
    await world.user(WANG).press(menu, "赵敏 💤")
    ask = await world.user(WANG).wait_message("away until")
    assert await _owner(world, 1) == ("open", None)  # nothing changed yet
    await world.user(WANG).press(ask, "Yes, reassign")
    await world.user(ZHAO).wait_message("assigned request #1")
    assert await _owner(world, 1) == ("taken", "zhao")


async def test_board_escalate_and_unreachable_member_nudge(world: World) -> None:
    world.user(MAO).send("/110 smoke")
    await world.user(LI).wait_message("smoke")
    async with world.runtime.engine.begin() as conn:
        await conn.execute(
            update(people).where(people.c.key == "zhao").values(unreachable_since=world.clock.now())
        )
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    assert "Alerts to these members fail" in board.text and "赵敏" in board.text
    await world.user(WANG).press(board, "Escalate")
    await world.user(CHEN).wait_message("smoke")
    answer = await world.user(WANG).press(board, "📣 Nudge 赵敏")
    assert "赵敏 is asked to open the bot" in (answer.text or "")
    await world.user(ZHAO).wait_message("asks you to open the help line bot")


async def test_committee_board_shows_every_branch_with_a_summary(world: World) -> None:
    world.user(MAO).send("/110 a")
    await world.user(MAO).wait_message("received")
    world.user(SUN).send("/110 b")
    await world.user(SUN).wait_message("received")
    world.user(STRANGER, "Visitor").send("/120 collapsed at the gate")
    await world.user(CHEN).wait_message("collapsed at the gate")
    world.user(CHEN).send("/board")
    board = await world.user(CHEN).wait_message("Board")
    assert "仓储部支部: 1 open" in board.text
    assert "码头机修支部: 1 open" in board.text
    assert "Not in the roster: 1 open" in board.text
    assert "#1" in board.text and "#2" in board.text and "#3" in board.text
    world.user(WANG).send("/board")
    mine = await world.user(WANG).wait_message("Board")
    assert "#3" not in mine.text and "#2" not in mine.text


async def test_resolved_requests_offer_confirm_for_and_reopen(world: World) -> None:
    world.user(MAO).send("/120 burn")
    alert = await world.user(LI).wait_message("burn")
    await world.user(LI).press(alert, "Take")
    world.user(LI).send("/resolve 1 bandaged")
    await world.user(MAO).wait_message("Is your trouble over?")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    assert board.buttons == ["#1 Confirm for", "Reopen"]
    await world.user(WANG).press(board, "Reopen")
    await world.user(LI).wait_message("reopened request #1")
    assert (await _owner(world, 1))[0] == "taken"


async def test_board_is_refused_to_members_and_workers(world: World) -> None:
    for who in (LI, MAO):
        world.user(who).send("/board")
        await world.user(who).wait_message("The board is for branch secretaries")


async def test_board_entries_say_what_each_request_is_about(world: World) -> None:
    """The worker's first line, shortened; the board is the secretary's and the
    committee's only (refused to members and workers below)."""
    long_line = "forklift blocked the exit of warehouse 3 and nobody can get the trucks out now"
    world.user(MAO).send(f"/110 {long_line}\nsecond line stays out")
    await world.user(LI).wait_message("forklift")
    await world.user(MAO).wait_message("Request #1 received")
    world.user(MAO).send("/120")
    await world.user(MAO).wait_message("Request #2 received")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    assert "💬 forklift blocked the exit of warehouse 3" in board.text
    assert long_line not in board.text and "second line" not in board.text
    assert "💬 (no details yet)" in board.text
