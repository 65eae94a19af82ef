"""An anonymised export of requests the real bot handled names nobody and quotes nobody."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.files.export import ExportOptions, export
from tests.e2e.conftest import LI, MAO, NAMES, QIAN, SUN_MOTHER, ZHOU, World

TYPED = [
    "胸口疼得厉害",
    "我在三号泊位门口",
    "两分钟到",
    "已送医院观察",
    "报销单据丢了",
    "李强不接电话",
]


def _cells(*paths: Path) -> list[str]:
    cells: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            cells += [cell for row in csv.reader(fh) for cell in row]
    return cells


async def _story(world: World) -> None:
    """An emergency taken, talked through with a photo, resolved, confirmed and rated; a
    family member's service request escalated by hand with a reason and closed for them."""
    worker, li = world.user(MAO), world.user(LI)
    worker.send(f"/120 {TYPED[0]}")
    alert = await li.wait_message(TYPED[0])
    await li.press(alert, "Take")
    told = await worker.wait_message("is handling your request #1")
    await li.wait_message(lambda m: "Resolved" in m.buttons)
    worker.send(TYPED[1], reply_to=told)
    relayed = await li.wait_message(TYPED[1])
    li.send(TYPED[2], reply_to=relayed)
    await worker.wait_message(TYPED[2])
    worker.send_photo(caption="门口照片")
    await li.wait_message(lambda m: m.photo is not None)
    li.send(f"/resolve 1 {TYPED[3]}")
    question = await worker.wait_message(lambda m: "Confirm" in m.buttons)
    await worker.press(question, "Confirm")
    await worker.press(await worker.wait_message("How would you rate"), "4⭐")
    family = world.user(SUN_MOTHER)
    family.send(f"/110 {TYPED[4]}")
    await family.wait_message("#2")
    family.send(f"/escalate 2 {TYPED[5]}")
    await world.user(ZHOU).wait_message("#2")
    await world.settle()


async def test_anonymised_export_of_real_timelines_leaks_no_name_text_or_id(
    world: World, tmp_path: Path
) -> None:
    await _story(world)
    db, tz = world.runtime.settings.db, ZoneInfo("Asia/Shanghai")
    today = world.clock.now().astimezone(tz).date()
    whole = ExportOptions(today, today, "csv", tmp_path / "whole.csv")
    anon = ExportOptions(today, today, "csv", tmp_path / "anon.csv", anonymised=True)
    full, hidden = await export(db, tz, whole), await export(db, tz, anon)
    assert full.requests == hidden.requests == 2 and full.events == hidden.events > 10

    with (tmp_path / "whole-events.csv").open(encoding="utf-8-sig", newline="") as fh:
        types = {row["type"] for row in csv.DictReader(fh)}
    assert {"raised", "alerted", "taken", "message", "resolved", "closed", "rated"} <= types
    assert "escalated" in types
    everything = "\n".join(_cells(tmp_path / "whole.csv", tmp_path / "whole-events.csv"))
    for said in [*TYPED, "茅建国", "李强", "孙母", "孙小红"]:
        assert said in everything  # the whole export has them: the check below means something

    cells = _cells(tmp_path / "anon.csv", tmp_path / "anon-events.csv")
    text = "\n".join(cells)
    for said in [*TYPED, *NAMES.values(), "门口照片"]:
        assert said not in text, said
    ids = [str(i) for i in NAMES] + [str(QIAN)]
    plain = [c for c in cells if not re.fullmatch(r"R[0-9a-f]{16}", c)]  # pseudonyms are hex
    assert not [c for c in plain if any(re.search(rf"(?<![\d:.-]){i}(?!\d)", c) for i in ids)]
    with (tmp_path / "anon.csv").open(encoding="utf-8-sig", newline="") as fh:
        pseudonyms = {row["pseudonym"] for row in csv.DictReader(fh)}
    with (tmp_path / "anon-events.csv").open(encoding="utf-8-sig", newline="") as fh:
        joined = {row["pseudonym"] for row in csv.DictReader(fh)}
    assert len(pseudonyms) == 2 and joined == pseudonyms
    assert not {"1", "2", "#1", "#2"} & pseudonyms
