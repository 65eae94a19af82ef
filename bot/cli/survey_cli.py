"""``helpline survey import FILE``: load a survey file into the database as a draft.

Like the roster import: a bad file is refused whole with ``FILE:LINE: reason`` and exit
status 2, changing nothing; importing the same file again changes nothing; an edited file
updates a draft in place; a survey already opened is never changed (people are answering
its questions), and the import says so.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.cli.cli_files import err as _err
from bot.cli.cli_files import read_text, refused
from bot.domain.survey import SurveySpec
from bot.files.survey_file import SurveyFileError, parse_survey
from bot.i18n import t
from bot.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any, lang: str) -> None:
    survey = commands.add_parser("survey", help=t(lang, "the yearly survey"))
    actions = survey.add_subparsers(dest="survey_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "import", help=t(lang, "load a survey YAML file as a draft (idempotent)")
    )
    load.add_argument("file", metavar="FILE")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=False)
    lang = settings.language
    path = Path(args.file)
    text = read_text(path, lang)
    if text is None:
        return EXIT_USAGE
    try:
        spec = parse_survey(text, str(path), lang=lang)
    except SurveyFileError as exc:
        refused(exc, path, lang)
        return EXIT_USAGE
    return asyncio.run(_import(settings, spec, path, args.clock.now()))


async def _import(settings: Settings, spec: SurveySpec, path: Path, now: datetime) -> int:
    from bot.texts import survey_render
    from storage.db import make_engine, migrate, writing
    from storage.survey_store import Imported, import_survey

    lang = settings.language
    engine = make_engine(settings.db)
    try:
        await migrate(engine)
        async with writing(engine) as conn:
            outcome, state = await import_survey(conn, spec, now)
    except SQLAlchemyError as exc:
        _err(t(lang, "database error, nothing was changed: {reason}", reason=exc))
        return EXIT_FAILED
    finally:
        await engine.dispose()
    if outcome is Imported.REFUSED:
        _err(
            t(
                lang,
                "{file}: the survey '{key}' is {state} already, so it cannot be changed "
                "(people are answering its questions); give the new version another key",
                file=path,
                key=spec.key,
                state=survey_render.state_label(lang, state),
            )
        )
        _err(t(lang, "{file}: refused, nothing was changed", file=path))
        return EXIT_USAGE
    done = {
        Imported.CREATED: t(
            lang,
            "{file}: survey '{key}' imported as a draft ({count} questions); "
            "/survey open {key} sends it",
            file=path,
            key=spec.key,
            count=len(spec.questions),
        ),
        Imported.UPDATED: t(
            lang,
            "{file}: draft survey '{key}' updated ({count} questions)",
            file=path,
            key=spec.key,
            count=len(spec.questions),
        ),
        Imported.UNCHANGED: t(
            lang,
            "{file}: survey '{key}' already up to date ({state})",
            file=path,
            key=spec.key,
            state=survey_render.state_label(lang, state),
        ),
    }
    print(done[outcome])
    return EXIT_OK
