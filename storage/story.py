"""The line's story in the log: one line per timeline event, told once it is stored.

An admin must be able to find what happened to request #417 from the log alone: raised,
alerted (level, how many people), undeliverable, escalated, taken, released, resolved,
confirmed, reopened, cancelled; a care plan's visits reminded, done, escalated; a survey
opened and closed. Each line says the subject's number and, for a request, its kind -
never the worker's words or anybody's name (a log leaves the building more easily than
the database; ``TOLD`` lists what of an event may be told). The unit of work collects
the lines as it records the events and tells them after its commit: an event rolled
back was never part of the story.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import queries

log = logging.getLogger("helpline.story")

# Numbers and closed words only: never a text a person wrote, a name or a chat id.
TOLD = ("level", "category", "stars", "allowed", "asked", "visit", "answered")


@dataclass(frozen=True)
class Line:
    subject: str  # "request", "plan", "survey"
    number: int
    what: str
    facts: dict[str, Any]


class Story:
    """The lines of one transaction, in the order their events were recorded."""

    def __init__(self) -> None:
        self._lines: list[Line] = []
        self._kinds: dict[int, str] = {}  # request -> kind, as far as known

    def add(self, subject: str, number: int, what: str, data: dict[str, Any]) -> None:
        facts = {k: data[k] for k in TOLD if isinstance(data.get(k), int | str)}
        if isinstance(data.get("to"), list):
            facts["people"] = len(data["to"])
        if subject == "request" and isinstance(data.get("kind"), str):
            self._kinds[number] = data["kind"]
        self._lines.append(Line(subject, number, what, facts))

    async def resolve(self, conn: AsyncConnection) -> None:
        """Look up the kinds of the requests whose events did not say it (one query)."""
        unknown = {
            line.number
            for line in self._lines
            if line.subject == "request" and line.number not in self._kinds
        }
        if unknown:
            self._kinds.update(await queries.kinds_of(conn, unknown))

    def tell(self) -> None:
        """Log every line (after the commit) and forget them."""
        for line in self._lines:
            facts = dict(line.facts)
            if line.subject == "request" and line.number in self._kinds:
                facts = {"kind": self._kinds[line.number], **facts}
            said = " ".join(f"{k}={v}" for k, v in facts.items())
            log.info(
                "%s #%d %s%s",
                line.subject,
                line.number,
                line.what,
                f" {said}" if said else "",
                extra={
                    "story": {line.subject: line.number, "event": line.what, **facts},
                },
            )
        self._lines.clear()
