"""The page of phones, walked in a real browser by clicking and typing (issue 5).

Each step waits on what the page shows (Playwright's ``expect`` polls the DOM), never on
a sleep: the phones update through the page's long poll as the real bot answers.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.cli.demo import Demo
from bot.i18n import t
from sandbox.web import label

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "demo.png"
RINGING = re.compile(r"\bringing\b")
QUICK = 5_000  # ms: what the bot sends shows within a second; this is slack for slow CI
ESCALATION = 15_000  # ms: the first escalation is due 3 s after the request


async def open_page(
    browser: Browser, demo: Demo, width: int, height: int, timezone_id: str | None = None
) -> Page:
    page = await browser.new_page(
        viewport={"width": width, "height": height}, timezone_id=timezone_id
    )
    await page.goto(demo.url)
    from playwright.async_api import expect

    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def phone(page: Page, key: str) -> Locator:
    return page.locator(f'.phone[data-key="{key}"]')


async def type_and_send(who: Locator, text: str) -> None:
    await who.locator("input.text").fill(text)
    await who.locator("button.send").click()


async def test_the_whole_story_by_clicking_and_typing(
    browser: Browser, demo: Demo, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    page = await open_page(browser, demo, 1400, 900)
    worker, li, zhao = phone(page, "mao"), phone(page, "li"), phone(page, "zhao")
    wang, chen = phone(page, "wang"), phone(page, "chen")
    # Every demo person has a phone with a name and a role.
    await expect(page.locator(".phone")).to_have_count(6)
    await expect(worker.locator(".phone-head")).to_contain_text("茅建国")
    await expect(worker.locator(".phone-head")).to_contain_text("worker")
    await expect(wang.locator(".phone-head")).to_contain_text("branch secretary")
    await expect(chen.locator(".phone-head")).to_contain_text("committee")
    await expect(page.locator("#clock")).to_contain_text("No escalation pending")

    # The worker raises a medical emergency in one message; both members' phones ring.
    await type_and_send(worker, "/120 chest pain at quay 3")
    await expect(worker.locator(".msg.user").last).to_contain_text("/120 chest pain at quay 3")
    for member in (li, zhao):
        await expect(member.locator(".msg.bot").last).to_contain_text(
            "chest pain at quay 3", timeout=QUICK
        )
        await expect(member.get_by_role("button", name="Take", exact=True)).to_be_visible()
        await expect(member).to_have_class(RINGING)
    await expect(worker.locator(".messages")).to_contain_text("Request #1 received")
    await expect(worker).not_to_have_class(RINGING)
    await expect(page.locator("#clock")).to_contain_text("Next escalation")
    await expect(page.locator("#clock")).to_have_attribute("data-kind", "escalate")

    # Nobody takes it: the secretary's phone gets the escalation and rings too.
    await expect(wang.locator(".messages")).to_contain_text("ESCALATION", timeout=ESCALATION)
    await expect(wang.locator(".messages")).to_contain_text("chest pain at quay 3")
    await expect(wang).to_have_class(RINGING)
    await expect(chen.locator(".messages")).not_to_contain_text("chest pain")

    # A member takes it: every alert stops ringing, the worker learns who handles it.
    await li.get_by_role("button", name="Take", exact=True).click()
    await expect(worker.locator(".messages")).to_contain_text(
        "李强 is handling your request #1", timeout=QUICK
    )
    for other in (zhao, wang):
        await expect(other.locator(".messages")).to_contain_text("Taken by 李强")
        await expect(other).not_to_have_class(RINGING)
    await expect(li).not_to_have_class(RINGING)

    # They talk through the bot: text both ways, then a photo, a voice note and a location.
    await type_and_send(worker, "I am at the gate")
    await expect(li.locator(".messages")).to_contain_text("I am at the gate", timeout=QUICK)
    await type_and_send(li, "Coming in 2 minutes")
    await expect(worker.locator(".messages")).to_contain_text("Coming in 2 minutes")
    await expect(zhao.locator(".messages")).not_to_contain_text("Coming in 2 minutes")
    await worker.locator('.quick button[data-kind="photo"]').click()
    await expect(li.locator(".msg.bot .photo-card")).to_have_count(1, timeout=QUICK)
    await worker.locator('.quick button[data-kind="voice"]').click()
    await expect(li.locator(".msg.bot .voice-card")).to_contain_text("0:07", timeout=QUICK)
    await worker.locator('.quick button[data-kind="location"]').click()
    await expect(li.locator(".msg.bot .map-card")).to_contain_text("31.3592", timeout=QUICK)

    # The owner resolves it; the worker confirms and rates the help.
    await li.get_by_role("button", name="Resolved", exact=True).click()
    await expect(worker.get_by_role("button", name="Confirm", exact=True)).to_be_visible(
        timeout=QUICK
    )
    await expect(worker.get_by_role("button", name="Not resolved", exact=True)).to_be_visible()
    await worker.get_by_role("button", name="Confirm", exact=True).click()
    await expect(worker.get_by_role("button", name="5⭐", exact=True)).to_be_visible(timeout=QUICK)
    await worker.get_by_role("button", name="5⭐", exact=True).click()
    await expect(worker.locator(".toast")).to_contain_text("Thank you", timeout=QUICK)
    await expect(li.locator(".messages")).to_contain_text(
        "confirmed request #1 is resolved", timeout=QUICK
    )
    await expect(worker.get_by_role("button", name="5⭐", exact=True)).to_have_count(0)

    await expect(worker.locator(".toast")).to_be_hidden()  # a clean picture for the README
    SCREENSHOT.parent.mkdir(exist_ok=True)
    # The README's picture is refreshed on request, so a test run leaves the tree clean.
    shot = SCREENSHOT if os.environ.get("HELPLINE_UPDATE_SCREENSHOT") else tmp_path / "demo.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert SCREENSHOT.stat().st_size > 10_000


@pytest.mark.parametrize("demo_language", ["zh"])
async def test_phone_sized_window_shows_one_selectable_phone_in_chinese(
    browser: Browser, demo: Demo
) -> None:
    from playwright.async_api import expect

    page = await open_page(browser, demo, 390, 844)
    worker, li = phone(page, "mao"), phone(page, "li")
    # Chinese by default: the page's own words and the bot's buttons.
    await expect(page.locator("#reset")).to_contain_text("重新开始")
    await expect(worker.locator(".reply-tip")).to_have_text(label("zh", "reply_hint"))
    await expect(worker).to_be_visible()
    await expect(li).to_be_hidden()
    await fits_the_width(page, worker, 390)
    await expect(page.locator("#clock-label")).to_have_text(label("zh", "next_none"))
    await top_bar_reads_whole(page, 390)

    await type_and_send(worker, "/120 胸口疼")
    await expect(page.locator("#clock-label")).to_contain_text(label("zh", "next_escalation"))
    await top_bar_reads_whole(page, 390)
    # The member's tab rings before anyone looks at that phone.
    tab = page.locator('.pick[data-key="li"]')
    await expect(tab).to_have_class(RINGING, timeout=QUICK)
    await tab.click()
    await expect(li).to_be_visible()
    await expect(worker).to_be_hidden()
    await fits_the_width(page, li, 390)
    take = li.get_by_role("button", name=t("zh", "Take"), exact=True)
    await expect(take).to_be_visible()
    await take.click()
    await expect(li).not_to_have_class(RINGING, timeout=QUICK)
    await page.locator('.pick[data-key="mao"]').click()
    await expect(worker.locator(".messages")).to_contain_text("李强", timeout=QUICK)
    await fits_the_width(page, worker, 390)


async def settled(node: Locator) -> None:
    # A phone that starts ringing shakes for a moment (a CSS animation that moves it a few
    # pixels sideways): the layout is measured once every animation that ends has ended,
    # however long a busy machine takes to play them.
    await node.evaluate(
        """node => Promise.all(node.getAnimations({subtree: true})
            .filter(a => a.effect.getComputedTiming().endTime !== Infinity)
            .map(a => a.finished.catch(() => null)))"""
    )


async def top_bar_reads_whole(page: Page, width: int) -> None:
    """The title and the clock's words are shown whole: not hidden, clipped or off screen."""
    from playwright.async_api import expect

    for part in ("#title", "#clock-label"):
        node = page.locator(part)
        await expect(node).to_be_visible()
        await expect(node).to_have_text(re.compile(r"\S"))
        clipped = await node.evaluate("n => n.scrollWidth > n.clientWidth")
        assert not clipped, f"{part} is cut off"
        box = await node.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, part


