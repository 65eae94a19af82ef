"""``helpline export``: requests and their timelines to CSV or xlsx, whole or anonymised."""

from __future__ import annotations

import asyncio
import csv
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.files.roster import parse_roster
from storage.db import make_engine, migrate
from storage.roster_store import import_roster
from storage.tables import events, people, requests
from tests.moments import helpline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
CHAIN = {"waits": [120, 180], "repeat": 300}
FORMULA = '=HYPERLINK("http://x","click") 胸口疼'
TEXTS = [
    FORMULA,
    "医药费报销三个月没有回音",
    "我在码头三号泊位",
    "已送医院",
    "李强不接电话",
    "电话里确认过了",
    "stranger's secret words",
    "a photo caption",
]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def _seed(db: Path) -> dict[str, int]:
    engine = make_engine(str(db))
    try:
        await migrate(engine)
        roster = parse_roster(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
        await import_roster(engine, roster, now=utc(2026, 11, 1))
        async with engine.begin() as conn:
            ids = {r.key: r.id for r in await conn.execute(select(people.c.key, people.c.id))}
            tg = {r.key: r.telegram_id for r in await conn.execute(select(people))}
            branch = {"warehouse": 1, "dock": 2}

            def request(number: int, created: datetime, **values: Any) -> dict[str, Any]:
                row: dict[str, Any] = {
                    "id": number,
                    "kind": "120",
                    "category": None,
                    "urgency": "critical",
                    "state": "open",
                    "branch_id": branch["warehouse"],
                    "requester_id": ids["mao"],
                    "requester_chat_id": tg["mao"],
                    "requester_name": "茅建国",
                    "requester_department": "仓储部",
                    "unregistered": False,
                    "text": "",
                    "owner_id": None,
                    "level": 0,
                    "chain": CHAIN,
                    "rating": None,
                    "family_of_name": None,
                    "created_at": created,
                    "updated_at": created,
                    "take_seconds": None,
                    "resolve_seconds": None,
                    "close_seconds": None,
                    "closed_by": None,
                    "reopen_count": 0,
                    "escalated": False,
                }
                row.update(values)
                return row

            await conn.execute(
                requests.insert(),
                [
                    request(
                        1,
                        utc(2026, 12, 1, 1, 0),  # 09:00 in Shanghai
                        state="closed",
                        text=FORMULA,
                        owner_id=ids["li"],
                        rating=5,
                        take_seconds=120,
                        resolve_seconds=600,
                        close_seconds=900,
                        closed_by="worker",
                    ),
                    request(
                        2,
                        utc(2026, 12, 2, 3, 30),
                        kind="service",
                        category="reimbursement",
                        urgency="normal",
                        state="closed",
                        requester_id=ids["sun-mother"],
                        requester_chat_id=tg["sun-mother"],
                        requester_name="孙母",
                        requester_department=None,
                        family_of_name="孙小红",
                        branch_id=branch["dock"],
                        text=TEXTS[1],
                        level=2,
                        escalated=True,
                        reopen_count=1,
                        close_seconds=86_400,
                        closed_by="secretary",
                    ),
                    # 00:30 on 1 December in Shanghai: inside a 1 December export.
                    request(
                        3,
                        utc(2026, 11, 30, 16, 30),
                        kind="110",
                        urgency="high",
                        branch_id=None,
                        requester_id=None,
                        requester_chat_id=9999,
                        requester_name="Stranger Danger",
                        requester_department=None,
                        unregistered=True,
                        text=TEXTS[6],
                        level=2,
                    ),
                    # 23:59:59 on 30 November in Shanghai: outside.
                    request(4, utc(2026, 11, 30, 15, 59, 59)),
                    # The last second of 31 December, and the first of 2027.
                    request(5, utc(2026, 12, 31, 15, 59, 59)),
                    request(6, utc(2026, 12, 31, 16, 0, 0)),
                ],
            )

            def event(
                number: int,
                at: datetime,
                type_: str,
                actor: str | None = None,
                chat: int | None = None,
                **data: Any,
            ) -> dict[str, Any]:
                return {
                    "request_id": number,
                    "at": at,
                    "type": type_,
                    "actor_id": ids[actor] if actor else None,
                    "actor_chat_id": tg[actor] if actor else chat,
                    "data": data,
                }

            t1 = utc(2026, 12, 1, 1, 0)
            await conn.execute(
                events.insert(),
                [
                    event(
                        1,
                        t1,
                        "raised",
                        "mao",
                        kind="120",
                        category=None,
                        text=FORMULA,
                        unregistered=False,
                    ),
                    event(1, t1, "alerted", level=0, to=[ids["li"], ids["qian"]]),
                    event(1, utc(2026, 12, 1, 1, 2), "taken", "li"),
                    event(1, utc(2026, 12, 1, 1, 3), "message", "li", text=TEXTS[2], media=None),
                    event(
                        1,
                        utc(2026, 12, 1, 1, 4),
                        "message",
                        "mao",
                        text=TEXTS[7],
                        media={"kind": "photo", "message_id": 7, "file_id": "AgAD-secret"},
                    ),
                    event(1, utc(2026, 12, 1, 1, 10), "resolved", "li", summary=TEXTS[3]),
                    event(1, utc(2026, 12, 1, 1, 15), "closed", "mao"),
                    event(1, utc(2026, 12, 1, 1, 16), "rated", chat=tg["mao"], stars=5),
                    event(
                        2,
                        utc(2026, 12, 2, 3, 30),
                        "raised",
                        "sun-mother",
                        kind="service",
                        category="reimbursement",
                        text=TEXTS[1],
                        unregistered=False,
                    ),
                    event(
                        2,
                        utc(2026, 12, 2, 7, 30),
                        "escalated",
                        reason="timeout",
                        level=1,
                        to=[ids["zhou"]],
                    ),
                    event(
                        2,
                        utc(2026, 12, 2, 8, 0),
                        "escalated",
                        "sun",
                        reason=TEXTS[4],
                        level=2,
                        to=[ids["chen"]],
                    ),
                    event(
                        2,
                        utc(2026, 12, 2, 9, 0),
                        "reassigned",
                        "chen",
                        to=ids["wu"],
                        **{"from": ids["zhou"]},
                    ),
                    event(2, utc(2026, 12, 2, 9, 5), "reopened", "sun-mother", reason=TEXTS[4]),
                    event(
                        2,
                        utc(2026, 12, 2, 9, 6),
                        "undeliverable",
                        to=ids["wu"],
                        reason="Forbidden: bot was blocked by the user 1102",
                        level=2,
                    ),
                    event(
                        2,
                        utc(2026, 12, 3, 3, 30),
                        "closed",
                        "chen",
                        on_behalf=True,
                        reason=TEXTS[5],
                    ),
                    event(
                        3,
                        utc(2026, 11, 30, 16, 30),
                        "raised",
                        chat=9999,
                        kind="110",
                        text=TEXTS[6],
                        unregistered=True,
                    ),
                    event(4, utc(2026, 11, 30, 15, 59, 59), "raised", "mao", kind="120"),
                    event(6, utc(2026, 12, 31, 16, 0), "raised", "mao", kind="120"),
                ],
            )
    finally:
        await engine.dispose()
    return tg


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "live.db"))
    return asyncio.run(_seed(tmp_path / "live.db"))


