"""Fitting texts within Telegram's limits, counted in UTF-16 units (DESIGN.md §7)."""

from __future__ import annotations

import random
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from bot.texts.textfit import CAPTION_LIMIT, ELLIPSIS, TEXT_LIMIT, shorten, split, utf16_len

EMOJI = "😀"  # outside the BMP: a surrogate pair, 2 UTF-16 units
FAMILY = "👨‍👩‍👧"  # three astral emoji joined by ZWJ: 8 units
CJK = "仓储部支部"  # BMP: 1 unit each
ASTRAL_CJK = "𠀀"  # CJK Extension B: 2 units

ALPHABET = ["a", " ", "\n", "é", "仓", EMOJI, ASTRAL_CJK, "\u200d", "🇨🇳"]


def _samples() -> list[str]:
    rng = random.Random(110120)  # fixed seed: the same cases every run
    texts = ["", "a", EMOJI, EMOJI * 3, FAMILY, CJK, "a" + EMOJI + "b", "line\n" * 5]
    for _ in range(60):
        texts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40))))
    return texts


SAMPLES = _samples()
CASES = [pytest.param(t, id=f"sample{i}") for i, t in enumerate(SAMPLES)]
UNITS = [1, 2, 3, 4, 5, 7, 10, 16]


def no_lone_surrogate(text: str) -> bool:
    return not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("hello", 5, id="ascii"),
        pytest.param(CJK, 5, id="cjk-is-one-unit-each"),
        pytest.param(EMOJI, 2, id="emoji-is-a-surrogate-pair"),
        pytest.param(ASTRAL_CJK, 2, id="astral-cjk-is-a-surrogate-pair"),
        pytest.param(FAMILY, 8, id="zwj-family-is-three-pairs-and-two-joiners"),
        pytest.param("🇨🇳", 4, id="flag-is-two-regional-indicators"),
        pytest.param("é", 1, id="precomposed-accent"),
        pytest.param("e\u0301", 2, id="combining-accent"),
        pytest.param("a" + EMOJI + "仓", 4, id="mixed"),
    ],
)
def test_utf16_len_counts_telegram_units(text: str, units: int) -> None:
    assert utf16_len(text) == units


def test_limits_are_telegrams() -> None:
    assert (TEXT_LIMIT, CAPTION_LIMIT) == (4096, 1024)


@pytest.mark.parametrize("units", UNITS)
@pytest.mark.parametrize("text", CASES)
def test_shorten_never_exceeds_the_limit_nor_splits_a_pair(text: str, units: int) -> None:
    out = shorten(text, units)
    assert utf16_len(out) <= units
    assert no_lone_surrogate(out)
    if utf16_len(text) <= units:
        assert out == text
    else:
        assert out.endswith(ELLIPSIS)
        assert text.startswith(out[: -len(ELLIPSIS)])


@pytest.mark.parametrize(
    ("text", "units", "expected"),
    [
        pytest.param("hello", 5, "hello", id="text-that-fits-is-untouched"),
        pytest.param("hello!", 5, "hell…", id="long-text-is-cut-with-an-ellipsis"),
        pytest.param("a" + EMOJI + "b", 3, "a…", id="pair-that-would-be-split-is-dropped"),
        pytest.param(EMOJI * 2, 3, EMOJI + "…", id="whole-pair-kept-when-it-fits"),
        pytest.param(EMOJI * 2, 2, "…", id="only-the-ellipsis-when-no-pair-fits"),
        pytest.param(CJK, 3, "仓储…", id="cjk-cut"),
    ],
)
def test_shorten_examples(text: str, units: int, expected: str) -> None:
    assert shorten(text, units) == expected


def test_shorten_a_huge_message_to_the_text_limit() -> None:
    out = shorten("仓" + EMOJI * 5000, TEXT_LIMIT)
    assert utf16_len(out) <= TEXT_LIMIT
    assert utf16_len(out) >= TEXT_LIMIT - 2


def test_shorten_to_zero_units_gives_nothing() -> None:
    assert utf16_len(shorten("hello", 0)) == 0


class _Hang(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Turn an endless loop into an exception (SIGALRM: main thread, Unix)."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise _Hang

    previous: Callable[[int, FrameType | None], object] | int | None = signal.signal(
        signal.SIGALRM, alarm
    )
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded_split(text: str, units: int) -> list[str]:
    """split() under a deadline, so an endless loop fails the test instead of the run."""
    with _deadline(1.0):
        return split(text, units)


@pytest.mark.parametrize("units", [2, 3, 4, 5, 7, 10, 16])
@pytest.mark.parametrize("text", CASES)
def test_split_pieces_fit_and_join_back_to_the_original(text: str, units: int) -> None:
    pieces = guarded_split(text, units)
    assert "".join(pieces) == text
    assert pieces
    for piece in pieces:
        assert utf16_len(piece) <= units
        assert no_lone_surrogate(piece)
    assert all(pieces) or pieces == [""]


@pytest.mark.parametrize(
    "text", [c for c, t in zip(CASES, SAMPLES, strict=True) if utf16_len(t) == len(t)]
)
def test_split_into_single_units_for_bmp_text(text: str) -> None:
    pieces = guarded_split(text, 1)
    assert "".join(pieces) == text
    assert all(utf16_len(p) <= 1 for p in pieces)


@pytest.mark.parametrize(
    ("text", "units", "expected"),
    [
        pytest.param("", 10, [""], id="empty-text-is-one-empty-piece"),
        pytest.param("short", 10, ["short"], id="text-that-fits-is-one-piece"),
        pytest.param("abcdef", 3, ["abc", "def"], id="cut-at-the-limit-without-line-breaks"),
        pytest.param("abcd\nefgh", 6, ["abcd\n", "efgh"], id="prefers-a-line-break"),
        pytest.param("a\nbcdefgh", 6, ["a\nbcde", "fgh"], id="ignores-an-early-line-break"),
        pytest.param(EMOJI * 3, 3, [EMOJI, EMOJI, EMOJI], id="never-splits-a-pair"),
    ],
)
def test_split_examples(text: str, units: int, expected: list[str]) -> None:
    assert guarded_split(text, units) == expected


def test_split_a_huge_message_into_telegram_sized_pieces() -> None:
    text = ("李强: " + CJK * 300 + EMOJI + "\n") * 20
    pieces = guarded_split(text, TEXT_LIMIT)
    assert "".join(pieces) == text
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    assert all(p.endswith("\n") for p in pieces)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        pytest.param(EMOJI, 1, id="pair-wider-than-the-limit"),
        pytest.param("abc", 0, id="zero-units"),
    ],
)
def test_split_refuses_pieces_too_small_for_a_character(text: str, units: int) -> None:
    with _deadline(0.05), pytest.raises(ValueError):
        split(text, units)
