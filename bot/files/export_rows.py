"""What ``helpline export`` writes for each request and timeline event: pure rules.

Two layouts. The full one is for the company's own people: names, texts and the request
number, so a row can be looked up in the bot. The anonymised one has no names, no texts and
no Telegram ids: the number is replaced by a pseudonym (an HMAC of the number under a key
drawn afresh for each export, so the events still join to their request within one export
but nothing links it to the real number or to another export), the actor of an event is
only a role, and event data keeps only keys on an allow-list of values that cannot carry a
name or a text (a key added to the timeline later is dropped until it is listed here).

Column names are stable identifiers, not prose: scripts that read the files rely on them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

FACTS = (
    "take_seconds",
    "resolve_seconds",
    "close_seconds",
    "closed_by",
    "reopen_count",
    "escalated",
)
REQUEST_COLUMNS = (
    "number",
    "kind",
    "category",
    "urgency",
    "state",
    "branch_key",
    "branch_name",
    "requester_name",
    "requester_department",
    "family_of",
    "unregistered",
    "text",
    "owner_name",
    "level",
    "rating",
    "created_at",
    *FACTS,
)
ANONYMISED_REQUEST_COLUMNS = (
    "pseudonym",
    "kind",
    "category",
    "urgency",
    "state",
    "branch_key",
    "branch_name",
    "requester_department",
    "family",  # raised by a family member (the employee's name is left out)
    "unregistered",
    "level",
    "rating",
    "created_at",
    *FACTS,
)
EVENT_COLUMNS = ("number", "at", "type", "actor_name", "data")
ANONYMISED_EVENT_COLUMNS = ("pseudonym", "at", "type", "actor", "data")
# Free text typed by people (or a name): guarded against spreadsheet formulas.
TYPED = frozenset(
    {"branch_name", "requester_name", "requester_department", "family_of", "text"}
    | {"owner_name", "actor_name"}
)

# Event data that can never carry a name, a text or a Telegram id.
SAFE_DATA_KEYS = frozenset({"kind", "category", "unregistered", "level", "on_behalf", "stars"})
# ``reason`` is kept only when the bot itself wrote it; a person's reason is free text.
MACHINE_REASONS = frozenset(
    {"timeout", "owner-silent", "undeliverable", "asked", "confirm-due", "resolve-due"}
)


class Pseudonyms:
    """Request number -> an opaque name, the same for one number within one export."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, number: int) -> str:
        digest = hmac.new(self._key, str(number).encode(), hashlib.sha256).hexdigest()
        return "R" + digest[:16]  # 64 bits: no collision in any export this bot can hold


def local_time(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if at is None else at.astimezone(tz)


def request_record(
    row: Mapping[Any, Any], tz: ZoneInfo, pseudonym: Pseudonyms | None
) -> dict[str, Any]:
    """One requests-sheet row, keyed by the layout's column names."""
    record: dict[str, Any] = {
        "kind": row["kind"],
        "category": row["category"],
        "urgency": row["urgency"],
        "state": row["state"],
        "branch_key": row["branch_key"],
        "branch_name": row["branch_name"],
        "requester_department": row["requester_department"],
        "unregistered": bool(row["unregistered"]),
        "level": row["level"],
        "rating": row["rating"],
        "created_at": local_time(row["created_at"], tz),
        **{name: row[name] for name in FACTS},
    }
    record["escalated"] = bool(row["escalated"])
    if pseudonym is not None:
        record["pseudonym"] = pseudonym(row["id"])
        record["family"] = bool(row["family"])  # the query selects no name, only this
        return record
    record.update(
        number=row["id"],
        requester_name=row["requester_name"],
        family_of=row["family_of_name"],
        text=row["text"],
        owner_name=row["owner_name"],
    )
    return record


def event_record(
    row: Mapping[Any, Any],
    tz: ZoneInfo,
    pseudonym: Pseudonyms | None,
    names: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """One events-sheet row; ``data`` as compact JSON (anonymised: only safe keys). The
    people an event names (``to``, ``from``: internal person ids in the timeline) are
    written as their ``names`` - an id means nothing outside the database."""
    data = row["data"] if isinstance(row["data"], dict) else {}
    record: dict[str, Any] = {"at": local_time(row["at"], tz), "type": row["type"]}
    if pseudonym is None:
        data = {k: _named(v, names or {}) if k in PERSON_KEYS else v for k, v in data.items()}
        record.update(number=row["request_id"], actor_name=row["actor_name"], data=as_json(data))
        return record
    record.update(
        pseudonym=pseudonym(row["request_id"]),
        actor=actor_role(row),
        data=as_json(anonymised_data(data)),
    )
    return record


def actor_role(row: Mapping[Any, Any]) -> str:
    """Who acted, without saying who: the requester, someone of the help line, or the bot."""
    chat = row["actor_chat_id"]
    if chat is not None and chat == row["requester_chat_id"]:
        return "requester"
    if row["actor_id"] is not None or chat is not None:
        return "staff"
    return "system"


PERSON_KEYS = ("to", "from")  # event data that holds person ids


def _named(value: Any, names: Mapping[int, str]) -> Any:
    """A person id (or a list of them) as the name(s); "#id" for one no longer known."""
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, f"#{value}")
    return value


def recipients(data: Mapping[str, Any]) -> list[int]:
    """The person ids an event's ``to`` names: a list (alerted) or one id (undeliverable)."""
    to = data.get("to")
    found = to if isinstance(to, list) else [to]
    return [i for i in found if isinstance(i, int) and not isinstance(i, bool)]


def anonymised_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The event's data without anything that can name a person or quote them; whom it
    reached is only how many (``people``)."""
    kept = {k: v for k, v in data.items() if k in SAFE_DATA_KEYS and _plain(v)}
    if "to" in data:
        kept["people"] = len(recipients(data))
    reason = data.get("reason")
    if isinstance(reason, str) and reason in MACHINE_REASONS:
        kept["reason"] = reason
    media = data.get("media")
    if isinstance(media, Mapping) and isinstance(media.get("kind"), str):
        kept["media"] = str(media["kind"])[:32]  # "photo", "voice", ... not the file
    return kept


def _plain(value: Any) -> bool:
    # A safe key still carries only a number, a flag or a short code word.
    if value is None or isinstance(value, bool | int | float):
        return True
    if not isinstance(value, str):
        return False
    return len(value) <= 32 and value.isascii() and value.replace("-", "").isalnum()


def as_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
