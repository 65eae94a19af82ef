"""``helpline report --period 2026Q4 --out FILE.html``: one self-contained page."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from storage.db import make_engine
from storage.tables import branches, requests
from tests.moments import helpline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
Q3_DAY = datetime(2026, 8, 3, 2, tzinfo=UTC)
Q4_DAY = datetime(2026, 11, 3, 2, tzinfo=UTC)
SECRET = "the-worker-wrote-this-text"


def assert_chart_png(data: bytes) -> None:
    """A valid PNG, 300-2000 px each way (read from IHDR), under 500 KB (as in tests/e2e)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 300 <= width <= 2000 and 300 <= height <= 2000 and len(data) < 500 * 1024


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("HELPLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELPLINE_LANGUAGE", "en")
    monkeypatch.setenv("HELPLINE_DB", str(tmp_path / "report.db"))
    return tmp_path / "report.db"


def _seed(db: Path) -> None:
    assert helpline(["roster", "import", str(EXAMPLE)]) == 0

    def row(branch_id: int | None, at: datetime, take: int) -> dict[str, Any]:
        return {
            "kind": "120",
            "urgency": "critical",
            "state": "closed",
            "branch_id": branch_id,
            "requester_chat_id": 2001,
            "requester_name": "茅建国",
            "text": SECRET,
            "chain": {},
            "created_at": at,
            "updated_at": at,
            "take_seconds": take,
        }

    async def go() -> None:
        engine = make_engine(str(db))
        async with engine.begin() as conn:
            ids = {r.key: r.id for r in await conn.execute(select(branches.c.key, branches.c.id))}
            rows = [
                row(ids["warehouse"], Q4_DAY + timedelta(hours=i), 60 * (i + 1)) for i in range(5)
            ]
            rows += [row(ids["warehouse"], Q3_DAY + timedelta(hours=i), 600) for i in range(3)]
            rows += [row(ids["dock"], Q4_DAY, 30), row(None, Q4_DAY, 30)]
            await conn.execute(insert(requests), rows)
        await engine.dispose()

    asyncio.run(go())


def test_the_page_holds_every_branch_the_changes_and_its_charts(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(env)
    capsys.readouterr()
    out = tmp_path / "q4.html"
    assert helpline(["report", "--period", "2026Q4", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert said.err == "" and "the figures of 2026Q4 for 2 branches" in said.out
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    for part in ("2026Q4 (2026-10-01 – 2026-12-31)", "仓储部支部", "码头机修支部"):
        assert part in page
    assert "Not in the roster" in page and "against 2026Q3" in page
    # Warehouse: 5 requests against 3 before, median time to take 3 min against 10 min.
    assert '<td class="change">+2</td>' in page and '<td class="change">−7 min</td>' in page
    # The dock's single request is withheld on the published page.
    assert "<td>Requests</td><td>n&lt;3</td>" in page
    # Self-contained: nothing to fetch, nothing to run.
    assert not re.search(r"(src|href)=\"(?!data:)", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    for data in images:
        assert_chart_png(base64.b64decode(data))
    # Only branch names: no person, no request text.
    for private in (SECRET, "茅建国", "王芳", "李强"):
        assert private not in page


def test_internal_shows_every_figure_and_language_sets_the_page(env: Path, tmp_path: Path) -> None:
    _seed(env)
    out = tmp_path / "internal.html"
    assert helpline(["report", "--period", "2026Q4", "--out", str(out), "--internal"]) == 0
    assert "n&lt;3" not in out.read_text(encoding="utf-8")
    assert (
        helpline(["report", "--period", "2026q4", "--out", str(out), "--language", "zh", "--force"])
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in page
    assert "<tr><th>指标</th><th>数值</th><th>变化</th></tr>" in page  # not "Figure / Value"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026Q5"], "I do not know the period “2026Q5”"),
        (["--out", "missing-folder/x.html"], "the directory does not exist"),
    ],
)
def test_a_bad_period_or_place_is_refused_in_one_line_and_writes_nothing(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    _seed(env)
    capsys.readouterr()
    argv = ["report", "--period", "2026Q4", "--out", str(tmp_path / "x.html")]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        argv[argv.index(flag) + 1] = value
    assert helpline(argv) == 2
    said = capsys.readouterr()
    assert message in said.err and "Traceback" not in said.err
    assert len(said.err.strip().splitlines()) == 1
    assert list(tmp_path.glob("*.html")) == [] and list(tmp_path.glob(".helpline-*")) == []


def test_an_existing_file_needs_force_and_the_live_database_is_refused_even_with_it(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(env)
    out = tmp_path / "figures.html"
    out.write_text("last quarter's page")
    capsys.readouterr()
    assert helpline(["report", "--period", "2026Q4", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{out}: already exists; choose another name or add --force to overwrite it"
    )
    assert out.read_text() == "last quarter's page"
    assert helpline(["report", "--period", "2026Q4", "--out", str(out), "--force"]) == 0
    assert "<html" in out.read_text()
    live = env.read_bytes()
    for argv in (["--out", str(env)], ["--out", str(env), "--force"]):
        assert helpline(["report", "--period", "2026Q4", *argv]) == 2
        assert capsys.readouterr().err.strip().endswith("is the live database itself")
    assert env.read_bytes() == live


def test_a_planted_symlink_is_not_followed_and_what_is_written_is_private(
    env: Path, tmp_path: Path
) -> None:
    """The temporary names of before (``<out>.part``, ``.<name>.<pid>.partial``) were
    predictable: a link planted there made the copy land where the planter chose."""
    _seed(env)
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours")
    out, copy = tmp_path / "figures.html", tmp_path / "copy.db"
    for planted in (
        out.with_name(out.name + ".part"),
        tmp_path / f".copy.db.{os.getpid()}.partial",
    ):
        planted.symlink_to(victim)
    assert helpline(["report", "--period", "2026Q4", "--out", str(out)]) == 0
    assert helpline(["backup", str(copy)]) == 0
    assert victim.read_text() == "not yours"
    for written in (out, copy, env):  # the database itself too
        assert not written.is_symlink() and written.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.glob(".helpline-*")) == []  # the private rooms are gone