async def fits_the_width(page: Page, selected: Locator, width: int) -> None:
    await settled(selected)
    box = await selected.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert box["height"] >= 400, box
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways: {scroll_width}px > {width}px"
    # The text box and the send button are inside the window, usable with a thumb.
    for part in ("input.text", "button.send"):
        part_box = await selected.locator(part).bounding_box()
        assert part_box is not None and part_box["x"] + part_box["width"] <= width, part


async def test_reset_starts_over_with_empty_phones(browser: Browser, demo: Demo) -> None:
    from playwright.async_api import expect

    page = await open_page(browser, demo, 1400, 900)
    worker, li = phone(page, "mao"), phone(page, "li")
    await type_and_send(worker, "/120 chest pain")
    await expect(li.locator(".messages")).to_contain_text("chest pain", timeout=QUICK)
    await expect(page.locator("#clock")).to_contain_text("#1")
    first_runtime = demo.runtime

    await expect(page.locator("body")).to_have_attribute("data-epoch", "0")
    await page.locator("#reset").click()
    # The page learns the reset is over (the bot runs again) when the epoch moves on.
    await expect(page.locator("body")).to_have_attribute("data-epoch", "1", timeout=QUICK)
    await expect(li.locator(".messages")).not_to_contain_text("chest pain", timeout=QUICK)
    await expect(li).not_to_have_class(RINGING)
    await expect(page.locator("#clock")).to_contain_text("No escalation pending")
    assert demo.runtime is not None and demo.runtime is not first_runtime

    # The bot runs again on the fresh database: the next request is #1 again.
    await type_and_send(worker, "/120 chest pain again")
    await expect(li.locator(".messages")).to_contain_text("#1", timeout=QUICK)
    await expect(li.locator(".messages")).to_contain_text("chest pain again")


