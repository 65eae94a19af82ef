"""The yearly survey end to end: open, answer through the buttons, remind, close, publish.

The example survey (8 questions) goes to the example roster's ten employees with a
Telegram account (not 孙母, a family member). 李强, 赵敏 and 茅建国 answer everything;
钱卫东 answers one question. Presses that must change nothing are pressed too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import inbox, metadata, outbox, survey_answers
from tests.e2e.conftest import (
    CHEN,
    GU,
    LI,
    MAO,
    QIAN,
    STRANGER,
    SUN,
    SUN_MOTHER,
    WANG,
    WU,
    ZHAO,
    ZHOU,
    World,
)
from tests.e2e.survey_story import (
    ANSWERS,
    ASKED,
    EXAMPLE,
    KEY,
    answer,
    arrived,
    command,
    import_file,
    latest,
    photos,
    photos_now,
    png_size,
    survey_id,
)


async def test_survey_is_answered_reminded_closed_and_published(dated: World) -> None:
    world = dated
    spec = await import_file(world, EXAMPLE.read_text(encoding="utf-8"))
    listed = await command(world, CHEN, "/survey", "Surveys")
    assert f"{KEY} — {spec.title}: draft (not sent yet); 0 asked, 0 finished" in listed
    assert "Only the committee" in await command(world, MAO, f"/survey open {KEY}", "committee")
    assert "is open" in await command(world, CHEN, f"/survey open {KEY}", "is open")
    await world.settle()

    # Every employee with an account got the first question with the intro; family did not.
    for who in ASKED:
        first = latest(world.user(who), "Question 1 of 8")
        assert spec.title in first.text and "Anonymous" in first.text
        assert first.buttons == ["1", "2", "3", "4", "5"]
    assert not [m for m in world.user(SUN_MOTHER).messages if "Question" in m.text]

    # 茅建国 answers the first question, then presses it again: nothing more is kept.
    mao = world.user(MAO)
    first = latest(mao, "Question 1 of 8")
    data = first.callback_data("3")
    assert (await mao.press(first, "3")).text == "Answer kept."
    await mao.wait_message("Question 2 of 8")
    assert (await mao.press_data(first, data)).text == "You have answered this question already."
    edited = latest(mao, "Question 1 of 8")
    assert edited.text == f"Question 1 of 8\n{spec.questions[0].text}\n✓ Answered"
    assert not edited.buttons
    await answer(world, MAO, spec, ANSWERS[MAO][1:], start=2)
    for who in (LI, ZHAO):
        await answer(world, who, spec, ANSWERS[who])
    sid = await survey_id(world)
    zhao_last = latest(world.user(ZHAO), "Question 8 of 8")
    again = await world.user(ZHAO).press_data(zhao_last, f"q:{sid}:8_1")
    assert again.text == "You have answered this survey already. Thank you!"
    await answer(world, QIAN, spec, ANSWERS[LI][:1])  # one question, then stops
    await world.settle()

    # Forged and stale presses change nothing but redact their own inbox row.
    before = await _dump(world, without=inbox)
    wang_first = latest(world.user(WANG), "Question 1 of 8")
    for who, data, said in [
        (WANG, f"q:{sid}:3_1", "This button is no longer valid."),  # a question not sent yet
        (WANG, f"q:{sid}:1_9", "This button is no longer valid."),  # out of range
        (WANG, f"q:{sid + 5}:1_1", "This button is no longer valid."),  # no such survey
        (SUN_MOTHER, f"q:{sid}:1_3", "This survey was not sent to you."),
        (STRANGER, f"q:{sid}:1_3", "This survey was not sent to you."),
    ]:
        reply = await world.user(who).press_data(wang_first.message_id, data)
        assert reply.text == said, (who, data)
    await world.settle()
    assert await _dump(world, without=inbox) == before
    async with world.runtime.engine.connect() as conn:
        payloads: list[dict[str, Any]] = list(await conn.scalars(select(inbox.c.payload)))
    assert not [
        p for p in payloads if "callback_query" in p and p["callback_query"]["data"][0] == "q"
    ]

    # After remind_after (3d), only those not finished are reminded, at their question.
    await world.advance(days=3, minutes=1)
    await world.settle()
    for who in (CHEN, GU, WANG, ZHOU, WU, SUN):
        await arrived(world, who, "still waiting", "Question 1 of 8")
    await arrived(world, QIAN, "still waiting", "Question 2 of 8")
    for who in (LI, ZHAO, MAO):
        assert not [m for m in world.user(who).messages if "still waiting" in m.text]

    # Close: the committee gets the results with charts; nobody else does yet.
    said = await command(world, CHEN, f"/survey close {KEY}", "is closed")
    assert "3 of 10 finished" in said
    await world.settle()
    results = await arrived(world, CHEN, "Results of")
    assert "1. 你向支部求助后，支部的反应速度如何？" in results
    # 钱卫东 gave one answer (5) and stopped: it counts, anonymously, like the others.
    assert "1: 0 · 2: 0 · 3: 1 · 4: 1 · 5: 2" in results and "(4 answers)" in results
    assert "医药费报销: 2" in results and "保险理赔: 1" in results
    charts = await photos(world, CHEN, 2)  # questions 1-6, 7-8
    for png in charts:
        width, height = png_size(png)
        assert 300 <= width <= 2000 and 300 <= height <= 2000 and len(png) < 500_000
    assert not [m for m in world.user(WANG).messages if "Results of" in m.text]
    late = await world.user(WANG).press(latest(world.user(WANG), "Question 1 of 8"), "4")
    assert late.text == "This survey is closed: it no longer takes answers."
    assert await world.count(survey_answers) == 3 * 8 + 1  # 钱卫东 stopped after one

    # Publish: everyone asked gets the same results; the family member does not.
    assert "10 people" in await command(world, CHEN, f"/survey publish {KEY}", "on their way")
    await world.settle()
    for who in (MAO, SUN, GU):
        assert "mean 4.0 of 5 (3 answers)" in await arrived(world, who, "Results of")
        await photos(world, who, 2)
    assert not [m for m in world.user(SUN_MOTHER).messages if "Results of" in m.text]
    async with world.runtime.engine.connect() as conn:
        bands: set[int] = set(
            await conn.scalars(
                select(outbox.c.priority).where(outbox.c.purpose == "survey-results")
            )
        )
    assert bands == {30}  # the lowest band: alerts overtake results


SMALL = """\
key: small
title: Canteen
questions:
  - {text: Is the canteen good?, scale: 5}
  - {text: Which meal?, choices: [lunch, dinner]}
