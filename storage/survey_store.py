"""The yearly survey's rows: surveys, who was asked, and answers that name nobody.

What is kept, and why it cannot say who answered what:

- ``survey_takers`` says who was asked, how far they are and whether they finished - what
  stops someone answering twice - and nothing of what they answered: each answer is
  written to ``survey_answers`` the moment it is given, in the statement's transaction
  that moves the taker on, so no row ever holds a person next to an answer (not even for
  someone who stops half-way: their answers so far count, anonymously).
- ``survey_answers`` rows carry a survey, a question and a value: no person, no time. Their
  ids are drawn at random, not counted up, so their order says nothing about the order in
  which people finished (which the outbox's "thank you" messages would otherwise reveal).
- The inbox keeps every incoming update's JSON, and a survey button press holds both the
  presser and the answer: `redact_update` replaces it, in the transaction that records
  the answer, with ``{"update_id": N, "redacted": "survey"}``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.survey import Listed, Survey, SurveySpec, SurveyState, Taker, questions_from_json
from storage.tables import inbox, people, survey_answers, survey_takers, surveys

ID_SPACE = 2**31 - 1  # answer ids fit a 32-bit INTEGER on every dialect


@dataclass(frozen=True)
class Recipient:
    person_id: int
    telegram_id: int


class Imported(StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # a draft changed in place
    UNCHANGED = "unchanged"
    REFUSED = "refused"  # already opened, and the file would change it


def _survey(row: Any) -> Survey:
    return Survey(
        id=row.id,
        key=row.key,
        title=row.title,
        intro=row.intro,
        questions=questions_from_json(row.questions),
        remind_after=row.remind_after,
        state=SurveyState(row.state),
    )


def _values(spec: SurveySpec) -> dict[str, Any]:
    return {
        "title": spec.title,
        "intro": spec.intro,
        "questions": [q.to_json() for q in spec.questions],
        "remind_after": spec.remind_after,
    }


async def import_survey(
    conn: AsyncConnection, spec: SurveySpec, now: datetime
) -> tuple[Imported, SurveyState]:
    """Create the survey, or update it in place while it is a draft; an opened survey
    whose questions people are answering is never changed."""
    row = (await conn.execute(select(surveys).where(surveys.c.key == spec.key))).first()
    values = _values(spec)
    if row is None:
        await conn.execute(
            insert(surveys).values(
                key=spec.key, state=SurveyState.DRAFT.value, created_at=now, **values
            )
        )
        return Imported.CREATED, SurveyState.DRAFT
    state = SurveyState(row.state)
    if all(getattr(row, name) == value for name, value in values.items()):
        return Imported.UNCHANGED, state
    if state is not SurveyState.DRAFT:
        return Imported.REFUSED, state
    await conn.execute(update(surveys).where(surveys.c.id == row.id).values(**values))
    return Imported.UPDATED, state


async def by_key(conn: AsyncConnection, key: str) -> Survey | None:
    row = (await conn.execute(select(surveys).where(surveys.c.key == key))).first()
    return _survey(row) if row else None


async def by_id(conn: AsyncConnection, survey_id: int) -> Survey | None:
    row = (await conn.execute(select(surveys).where(surveys.c.id == survey_id))).first()
    return _survey(row) if row else None


async def listing(conn: AsyncConnection) -> list[Listed]:
    """Every survey, newest first, with how many were asked and finished."""
    finished = func.sum(case((survey_takers.c.finished.is_(True), 1), else_=0))
    rows = await conn.execute(
        select(
            surveys,
            func.count(survey_takers.c.person_id).label("asked"),
            finished.label("done"),
        )
        .outerjoin(survey_takers, survey_takers.c.survey_id == surveys.c.id)
        .group_by(surveys.c.id)
        .order_by(surveys.c.id.desc())
    )
    return [Listed(_survey(r), int(r.asked), int(r.done or 0)) for r in rows]


async def audience(conn: AsyncConnection) -> list[Recipient]:
    """Who a survey is for: every active employee with a Telegram account (any role), not
    family members - the survey asks what employees think of their branch."""
    rows = await conn.execute(
        select(people.c.id, people.c.telegram_id)
        .where(
            people.c.active.is_(True),
            people.c.telegram_id.is_not(None),
            people.c.family_of_id.is_(None),
        )
        .order_by(people.c.id)
    )
    return [Recipient(r.id, r.telegram_id) for r in rows]


async def add_takers(conn: AsyncConnection, survey_id: int, person_ids: list[int]) -> None:
    rows = [
        {
            "survey_id": survey_id,
            "person_id": p,
            "next_question": 0,
            "finished": False,
        }
        for p in person_ids
    ]
    if rows:
        await conn.execute(insert(survey_takers), rows)


async def move(
    conn: AsyncConnection, survey_id: int, expected: SurveyState, new: SurveyState, **stamps: Any
) -> bool:
    """Change the survey's state only if it is still ``expected`` (first writer wins)."""
    result = await conn.execute(
        update(surveys)
        .where(surveys.c.id == survey_id, surveys.c.state == expected.value)
        .values(state=new.value, **stamps)
    )
    return result.rowcount == 1


