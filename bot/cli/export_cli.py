"""The ``helpline export`` subcommand: its arguments and its one line of outcome."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.files.export import ExportError, main_export, parse_options
from bot.i18n import t
from bot.settings import load_settings

EXIT_USAGE = 2


def add_parser(commands: Any, lang: str) -> None:
    export = commands.add_parser(
        "export",
        help=t(lang, "write the requests raised between two dates and their timelines to a file"),
    )
    # Checked by bot/files/export.py rather than argparse, for one translated line per mistake.
    export.add_argument(
        "--from", dest="first", metavar="DATE", help=t(lang, "first local date, YYYY-MM-DD")
    )
    export.add_argument(
        "--to", dest="last", metavar="DATE", help=t(lang, "last local date (included)")
    )
    export.add_argument(
        "--format",
        metavar="csv|xlsx",
        help=t(lang, "csv (two files) or xlsx (one workbook); default: FILE's suffix"),
    )
    export.add_argument(
        "--anonymised",
        "--anonymized",
        action="store_true",
        help=t(lang, "no names, texts or Telegram ids; request numbers replaced by pseudonyms"),
    )
    export.add_argument("--out", metavar="FILE", help=t(lang, "the file to write"))
    export.add_argument("--force", action="store_true", help=t(lang, "overwrite FILE if it exists"))


def run(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    try:
        options = parse_options(
            args.first,
            args.last,
            args.format,
            args.out,
            anonymised=args.anonymised,
            force=args.force,
        )
    except ExportError as exc:
        print(exc.text(settings.language), file=sys.stderr)
        return EXIT_USAGE
    with progress_bar(settings.language) as bar:
        shown = bar if bar.shown else None  # no bar, no counting queries
        status, line = main_export(settings.language, settings.db, settings.tz, options, shown)
    print(line, file=sys.stderr if status else sys.stdout)
    return status


class _Bar:
    """tqdm behind the export's ``Progress``: on stderr, and silent when stderr is not a
    terminal (a cron job's mail or a pipe gets the one line of outcome, no bar)."""

    def __init__(self, lang: str) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            desc=t(lang, "exporting"),
            unit=t(lang, "rows"),
            unit_scale=True,
            disable=None,  # None: only on a TTY
            file=sys.stderr,
            leave=False,
        )

    @property
    def shown(self) -> bool:
        return not self._bar.disable

    def total(self, rows: int) -> None:
        self._bar.reset(total=rows)

    def update(self, rows: int) -> None:
        self._bar.update(rows)

    def close(self) -> None:
        self._bar.close()


@contextmanager
def progress_bar(lang: str) -> Iterator[_Bar]:
    bar = _Bar(lang)
    try:
        yield bar
    finally:
        bar.close()