def export(*args: str) -> int:
    return helpline(["export", "--from", "2026-12-01", "--to", "2026-12-31", *args])


def read_csv(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_sheet(path: Path, name: str) -> list[dict[str, Any]]:
    book = load_workbook(path, read_only=True)
    try:
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_csv_export_holds_the_period_and_its_timelines(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export("--format", "csv", "--out", "december.csv") == 0
    out = capsys.readouterr()
    assert "4 requests" in out.out and "16 timeline events" in out.out and out.err == ""
    rows = read_csv(Path("december.csv"))
    # Local dates, both included, in the order they were raised.
    assert [r["number"] for r in rows] == ["3", "1", "2", "5"]
    rows.sort(key=lambda r: int(r["number"]))
    assert rows[0] == {
        "number": "1",
        "kind": "120",
        "category": "",
        "urgency": "critical",
        "state": "closed",
        "branch_key": "warehouse",
        "branch_name": "仓储部支部",
        "requester_name": "茅建国",
        "requester_department": "仓储部",
        "family_of": "",
        "unregistered": "false",
        "text": "'" + FORMULA,  # a typed text never becomes a formula in Excel
        "owner_name": "李强",
        "level": "0",
        "rating": "5",
        "created_at": "2026-12-01T09:00:00+08:00",
        "take_seconds": "120",
        "resolve_seconds": "600",
        "close_seconds": "900",
        "closed_by": "worker",
        "reopen_count": "0",
        "escalated": "false",
    }
    assert rows[1]["family_of"] == "孙小红" and rows[1]["branch_key"] == "dock"
    assert rows[1]["escalated"] == "true" and rows[1]["closed_by"] == "secretary"
    assert rows[2]["unregistered"] == "true" and rows[2]["branch_key"] == ""
    assert rows[2]["created_at"] == "2026-12-01T00:30:00+08:00"
    assert rows[3]["created_at"] == "2026-12-31T23:59:59+08:00"
    timeline = read_csv(Path("december-events.csv"))
    assert [e["number"] for e in timeline] == ["3"] + ["1"] * 8 + ["2"] * 7
    timeline.sort(key=lambda e: int(e["number"]))  # stable: each timeline keeps its order
    assert [e["type"] for e in timeline[:3]] == ["raised", "alerted", "taken"]
    # whom the alert reached, by name: a person id means nothing to an analyst
    assert json.loads(timeline[1]["data"]) == {"level": 0, "to": ["李强", "钱卫东"]}
    assert timeline[2] == {
        "number": "1",
        "at": "2026-12-01T09:02:00+08:00",
        "type": "taken",
        "actor_name": "李强",
        "data": "{}",
    }
    assert json.loads(timeline[5]["data"]) == {"summary": "已送医院"}
    assert timeline[7]["actor_name"] == ""  # the rating came from a chat, not a roster person


def test_xlsx_export_has_both_sheets_with_typed_cells(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert export("--format", "xlsx", "--out", "december.xlsx") == 0
    assert "december.xlsx" in capsys.readouterr().out
    book = load_workbook("december.xlsx", read_only=True)
    assert book.sheetnames == ["requests", "events"]
    book.close()
    rows = read_sheet(Path("december.xlsx"), "requests")
    assert [r["number"] for r in rows] == [3, 1, 2, 5]
    rows.sort(key=lambda r: int(r["number"]))
    first = rows[0]
    assert first["text"] == FORMULA  # stored as text, not as a formula
    assert first["created_at"] == datetime(2026, 12, 1, 9, 0)  # an Excel date, local time
    assert first["escalated"] is False and first["unregistered"] is False
    assert (first["take_seconds"], first["close_seconds"], first["rating"]) == (120, 900, 5)
    assert (first["owner_name"], first["requester_name"]) == ("李强", "茅建国")
    assert rows[1]["family_of"] == "孙小红" and rows[1]["escalated"] is True
    assert rows[2]["branch_key"] is None
    timeline = read_sheet(Path("december.xlsx"), "events")
    assert len(timeline) == 16
    timeline.sort(key=lambda e: int(e["number"]))
    assert timeline[0]["type"] == "raised" and timeline[0]["at"] == datetime(2026, 12, 1, 9)
    assert json.loads(timeline[0]["data"])["text"] == FORMULA
    with zipfile.ZipFile("december.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def _forbidden(tg: dict[str, int]) -> tuple[list[str], re.Pattern[str]]:
    names = [*EXAMPLE_NAMES, "Stranger Danger", *TEXTS, "AgAD-secret"]
    ids = re.compile(r"(?<!\d)(" + "|".join(str(i) for i in [*tg.values(), 9999] if i) + r")(?!\d)")
    return names, ids


EXAMPLE_NAMES = ["陈主任", "顾明", "王芳", "李强", "赵敏", "钱卫东", "周海涛", "吴建华", "茅建国"]
EXAMPLE_NAMES += ["孙小红", "孙母", "郑丽"]


def _cells(fmt: str) -> Iterator[tuple[str, str, Any]]:
    if fmt == "csv":
        for sheet, path in (("requests", "anon.csv"), ("events", "anon-events.csv")):
            for row in read_csv(Path(path)):
                yield from ((sheet, k, v) for k, v in row.items())
    else:
        for sheet in ("requests", "events"):
            for row in read_sheet(Path("anon.xlsx"), sheet):
                yield from ((sheet, k, v) for k, v in row.items())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymised_export_names_nobody_and_its_events_still_join(
    seeded: dict[str, int], fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export("--format", fmt, "--anonymised", "--out", f"anon.{fmt}") == 0
    assert "anonymised" in capsys.readouterr().out
    names, ids = _forbidden(seeded)
    for sheet, column, value in _cells(fmt):
        text = "" if value is None else str(value)
        assert not any(n in text for n in names), (sheet, column, text)
        if column not in ("pseudonym", "at", "created_at") and not column.endswith("_seconds"):
            assert not ids.search(text), (sheet, column, text)
    raw = b"".join(
        Path(p).read_bytes() for p in (["anon.csv", "anon-events.csv"] if fmt == "csv" else [])
    )
    if fmt == "xlsx":
        with zipfile.ZipFile("anon.xlsx") as z:
            raw = b"".join(z.read(n) for n in z.namelist())
    assert not any(n.encode() in raw for n in names)

    reader = read_csv if fmt == "csv" else None
    if reader is not None:
        rows, timeline = read_csv(Path("anon.csv")), read_csv(Path("anon-events.csv"))
    else:
        rows = read_sheet(Path("anon.xlsx"), "requests")
        timeline = read_sheet(Path("anon.xlsx"), "events")
    assert "number" not in rows[0] and "requester_name" not in rows[0] and "text" not in rows[0]
    pseudonyms = [str(r["pseudonym"]) for r in rows]
    assert len(set(pseudonyms)) == 4
    assert not {"1", "2", "3", "5"} & set(pseudonyms)
    assert all(re.fullmatch(r"R[0-9a-f]{16}", p) for p in pseudonyms)
    alerted = next(e for e in timeline if e["type"] == "alerted")
    assert json.loads(str(alerted["data"])) == {"level": 0, "people": 2}  # how many, not who
    # In the order raised: #3, #1, #2 and #5 (which has no events).
    assert {str(e["pseudonym"]) for e in timeline} == set(pseudonyms) - {pseudonyms[3]}
    first = [e for e in timeline if e["pseudonym"] == pseudonyms[1]]
    assert [e["type"] for e in first][:3] == ["raised", "alerted", "taken"]
    assert [e["actor"] for e in first] == [
        "requester",
        "system",
        "staff",
        "staff",
        "requester",
        "staff",
        "requester",
        "requester",
    ]
    assert json.loads(str(first[0]["data"])) == {
        "kind": "120",
        "category": None,
        "unregistered": False,
    }
    assert json.loads(str(first[4]["data"])) == {"media": "photo"}
    second = [json.loads(str(e["data"])) for e in timeline if e["pseudonym"] == pseudonyms[2]]
    assert second[1] == {"level": 1, "reason": "timeout", "people": 1}  # the bot's reason stays
    assert second[2] == {"level": 2, "people": 1}  # a person's reason goes
    assert second[-1] == {"on_behalf": True}
    assert [str(r["family"]).lower() for r in rows] == ["false", "false", "true", "false"]


def test_two_anonymised_exports_use_different_pseudonyms(seeded: dict[str, int]) -> None:
    assert export("--format", "csv", "--anonymised", "--out", "a.csv") == 0
    assert export("--format", "csv", "--anonymised", "--out", "b.csv") == 0
    a = {r["pseudonym"] for r in read_csv(Path("a.csv"))}
    b = {r["pseudonym"] for r in read_csv(Path("b.csv"))}
    assert len(a) == len(b) == 4 and not a & b


def test_force_overwrites_and_format_follows_the_suffix(
    seeded: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    Path("old.xlsx").write_text("old")
    assert export("--out", "old.xlsx", "--force") == 0
    assert len(read_sheet(Path("old.xlsx"), "requests")) == 4
    assert [p.name for p in Path(".").iterdir() if "partial" in p.name] == []


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
        if not p.name.startswith("live.db")
    }


BAD = [
    (["--from", "2026-12-31", "--to", "2026-12-01", "--out", "x.csv"], "is after --to"),
    (["--from", "2026-13-01", "--to", "2026-12-31", "--out", "x.csv"], "is not a date"),
    (["--from", "yesterday", "--to", "2026-12-31", "--out", "x.csv"], "is not a date"),
    (["--from", "2026-12-01", "--to", "20261231", "--out", "x.csv"], "is not a date"),
    (["--to", "2026-12-31", "--out", "x.csv"], "--from is required"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "x.pdf"], "use csv or xlsx"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--format", "ods", "--out", "x"], "ods"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--format", "csv"], "--out FILE is required"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "taken.csv"], "already exists"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "pair.csv"], "pair-events.csv"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "folder"], "--format is required"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "folder.xlsx"], "is a directory"),
    (["--from", "2026-12-01", "--to", "2026-12-31", "--out", "no/such/x.xlsx"], "does not exist"),
    (
        [
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--out",
            "live.db",
            "--format",
            "xlsx",
            "--force",
        ],
        "is the live database",
    ),
]


