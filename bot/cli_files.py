"""Reading an input file for a `helpline` command: one translated line per way it fails."""

from __future__ import annotations

import sys
from pathlib import Path

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
