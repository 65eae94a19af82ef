"""The demo page in a real browser: Debian's Chromium driven by Playwright for Python.

Playwright's own browser download is not used (and not possible without a network): the
tests launch ``/usr/bin/chromium``. Where it is missing they are skipped with what to
install.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.cli.demo import Demo

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = (
    "the browser test needs Debian's Chromium and Playwright for Python: "
    "`apt-get install chromium` and `pip install -e '.[test]'`"
)
# This machine's network is closed: without these flags Chromium waits on connections
# (updates, sync, QUIC probes) that never answer.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The demo's critical requests escalate after 20 s; the tests do not wait that long.
FIRST_ESCALATION = timedelta(seconds=3)


def need_browser() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; {INSTALL}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip(f"playwright is not installed; {INSTALL}")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    need_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def demo_language() -> str:
    return "en"


@pytest.fixture
async def demo(demo_language: str) -> AsyncIterator[Demo]:
    async with Demo(port=0, language=demo_language, critical_first=FIRST_ESCALATION) as running:
        yield running
