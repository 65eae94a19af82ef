"""The message catalog: every user-facing text goes through `t()`.

Catalogs are gettext `.po` files under `bot/locale/<lang>/LC_MESSAGES/messages.po`,
maintained with Babel (`pybabel extract -k t:2`, see README). They are read with Babel
at first use, so there is no compile step that could leave a stale `.mo` behind.
The msgid is the English text with `{named}` placeholders; English falls back to it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from bot.domain.marker import N_

__all__ = ["N_", "t"]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def _catalog(lang: str) -> dict[str, str]:
    path = _LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=None)
    return {
        str(msg.id): str(msg.string)
        for msg in catalog
        if msg.id and msg.string and not msg.fuzzy and isinstance(msg.id, str)
    }


def t(lang: str, msgid: str, /, **params: Any) -> str:
    """Translate `msgid` into `lang` and fill its placeholders."""
    text = _catalog(lang).get(msgid, msgid)
    return text.format(**params) if params else text


def missing(lang: str, msgids: list[str]) -> list[str]:
    """List the msgids the catalog of `lang` does not translate (for the completeness test)."""
    cat = _catalog(lang)
    return [m for m in msgids if m not in cat]
