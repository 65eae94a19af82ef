"""An update whose handler fails is never lost: tried again, and at last shown to a person.

The fault is put into the database itself, as a failing disk or a broken constraint would
be: a trigger that aborts every new request. The inbox keeps the update meanwhile.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from storage.tables import inbox, requests
from tests.e2e.conftest import CHEN, LI, MAO, World, runtime_for

SORRY = "What you sent is saved"
BREAK = (
    "CREATE TRIGGER broken BEFORE INSERT ON requests "
    "BEGIN SELECT RAISE(ABORT, 'simulated storage fault'); END"
)


def _sql(world: World, statement: str) -> None:
    with sqlite3.connect(world.runtime.settings.db, timeout=10) as conn:
        conn.execute(statement)


async def _statuses(world: World) -> list[str]:
    async with world.runtime.engine.connect() as conn:
        return list(await conn.scalars(select(inbox.c.status)))


async def test_a_failed_update_is_tried_again_until_it_is_stored(world: World) -> None:
    _sql(world, BREAK)
    worker = world.user(MAO)
    worker.send("/120 chest pain at gate 3")
    await worker.wait_message(SORRY)
    assert await _statuses(world) == ["received"]  # kept, not done
    _sql(world, "DROP TRIGGER broken")
    alert = await world.user(LI).wait_message("chest pain at gate 3")
    assert "Take" in alert.buttons
    await worker.wait_message("Request #1 received")
    await world.settle()
    assert await _statuses(world) == ["done"]
    assert sum(SORRY in m.text for m in worker.messages) == 1  # said once, not per try
    async with world.runtime.engine.connect() as conn:
        assert len(list(await conn.scalars(select(requests.c.id)))) == 1


async def test_after_every_try_the_committee_gets_the_senders_words(world: World) -> None:
    _sql(world, BREAK)
    worker = world.user(MAO)
    worker.send("/120 chest pain at gate 3")
    told = await world.user(CHEN).wait_message("could not handle a message", timeout=15)
    assert "茅建国" in told.text and "/120 chest pain at gate 3" in told.text
    await world.settle()
    assert await _statuses(world) == ["failed"]
    assert sum(SORRY in m.text for m in worker.messages) == 1
    # A failed update is kept, not replayed: after the fault is gone and the bot restarts,
    # it is still failed, and no request appears behind the committee's back.
    _sql(world, "DROP TRIGGER broken")
    await world.runtime.stop()
    world.runtime = runtime_for(world.server, Path(world.runtime.settings.db), world.clock)
    await world.runtime.start()
    await world.settle()
    assert await _statuses(world) == ["failed"]
    async with world.runtime.engine.connect() as conn:
        assert len(list(await conn.scalars(select(requests.c.id)))) == 0
