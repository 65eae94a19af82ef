"""``helpline survey import FILE``: refused whole, idempotent, a draft updated in place, an
opened survey never changed."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from storage.db import make_engine
from storage.tables import surveys
from tests.moments import helpline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "survey.yaml"
DumpFile = Callable[[Path], Any]


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "cli.db"))
    return tmp_path / "cli.db"


def _rows(db: Path) -> list[Any]:
    async def go() -> list[Any]:
        engine = make_engine(str(db))
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(surveys).order_by(surveys.c.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _set_state(db: Path, state: str) -> None:
    async def go() -> None:
        engine = make_engine(str(db))
        try:
            async with engine.begin() as conn:
                await conn.execute(update(surveys).values(state=state))
        finally:
            await engine.dispose()

    asyncio.run(go())


def _copy(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    if old:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_a_draft_and_again_changes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str], dump_file: DumpFile
) -> None:
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    out = capsys.readouterr()
    assert "imported as a draft (8 questions)" in out.out and out.err == ""
    before = dump_file(env)
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert dump_file(env) == before
    (row,) = _rows(env)
    assert (row.key, row.state, row.remind_after, len(row.questions)) == (
        "yearly-2026",
        "draft",
        "3d",
        8,
    )


def test_a_bad_file_is_refused_whole_with_its_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_file: DumpFile
) -> None:
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    before = dump_file(env)
    # A good change (the title) and a bad one (a ninth choice) in one file: neither lands.
    bad = _copy(tmp_path, "title: 2026 年度职工意见调查", "title: 新标题")
    text = bad.read_text(encoding="utf-8").replace(
        "      - 还没有找过支部\n", "      - 还没有找过支部\n      - 第九个选项\n"
    )
    bad.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert helpline(["survey", "import", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{bad}:35: a question has 2 to 8 choices; this one has 9", err
    assert err[-1] == f"{bad}: refused, nothing was changed"
    assert dump_file(env) == before


def test_a_missing_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert helpline(["survey", "import", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_an_edited_file_updates_the_draft_in_place(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    (first,) = _rows(env)
    edited = _copy(tmp_path, "remind_after: 3d", "remind_after: 5d")
    assert helpline(["survey", "import", str(edited)]) == 0
    assert "draft survey 'yearly-2026' updated" in capsys.readouterr().out
    (again,) = _rows(env)
    assert (again.id, again.remind_after, again.created_at) == (first.id, "5d", first.created_at)


def test_an_opened_survey_is_not_changed_by_an_import(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], dump_file: DumpFile
) -> None:
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    _set_state(env, "open")
    before = dump_file(env)
    edited = _copy(tmp_path, "总体来说，", "总的来说，")
    capsys.readouterr()
    assert helpline(["survey", "import", str(edited)]) == 2
    err = capsys.readouterr().err
    assert "the survey 'yearly-2026' is open already, so it cannot be changed" in err
    assert dump_file(env) == before
    # The same file as the one opened is simply up to date.
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    assert "already up to date (open)" in capsys.readouterr().out


def test_the_chinese_outcome_does_not_nest_brackets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HELPLINE_LANGUAGE", "zh")
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert helpline(["survey", "import", str(EXAMPLE)]) == 0
    said = capsys.readouterr().out
    assert "已是最新，状态：草稿（尚未发出）" in said
    assert "（草稿（" not in said
