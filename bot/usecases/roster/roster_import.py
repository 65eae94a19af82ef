"""The roster file made the database's (``helpline roster import``, the demo's seed).

One unit of work: the people, branches, links, plans and duties of the file, and for
everyone the file took off the roster, the requests they had taken handed back to open
and alerted again (as after ``/remove``). Either all of it is stored or none of it: an
import that fails halfway leaves no one removed with a request still in their hands.
"""

from __future__ import annotations

from bot.domain.roster_spec import Roster
from bot.usecases.common import Ctx
from bot.usecases.roster.roster_desk import hand_back_after_import
from storage.roster_store import ImportReport, apply_roster
from storage.uow import UnitOfWork


async def import_roster(uow: UnitOfWork, ctx: Ctx, roster: Roster) -> ImportReport:
    report = await apply_roster(uow.conn, roster, uow.now)
    if report.deactivated_ids:
        await hand_back_after_import(uow, ctx, report.deactivated_ids)
    return report
