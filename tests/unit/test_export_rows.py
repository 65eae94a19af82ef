"""What an export row holds, whole and anonymised (bot/files/export_rows.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.files.export_rows import (
    ANONYMISED_EVENT_COLUMNS,
    ANONYMISED_REQUEST_COLUMNS,
    EVENT_COLUMNS,
    REQUEST_COLUMNS,
    Pseudonyms,
    actor_role,
    anonymised_data,
    event_record,
    request_record,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROW: dict[str, Any] = {
    "id": 42,
    "kind": "120",
    "category": None,
    "urgency": "critical",
    "state": "closed",
    "branch_key": "warehouse",
    "branch_name": "仓储部支部",
    "requester_name": "茅建国",
    "requester_department": "仓储部",
    "family_of_name": None,
    "family": False,
    "unregistered": 0,
    "text": "胸口疼",
    "owner_name": "李强",
    "level": 1,
    "rating": 4,
    "created_at": datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    "take_seconds": 60,
    "resolve_seconds": 600,
    "close_seconds": 900,
    "closed_by": "worker",
    "reopen_count": 0,
    "escalated": 1,
}


def test_records_fill_exactly_their_layouts_columns() -> None:
    whole = request_record(ROW, SHANGHAI, None)
    anonymised = request_record(ROW, SHANGHAI, Pseudonyms(b"k"))
    assert set(whole) == set(REQUEST_COLUMNS)
    assert set(anonymised) == set(ANONYMISED_REQUEST_COLUMNS)
    assert whole["created_at"].isoformat() == "2026-12-01T09:00:00+08:00"
    assert whole["escalated"] is True and whole["unregistered"] is False
    assert not {"茅建国", "胸口疼", "李强", 42} & set(anonymised.values())
    event = {
        "request_id": 42,
        "at": ROW["created_at"],
        "type": "taken",
        "actor_id": 4,
        "actor_chat_id": 1002,
        "requester_chat_id": 2001,
        "actor_name": "李强",
        "data": {},
    }
    assert set(event_record(event, SHANGHAI, None)) == set(EVENT_COLUMNS)
    assert set(event_record(event, SHANGHAI, Pseudonyms())) == set(ANONYMISED_EVENT_COLUMNS)


def test_the_people_an_event_names_are_written_as_names() -> None:
    names = {3: "李强", 4: "钱卫东"}

    def data(**values: Any) -> Any:
        event = {"request_id": 42, "at": ROW["created_at"], "type": "x", "actor_name": None}
        return json.loads(event_record({**event, "data": values}, SHANGHAI, None, names)["data"])

    assert data(level=0, to=[3, 4]) == {"level": 0, "to": ["李强", "钱卫东"]}
    assert data(to=4, **{"from": 3}) == {"to": "钱卫东", "from": "李强"}  # reassigned
    assert data(to=9, reason="blocked") == {"to": "#9", "reason": "blocked"}  # unknown id


def test_pseudonyms_are_stable_within_an_export_and_differ_between_exports() -> None:
    one, other = Pseudonyms(), Pseudonyms()
    assert one(7) == one(7) != one(8)
    assert one(7) != other(7)
    assert re.fullmatch(r"R[0-9a-f]{16}", one(7))
    assert len({one(n) for n in range(10_000)}) == 10_000


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        ({"kind": "120", "category": None, "text": "胸口疼", "unregistered": True},
         {"kind": "120", "category": None, "unregistered": True}),
        ({"level": 1, "to": [3, 4], "reason": "timeout"},
         {"level": 1, "reason": "timeout", "people": 2}),  # whom: only how many
        ({"level": 2, "to": [9], "reason": "李强不接电话"}, {"level": 2, "people": 1}),
        ({"reason": "removed: 退休了"}, {}),
        ({"summary": "已送医院"}, {}),
        ({"on_behalf": True, "reason": "电话确认"}, {"on_behalf": True}),
        ({"stars": 5}, {"stars": 5}),
        ({"to": 4, "from": 3}, {"people": 1}),
        ({"text": "", "media": {"kind": "photo", "file_id": "AgAD", "message_id": 3}},
         {"media": "photo"}),
        ({"kind": "王芳"}, {}),  # a safe key with a name in it is still dropped
        ({"category": "x" * 40}, {}),
        ({"anything_new": "茅建国"}, {}),  # keys not on the allow-list never pass
    ],
)  # fmt: skip
def test_anonymised_event_data_keeps_only_what_names_nobody(
    data: dict[str, Any], kept: dict[str, Any]
) -> None:
    assert anonymised_data(data) == kept


@pytest.mark.parametrize(
    ("actor_id", "actor_chat", "role"),
    [
        (None, 2001, "requester"),
        (10, 2001, "requester"),
        (4, 1002, "staff"),
        (None, None, "system"),
    ],
)
def test_actor_becomes_a_role(actor_id: int | None, actor_chat: int | None, role: str) -> None:
    row = {"actor_id": actor_id, "actor_chat_id": actor_chat, "requester_chat_id": 2001}
    assert actor_role(row) == role
