"""A bundle's pages, buttons and headers (``bot/texts/bundle_render.py``), without a bot."""

from __future__ import annotations

from bot.callbacks import Button, Verb
from bot.domain.bundles import Entry
from bot.texts.bundle_render import PAGE, bundle, pages


def entries(n: int, *, escalated: bool = False, taken: frozenset[int] = frozenset()) -> list[Entry]:
    return [
        Entry(
            i,
            f"#{i} 120 · worker {i}\n   crane {i}",
            "✅ Taken by li" if i in taken else None,
            escalated,
        )
        for i in range(1, n + 1)
    ]


def labels(buttons: list[list[tuple[str, Button]]]) -> list[str]:
    return [label for row in buttons for label, _ in row]


def test_one_page_lists_every_entry_with_its_take_button_two_to_a_row() -> None:
    text, buttons = bundle("en", 7, entries(5), 0)
    assert text.splitlines()[:2] == ["🚨 5 requests at once", "5 of them still open"]
    assert all(f"crane {i}" in text for i in range(1, 6))
    assert labels(buttons) == [f"Take #{i}" for i in range(1, 6)]
    assert [len(row) for row in buttons] == [2, 2, 1]
    assert buttons[0][0][1] == Button(Verb.TAKE, 1)  # the same button as a single alert's


def test_a_taken_entry_says_so_and_offers_no_button() -> None:
    text, buttons = bundle("en", 7, entries(3, taken=frozenset({2})), 0)
    assert "2 of them still open" in text
    assert "✅ Taken by li" in text
    assert labels(buttons) == ["Take #1", "Take #3"]


def test_pages_of_ten_with_arrows_that_name_the_bundle() -> None:
    many = entries(23)
    assert pages(many) == 3
    first, buttons = bundle("en", 7, many, 0)
    assert "page 1 of 3" in first and "crane 10" in first and "crane 11" not in first
    assert buttons[-1] == [("▶", Button(Verb.BUNDLE, 7, "1"))]
    middle, buttons = bundle("en", 7, many, 1)
    assert "page 2 of 3" in middle
    assert [label for label, _ in buttons[-1]] == ["◀", "▶"]
    last, buttons = bundle("en", 7, many, 99)  # a stale page number shows the last page
    assert "page 3 of 3" in last and labels(buttons)[-1] == "◀"
    assert len(labels(buttons)) == 23 - 2 * PAGE + 1


def test_escalations_say_so_and_a_repeat_is_marked() -> None:
    text, _ = bundle("en", 7, entries(4, escalated=True), 0, repeat=True)
    assert text.startswith("(repeat) ⬆ ESCALATION: 4 requests nobody has taken yet")


def test_chinese() -> None:
    text, buttons = bundle("zh", 7, entries(12), 0)
    assert text.splitlines()[:2] == ["🚨 同时有 12 条求助", "其中 12 条还没有人接 · 第 1/2 页"]
    assert labels(buttons)[0] == "接单 #1"
