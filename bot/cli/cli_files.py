"""Input files of `helpline` commands: reading one, and saying why it was refused."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.files.roster import RosterError
from bot.i18n import t


def err(line: str) -> None:
    print(line, file=sys.stderr)


def read_text(path: Path, lang: str) -> str | None:
    """The file's UTF-8 text, or None after saying on stderr why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        err(t(lang, "{file}: no such file", file=path))
    except UnicodeDecodeError:
        err(t(lang, "{file}: not UTF-8 text", file=path))
    except OSError as exc:
        err(t(lang, "{file}: cannot be read ({reason})", file=path, reason=exc.strerror or exc))
    return None


def refused(exc: RosterError, path: Path, lang: str) -> None:
    """Every ``FILE:LINE: reason`` of a file refused whole, then that nothing changed."""
    for line in exc.lines():
        err(line)
    err(t(lang, "{file}: refused, nothing was changed", file=path))