async def test_phone_sized_top_bar_shows_the_whole_title_and_the_clock_label(
    browser: Browser, demo: Demo
) -> None:
    from playwright.async_api import expect

    page = await open_page(browser, demo, 390, 844)
    await expect(page.locator("#title")).to_have_text(label("en", "title"))
    await expect(page.locator("#clock-label")).to_have_text(label("en", "next_none"))
    await top_bar_reads_whole(page, 390)
    # Counting down, the clock still says what it counts down to (English: the longest).
    await type_and_send(phone(page, "mao"), "/120 chest pain")
    await expect(page.locator("#clock-label")).to_have_text(
        f"{label('en', 'next_escalation')} · {label('en', 'request_no', number=1)}", timeout=QUICK
    )
    await expect(page.locator("#clock-time")).to_have_text(re.compile(r"\d:\d\d"))
    await top_bar_reads_whole(page, 390)


async def test_at_1600_px_the_six_phones_stand_side_by_side(browser: Browser, demo: Demo) -> None:
    from playwright.async_api import expect

    page = await open_page(browser, demo, 1600, 900)
    await type_and_send(phone(page, "mao"), "/120 chest pain")
    await expect(phone(page, "li").get_by_role("button", name="Take", exact=True)).to_be_visible(
        timeout=QUICK
    )
    phones = page.locator(".phone")
    await expect(phones).to_have_count(6)
    await settled(page.locator("#phones"))
    sideways = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sideways[0] <= sideways[1], f"the page scrolls sideways: {sideways}"
    boxes = [await each.bounding_box() for each in await phones.all()]
    row = boxes[0]["y"] if boxes[0] else None
    for box in boxes:
        # Each phone whole in the window, all on one row, wide enough to read.
        assert box is not None, boxes
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1600, boxes
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, boxes
        assert box["y"] == row and box["width"] >= 240, boxes


async def test_bubble_times_are_the_bots_and_a_hint_says_a_click_replies(
    browser: Browser, demo: Demo
) -> None:
    from playwright.async_api import expect

    # The browser's clock is in New York, the bot's (HELPLINE_TIMEZONE) in Shanghai.
    browser_zone = "America/New_York"
    page = await open_page(browser, demo, 1400, 900, timezone_id=browser_zone)
    assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == browser_zone
    worker = phone(page, "mao")
    await type_and_send(worker, "/120 chest pain")
    sent = worker.locator(".msg.user").first
    await expect(sent).to_contain_text("/120 chest pain")

    # The time a bubble shows is its message's own date (as the sandbox stored it) told in
    # the bot's zone, never the browser's.
    worker_id = next(p.telegram_id for p in demo.people if p.key == "mao")
    stored = next(m for m in demo.server.chat(worker_id).ordered() if not m.from_bot).data
    when = stored.get("edit_date") or stored["date"]
    bot_time = datetime.fromtimestamp(when, ZoneInfo(demo.timezone)).strftime("%H:%M")
    browser_time = datetime.fromtimestamp(when, ZoneInfo(browser_zone)).strftime("%H:%M")
    assert demo.timezone == "Asia/Shanghai" and bot_time != browser_time
    await expect(sent.locator(".meta")).to_have_text(bot_time)
    await expect(sent.locator(".meta")).to_have_attribute(
        "title", label("en", "time_zone", zone=demo.timezone)
    )

    # A line under the chat and each bubble's tooltip say that a click replies; replying,
    # the reply bar takes the line's place, and the answer quotes the bubble.
    tip = worker.locator(".reply-tip")
    await expect(tip).to_have_text(label("en", "reply_hint"))
    await expect(tip).to_be_visible()
    await expect(sent.locator(".bubble")).to_have_attribute("title", label("en", "reply_hint"))
    await sent.locator(".bubble").click()
    await expect(worker.locator(".replying")).to_contain_text("/120 chest pain")
    await expect(tip).to_be_hidden()
    await type_and_send(worker, "still here")
    answer = worker.locator(".msg.user", has_text="still here")
    await expect(answer.locator(".quote-ref")).to_have_text("/120 chest pain")
    await expect(tip).to_be_visible()
