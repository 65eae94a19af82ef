"""Telegram's HTML parse mode as the sandbox implements it."""

from __future__ import annotations

import pytest

from sandbox.api import ApiError
from sandbox.html_entities import parse_html


def test_plain_text_and_utf16_offsets() -> None:
    text, entities = parse_html("😀 <b>bold <i>both</i></b> &amp; &#36; &quot;q&quot;")
    assert text == '😀 bold both & $ "q"'
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
    ]


@pytest.mark.parametrize(
    ("source", "entity"),
    [
        ("<strong>x</strong>", {"type": "bold"}),
        ("<em>x</em>", {"type": "italic"}),
        ("<ins>x</ins>", {"type": "underline"}),
        ("<del>x</del>", {"type": "strikethrough"}),
        ("<tg-spoiler>x</tg-spoiler>", {"type": "spoiler"}),
        ('<span class="tg-spoiler">x</span>', {"type": "spoiler"}),
        ("<code>x</code>", {"type": "code"}),
        (
            '<a href="https://t.me/x?a=1&amp;b=2">x</a>',
            {"type": "text_link", "url": "https://t.me/x?a=1&b=2"},
        ),
        ("<blockquote>x</blockquote>", {"type": "blockquote"}),
        ("<blockquote expandable>x</blockquote>", {"type": "expandable_blockquote"}),
        (
            '<pre><code class="language-python">x</code></pre>',
            {"type": "pre", "language": "python"},
        ),
        (
            '<tg-emoji emoji-id="5368324170671202286">x</tg-emoji>',
            {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"},
        ),
    ],
)
def test_supported_tags(source: str, entity: dict[str, str]) -> None:
    text, entities = parse_html(source)
    assert text == "x"
    assert entities == [{"offset": 0, "length": 1, **entity}]


@pytest.mark.parametrize(
    "source",
    ["<blink>x</blink>", "a < b", "<b>x", "<b>x</i>", "x</b>", "<span>x</span>", "<b x"],
)
def test_refused_markup(source: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")


def test_empty_entities_are_dropped() -> None:
    assert parse_html("<b></b>x") == ("x", [])
