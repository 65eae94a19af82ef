"""``helpline demo`` as a process: it starts, prints the address, serves the page, and
stops cleanly on Ctrl-C (SIGINT), removing its temporary database."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli.demo import Demo, run_demo
from bot.settings import SettingsError
from tests.moments import helpline

ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/")


def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPLINE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(tmp_path)  # where the demo's temporary database goes
    env["HELPLINE_LANGUAGE"] = "en"
    return env


def found_in(directory: Path, pattern: str) -> list[Path]:
    return list(directory.glob(pattern))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_helpline_demo_starts_serves_the_page_and_stops_on_ctrl_c(
    tmp_path: Path, stop: signal.Signals
) -> None:
    work = tmp_path / "cwd"  # no .env here: the demo needs no settings at all
    work.mkdir()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "demo",
        "--port",
        "0",
        cwd=work,
        env=demo_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        found = ADDRESS.search(line)
        assert found, f"no address in {line!r}; stderr: {(await proc.stderr.read()).decode()}"
        assert int(found.group(1)) > 0
        assert found_in(tmp_path, "helpline-demo-*/helpline-demo.db")
        async with aiohttp.ClientSession() as http:
            async with http.get(found.group(0)) as page:
                assert page.status == 200
                html = await page.text()
            async with http.get(found.group(0) + "static/app.js") as script:
                assert script.status == 200
            async with http.get(found.group(0) + "_demo/config") as config:
                people = (await config.json())["people"]
        assert 'id="phones"' in html
        assert {p["role"] for p in people} == {
            "worker",
            "family",
            "member",
            "secretary",
            "committee",
        }
        proc.send_signal(stop)
        out, err = await asyncio.wait_for(proc.communicate(), 15)
        assert proc.returncode == 0, err.decode()
        assert "Demo stopped." in out.decode()
        assert "Traceback" not in err.decode()
        assert not found_in(tmp_path, "helpline-demo-*"), "the temporary database was left"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_the_demo_refuses_to_listen_beyond_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(host="0.0.0.0", port=0, language="en") == 2
    assert "loopback" in capsys.readouterr().err
    with pytest.raises(ValueError, match="loopback"):
        Demo(host="192.0.2.1")


async def test_a_given_database_is_kept_after_the_demo_stops(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    async with Demo(port=0, db=db, language="en") as demo:
        assert demo.url.startswith("http://127.0.0.1:")
        worker = demo.server.users[21]
        worker.send("/120 chest pain")
        await demo.server.users[13].wait_message("chest pain", timeout=10)
        due = await demo.next_deadline()
        assert due is not None and due["kind"] == "escalate" and due["request"] == 1
        assert 0 < due["seconds"] <= 20
    assert db.exists()


async def test_the_demo_refuses_a_database_that_is_not_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reset deletes the demo's database: the line's own must never be taken for it."""
    live = tmp_path / "helpline.db"
    monkeypatch.setenv("HELPLINE_DB", str(live))
    assert await asyncio.to_thread(helpline, ["roster", "import", str(ROSTER)]) == 0
    before = live.read_bytes()
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("my notes")
    for foreign in (live, not_sqlite):
        with pytest.raises(SettingsError) as refused:
            Demo(port=0, db=foreign, language="en")
        assert "not a demo database" in refused.value.problems[0]
    assert live.read_bytes() == before and not_sqlite.read_text() == "my notes"
    again = tmp_path / "demo.db"  # a demo's own file is welcome back
    async with Demo(port=0, db=again, language="en"):
        pass
    async with Demo(port=0, db=again, language="en"):
        pass


async def test_control_calls_only_from_the_demo_page(tmp_path: Path) -> None:
    """Another site the user visits cannot drive the demo: no form posts, no other origin,
    no other host name."""
    async with Demo(port=0, language="en") as demo, aiohttp.ClientSession() as browser:
        page = demo.url.rstrip("/")
        url = f"{page}/_sandbox/send"
        body = {"user_id": 21, "text": "/120 forged"}
        async with browser.post(url, data=body) as r:  # a cross-site form
            assert r.status == 415
        evil = {"Origin": "http://evil.example"}
        async with browser.post(url, json=body, headers=evil) as r:
            assert r.status == 403
        async with browser.post(url, json=body, headers={"Host": "evil.example"}) as r:
            assert r.status == 403  # DNS rebinding: a foreign name pointing at 127.0.0.1
        async with browser.post(f"{page}/_demo/reset", data=b"", headers=evil) as r:
            assert r.status in (403, 415)
        assert demo.server.users[21].messages == []
        async with browser.post(url, json=body, headers={"Origin": page}) as r:
            assert r.status == 200  # the page itself
        await demo.server.users[13].wait_message("forged", timeout=10)