@pytest.mark.parametrize(("argv", "says"), BAD)
def test_bad_input_is_refused_in_one_line_and_writes_nothing(
    seeded: dict[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    Path("taken.csv").write_text("mine")
    Path("pair-events.csv").write_text("mine too")
    Path("folder").mkdir()
    Path("folder.xlsx").mkdir()
    before = _files(tmp_path)
    live = Path("live.db").read_bytes()
    assert helpline(["export", *argv]) == 2
    out = capsys.readouterr()
    assert out.out == "" and len(out.err.strip().splitlines()) == 1, out.err
    assert says in out.err and "Traceback" not in out.err
    assert _files(tmp_path) == before
    assert Path("live.db").read_bytes() == live


def test_unwritable_place_is_refused_with_nothing_written(
    seeded: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = locked / "x.csv"
    else:  # root writes anywhere but on a read-only file system such as sysfs
        target = Path("/sys/helpline-export.csv")
        try:
            (target.parent / ".helpline-probe").open("xb").close()
        except OSError:
            pass
        else:
            (target.parent / ".helpline-probe").unlink()
            pytest.skip("running as root with a writable /sys: no place root cannot write")
    try:
        assert export("--out", str(target)) == 2
        err = capsys.readouterr().err
        assert "cannot be written" in err and len(err.strip().splitlines()) == 1
        assert list(target.parent.glob(f"*{target.name}*")) == []
    finally:
        if os.geteuid() != 0:
            target.parent.chmod(0o755)


def test_missing_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "none.db"))
    assert export("--out", "x.xlsx") == 2
    assert "nothing to export" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_terminal_sees_progress_and_a_pipe_only_the_outcome(seeded: dict[str, int]) -> None:
    """An export of 100,000 requests takes a minute: on a terminal a bar shows it going
    (tqdm, on stderr); a pipe or a cron mail gets the one line of outcome and no bar."""
    helpline_bin = Path(sys.executable).with_name("helpline")
    command = [str(helpline_bin), "export", "--from", "2026-12-01", "--to", "2026-12-31"]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
    with subprocess.Popen(
        [*command, "--out", "tty.csv"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=slave,
    ) as proc:  # fmt: skip
        os.close(slave)
        shown = _read_all(master)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "exporting" in shown and "/20" in shown  # 4 requests and 16 events: 20 rows
    assert "4 requests" in out.decode()
    piped = subprocess.run(
        [*command, "--out", "pipe.csv"], capture_output=True, timeout=60, check=True
    )
    assert piped.stderr == b""
    assert "4 requests" in piped.stdout.decode()


def _read_all(fd: int) -> str:
    """What the child wrote to its terminal, until it closed it."""
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:  # EIO: the child closed its end
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")
