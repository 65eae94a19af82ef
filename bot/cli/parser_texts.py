"""argparse's own words - "usage:", "options", the errors it prints - in the operator's
language.

argparse looks its texts up through ``gettext`` (its module-level ``_`` and
``ngettext``), and Python ships no Chinese catalog for them: a Chinese operator got
"usage:" and "the following arguments are required" around our Chinese help. The texts
are listed here so the bot's catalog carries them, and ``translated(lang)`` sends
argparse's lookups to that catalog while the command line is built and read. The msgids
are argparse's own, %-placeholders and all (Python 3.11 to 3.13 share them); one argparse
does not know is simply left as it is.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterator
from contextlib import contextmanager

from bot.i18n import N_, t

TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("expected %s argument"),
    N_("expected %s arguments"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
)


@contextmanager
def translated(lang: str) -> Iterator[None]:
    """argparse speaks ``lang`` inside the block, and gettext's defaults again after."""
    before = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    say = functools.partial(t, lang)  # argparse's msgids, listed in TEXTS

    def plural(singular: str, many: str, n: int) -> str:
        return say(singular if n == 1 else many)

    argparse._ = say  # type: ignore[attr-defined]
    argparse.ngettext = plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = before  # type: ignore[attr-defined]
