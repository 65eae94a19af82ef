"""Nothing the bot stores links a taker to an answer, once their answers are in.

After three people answer every question (and the survey is closed, so the committee's
results are queued too), every row of every table - the inbox's update payloads and the
outbox's message payloads included - is checked: no row may hold both a taker's identity
(their person id in a column that names a person, their Telegram id, their name) and one of
their answers (the callback data of a button they pressed, or a choice's text). A
keyboard lists every answer a question offers, so keyboards are not answers and are left
out of the check. The check is first shown to catch the inbox row a press would leave if
it were not redacted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.domain.survey import QuestionKind, SurveySpec, answer_arg
from storage.tables import metadata, people, survey_answers, survey_takers
from tests.e2e.conftest import CHEN, LI, World
from tests.e2e.survey_story import ANSWERS, KEY, command, open_and_answer

PERSON_COLUMNS = ("person_id", "recipient_id", "actor_id", "requester_id", "owner_id")


@dataclass(frozen=True)
class Taker:
    person_id: int
    telegram_id: int
    name: str
    answers: tuple[str, ...]  # what would give away one of their answers


def _without_keyboards(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_keyboards(v)
            for k, v in value.items()
            if k not in ("reply_markup", "inline_keyboard")
        }
    if isinstance(value, list):
        return [_without_keyboards(v) for v in value]
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return _without_keyboards(json.loads(value))
        except ValueError:
            return value
    return value


def _names(taker: Taker, table: str, row: dict[str, Any], text: str) -> bool:
    """Whether the row says who ``taker`` is."""
    if any(row.get(column) == taker.person_id for column in PERSON_COLUMNS):
        return True
    if table == "people" and row.get("id") == taker.person_id:
        return True
    return bool(re.search(rf"(?<![0-9]){taker.telegram_id}(?![0-9])", text)) or taker.name in text


def leaks(rows: list[tuple[str, dict[str, Any]]], takers: list[Taker]) -> list[str]:
    found = []
    for table, row in rows:
        text = json.dumps(_without_keyboards(row), ensure_ascii=False, default=str)
        for taker in takers:
            if not _names(taker, table, row, text):
                continue
            given = [a for a in taker.answers if a in text]
            if given:
                found.append(f"{table} row names {taker.name} and holds {given}: {text[:300]}")
    return found


async def every_row(world: World) -> list[tuple[str, dict[str, Any]]]:
    out = []
    async with world.runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).mappings():
                out.append((table.name, dict(row)))
    return out


async def takers(world: World, spec: SurveySpec, survey: int) -> list[Taker]:
    async with world.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(people.c.id, people.c.telegram_id, people.c.name).where(
                    people.c.telegram_id.in_(list(ANSWERS))
                )
            )
        ).all()
    out = []
    for row in rows:
        person_id, telegram_id, name = int(row.id), int(row.telegram_id), str(row.name)
        tokens = []
        for number, value in enumerate(ANSWERS[telegram_id], start=1):
            tokens.append(f"q:{survey}:{answer_arg(number, value)}")
            question = spec.questions[number - 1]
            if question.kind is QuestionKind.CHOICE:
                tokens.append(question.label(value))
        out.append(Taker(person_id, telegram_id, name, tuple(tokens)))
    return out


async def test_no_stored_row_links_a_taker_to_an_answer(world: World) -> None:
    spec, survey = await open_and_answer(world)
    await command(world, CHEN, f"/survey close {KEY}", "is closed")
    await world.settle()
    found = await takers(world, spec, survey)
    assert len(found) == 3

    # The check catches the inbox row an unredacted press would leave behind.
    li = next(t for t in found if t.telegram_id == LI)
    press = {
        "update_id": 99,
        "callback_query": {
            "id": "1",
            "from": world.user(LI).user_json,
            "data": li.answers[0],
            "message": {"message_id": 5, "text": "Question 1 of 8", "reply_markup": {}},
        },
    }
    assert leaks([("inbox", {"update_id": 99, "status": "done", "payload": press})], found)

    rows = await every_row(world)
    assert leaks(rows, found) == []
    # The rest of the promise: the answers are all there, naming nobody, in no one's order.
    answers = [r for t, r in rows if t == "survey_answers"]
    assert len(answers) == 3 * len(spec.questions)
    assert set(answers[0]) == {"id", "survey_id", "question", "value"}
    assert sorted(r["id"] for r in answers) != list(range(1, len(answers) + 1))
    assert set(survey_answers.c.keys()) == {"id", "survey_id", "question", "value"}
    assert "person_id" in survey_takers.c  # who was asked and finished: what stops a second go