"""


async def test_a_survey_with_fewer_than_three_finished_shows_no_results(world: World) -> None:
    spec = await import_file(world, SMALL)
    await command(world, CHEN, "/survey open small", "is open")
    await world.settle()
    for who in (LI, ZHAO):
        await answer(world, who, spec, [5, 1])
    await command(world, CHEN, "/survey close small", "is closed")
    await world.settle()
    results = await arrived(world, CHEN, "Results of")
    assert "Fewer than 3 people finished it: no results are shown" in results
    assert "lunch" not in results and "mean" not in results
    assert photos_now(world, CHEN) == []
    assert await world.count(outbox, outbox.c.method == "sendPhoto") == 0
    await command(world, CHEN, "/survey publish small", "on their way")
    await world.settle()
    assert "no results are shown" in await arrived(world, MAO, "Results of")
    assert photos_now(world, MAO) == []


async def test_survey_commands_are_the_committees(world: World) -> None:
    await import_file(world, SMALL)
    for who in (MAO, WANG, GU, SUN_MOTHER, STRANGER):
        said = await command(world, who, "/survey close small", "committee")
        assert "Only the committee can open, close or publish a survey." in said
    said = await command(world, MAO, "/survey", "committee")
    assert "no survey is waiting for your answers now" in said
    assert "draft" in await command(world, CHEN, "/survey close small", "is draft")
    assert "no survey 'nope'" in await command(world, CHEN, "/survey open nope", "no survey")
    await command(world, CHEN, "/survey open small", "is open")
    await world.settle()
    # A worker's /survey shows the question waiting for them, with its buttons.
    shown = await command(world, MAO, "/survey", "Question 1 of 2")
    assert "Canteen" in shown and world.user(MAO).last.buttons == ["1", "2", "3", "4", "5"]
    assert "The survey 'small' is open now." in await command(
        world, CHEN, "/survey open small", "open now"
    )


async def _dump(world: World, without: Any = None) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with world.runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table is without:
                continue
            rows = (await conn.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