async def taker(conn: AsyncConnection, survey_id: int, person_id: int) -> Taker:
    """Where one taker is (raises LookupError if they were not asked)."""
    row = (
        await conn.execute(
            select(survey_takers).where(
                survey_takers.c.survey_id == survey_id, survey_takers.c.person_id == person_id
            )
        )
    ).first()
    if row is None:
        raise LookupError(person_id)
    return Taker(row.next_question, bool(row.finished))


def _at(survey_id: int, person_id: int, expected_next: int) -> Any:
    return and_(
        survey_takers.c.survey_id == survey_id,
        survey_takers.c.person_id == person_id,
        survey_takers.c.next_question == expected_next,
        survey_takers.c.finished.is_(False),
    )


async def record(
    conn: AsyncConnection,
    survey_id: int,
    person_id: int,
    question: int,
    value: int,
    *,
    last: bool,
) -> bool:
    """Move the taker past ``question`` (finished after the ``last``) and write the answer
    as a row that names nobody - only if the taker was still at that question."""
    result = await conn.execute(
        update(survey_takers)
        .where(_at(survey_id, person_id, question))
        .values(next_question=question + 1, finished=last)
    )
    if result.rowcount != 1:
        return False
    (answer_id,) = await _fresh_ids(conn, 1)
    await conn.execute(
        insert(survey_answers).values(
            id=answer_id, survey_id=survey_id, question=question, value=str(value)
        )
    )
    return True


async def _fresh_ids(conn: AsyncConnection, count: int) -> list[int]:
    """``count`` random ids not used yet (the table is small: a collision is rare)."""
    chosen: set[int] = set()
    while len(chosen) < count:
        draw = {secrets.randbelow(ID_SPACE) + 1 for _ in range(count - len(chosen))} - chosen
        taken: set[int] = set(
            await conn.scalars(select(survey_answers.c.id).where(survey_answers.c.id.in_(draw)))
        )
        chosen |= draw - taken
    ids = list(chosen)
    # Shuffled too: ids rising with the question number would tie one taker's rows together.
    secrets.SystemRandom().shuffle(ids)
    return ids


async def counts(
    conn: AsyncConnection, survey_id: int
) -> tuple[int, int, dict[tuple[int, str], int]]:
    """How many were asked, how many finished, and the answers counted per value."""
    asked = await conn.scalar(
        select(func.count())
        .select_from(survey_takers)
        .where(survey_takers.c.survey_id == survey_id)
    )
    finished = await conn.scalar(
        select(func.count())
        .select_from(survey_takers)
        .where(survey_takers.c.survey_id == survey_id, survey_takers.c.finished.is_(True))
    )
    rows = await conn.execute(
        select(survey_answers.c.question, survey_answers.c.value, func.count())
        .where(survey_answers.c.survey_id == survey_id)
        .group_by(survey_answers.c.question, survey_answers.c.value)
    )
    return int(asked or 0), int(finished or 0), {(r[0], r[1]): int(r[2]) for r in rows}


async def unfinished(conn: AsyncConnection, survey_id: int) -> list[tuple[Recipient, int]]:
    """Takers still answering who can be reached, with the question they are at."""
    rows = await conn.execute(
        select(people.c.id, people.c.telegram_id, survey_takers.c.next_question)
        .join(people, people.c.id == survey_takers.c.person_id)
        .where(
            survey_takers.c.survey_id == survey_id,
            survey_takers.c.finished.is_(False),
            people.c.active.is_(True),
            people.c.telegram_id.is_not(None),
        )
        .order_by(people.c.id)
    )
    return [(Recipient(r.id, r.telegram_id), int(r.next_question)) for r in rows]


async def waiting_for(conn: AsyncConnection, person_id: int) -> tuple[Survey, int] | None:
    """The open survey this person has not finished, and the question they are at."""
    row = (
        await conn.execute(
            select(surveys, survey_takers.c.next_question)
            .join(survey_takers, survey_takers.c.survey_id == surveys.c.id)
            .where(
                survey_takers.c.person_id == person_id,
                survey_takers.c.finished.is_(False),
                surveys.c.state == SurveyState.OPEN.value,
            )
            .order_by(surveys.c.id)
        )
    ).first()
    return (_survey(row), int(row.next_question)) if row else None


REDACTED = "survey"


async def redact_update(conn: AsyncConnection, update_id: int) -> None:
    """Forget what a survey button press said and who pressed it (keep only its id, which
    still drops a repeat of the same update)."""
    await conn.execute(
        update(inbox)
        .where(inbox.c.update_id == update_id)
        .values(payload={"update_id": update_id, "redacted": REDACTED})
    )
