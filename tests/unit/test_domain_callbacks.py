"""Callback data: what a button press means, within Telegram's 64 bytes (DESIGN.md §7)."""

from __future__ import annotations

import pytest

from bot.callbacks import MAX_BYTES, Button, Verb, unpack
from bot.domain.kinds import Category

NUMBERS = [0, 1, 42, 120110, 10**12 - 1]  # up to the 12 digits unpack reads
ARGS: list[str | None] = [None, "1", "5", "send", "discard", "a_1", "x" * 24]
ARGS += [c.value for c in Category]


def test_telegram_allows_64_bytes() -> None:
    assert MAX_BYTES == 64


@pytest.mark.parametrize("arg", ARGS)
@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("verb", list(Verb))
def test_packed_button_unpacks_to_itself_within_64_bytes(
    verb: Verb, number: int, arg: str | None
) -> None:
    button = Button(verb, number, arg)
    data = button.pack()
    assert 1 <= len(data.encode()) <= MAX_BYTES
    assert unpack(data) == button


@pytest.mark.parametrize(
    ("button", "data"),
    [
        pytest.param(Button(Verb.TAKE, 7), "t:7", id="take"),
        pytest.param(Button(Verb.RATE, 7, "5"), "s:7:5", id="rate-with-stars"),
        pytest.param(Button(Verb.CATEGORY, 0, "insurance"), "k:0:insurance", id="category"),
    ],
)
def test_packed_form(button: Button, data: str) -> None:
    assert button.pack() == data


@pytest.mark.parametrize(
    "button",
    [
        pytest.param(Button(Verb.CATEGORY, 0, "x" * 70), id="long-argument"),
        pytest.param(Button(Verb.TAKE, 10**70), id="huge-number"),
        pytest.param(Button(Verb.DRAFT, 1, "仓" * 21), id="multibyte-argument-counts-bytes"),
    ],
)
def test_pack_refuses_more_than_64_bytes(button: Button) -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        button.pack()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("zz", id="two-letters"),
        pytest.param("t", id="verb-alone"),
        pytest.param("t:", id="no-number"),
        pytest.param("t:abc", id="number-not-digits"),
        pytest.param("t:-1", id="negative-number"),
        pytest.param("t:1234567890123", id="thirteen-digits"),
        pytest.param("t:1:", id="empty-argument"),
        pytest.param("t:1:Send", id="upper-case-argument"),
        pytest.param("t:1:a-b", id="hyphen-in-argument"),
        pytest.param("t:1:" + "x" * 25, id="argument-over-24"),
        pytest.param("t:1:a:b", id="extra-field"),
        pytest.param("T:1", id="upper-case-verb"),
        pytest.param("tt:1", id="two-letter-verb"),
        pytest.param("j:1", id="unknown-verb"),
        pytest.param("z:1:send", id="unknown-verb-with-argument"),
        pytest.param(" t:1", id="leading-space"),
        pytest.param("t:1 ", id="trailing-space"),
        pytest.param("t:" + "1" * 63, id="over-64-bytes-of-digits"),
        pytest.param("t:1:" + "a" * 61, id="over-64-bytes"),
        pytest.param("仓" * 22, id="over-64-bytes-multibyte"),
        pytest.param("t:1\x00", id="nul-byte"),
        pytest.param("{'verb': 't'}", id="json-like"),
    ],
)
def test_garbage_unpacks_to_none(data: str | None) -> None:
    assert unpack(data) is None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("t:1\n", id="trailing-newline"),
        pytest.param("t:1:send\n", id="trailing-newline-after-argument"),
        pytest.param("t:١٢", id="arabic-indic-digits"),
        pytest.param("t:１２", id="fullwidth-digits"),
    ],
)
def test_data_we_never_wrote_unpacks_to_none(data: str) -> None:
    assert unpack(data) is None


@pytest.mark.parametrize(
    "button",
    [
        pytest.param(Button(Verb.TAKE, -1), id="negative-number"),
        pytest.param(Button(Verb.TAKE, 10**12), id="thirteen-digit-number"),
        pytest.param(Button(Verb.DRAFT, 0, "Send"), id="upper-case-argument"),
        pytest.param(Button(Verb.CATEGORY, 0, "protective gear"), id="space-in-argument"),
    ],
)
def test_pack_refuses_what_unpack_cannot_read(button: Button) -> None:
    try:
        data = button.pack()
    except ValueError:
        return
    assert unpack(data) == button


def test_leading_zeros_read_as_the_same_number() -> None:
    assert unpack("t:007") == Button(Verb.TAKE, 7)


def test_every_verb_is_one_distinct_letter() -> None:
    letters = [v.value for v in Verb]
    assert len(set(letters)) == len(letters)
    assert all(len(x) == 1 and x.isascii() and x.islower() for x in letters)
