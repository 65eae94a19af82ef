"""The ``helpline`` console command: run the bot, import the roster, make invites.

Every outcome an operator can cause (bad settings, a bad or missing file, an unknown
person) ends with a translated sentence and exit status 2, never a traceback: the
command is run by people fixing a deployment under pressure, not by developers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from sqlalchemy.exc import SQLAlchemyError

from bot.cli import export_cli, report_cli, survey_cli
from bot.cli.cli_files import err as _err
from bot.cli.cli_files import read_text, refused
from bot.cli.parser_texts import translated
from bot.clock import Clock, SystemClock
from bot.files.roster import Roster, RosterError, format_problem, parse_roster
from bot.i18n import LANGUAGES, t
from bot.settings import (
    Settings,
    SettingsError,
    WebhookOptions,
    load_settings,
    peek_language,
    port_problem,
    setting_names,
)

EXIT_OK = 0
EXIT_FAILED = 1  # something broke that the operator did not cause (database error, ...)
EXIT_USAGE = 2  # the operator's input is wrong: fix it and run again


def _parser(lang: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="helpline", description=t(lang, "Branch 110/120: the help line bot.")
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"helpline {metadata.version('helpline')}",
        help=t(lang, "print the version and stop"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help=t(lang, "run the bot (long polling unless --webhook-url)"),
        epilog=t(
            lang,
            "Settings, from the environment or a .env file in the working directory: {names}",
            names=", ".join(setting_names()),
        ),
    )
    run.add_argument("--webhook-url", help=t(lang, "public https URL Telegram posts updates to"))
    run.add_argument(
        "--listen", default="127.0.0.1", help=t(lang, "address the webhook server binds")
    )
    run.add_argument(
        "--port", type=int, default=8443, help=t(lang, "port the webhook server binds")
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        help=t(lang, "serve /healthz and /metrics on this port (default: off)"),
    )
    run.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        help=t(lang, "address /healthz and /metrics bind (default: 127.0.0.1)"),
    )
    run.add_argument(
        "--secret-token",
        help=t(
            lang, "secret Telegram sends with each webhook call (default: a random one per run)"
        ),
    )

    roster = commands.add_parser("roster", help=t(lang, "the roster of people and branches"))
    roster_commands = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    load = roster_commands.add_parser(
        "import", help=t(lang, "load a roster YAML file (idempotent)")
    )
    load.add_argument("file", metavar="FILE")

    invite = commands.add_parser("invite", help=t(lang, "make a one-time link that binds a person"))
    invite.add_argument("person", metavar="PERSON_KEY")
    invite.add_argument("--days", type=int, default=7, help=t(lang, "days the link stays valid"))

    backup = commands.add_parser(
        "backup", help=t(lang, "copy the live database to FILE (safe while the bot runs)")
    )
    backup.add_argument("file", metavar="FILE")
    backup.add_argument("--force", action="store_true", help=t(lang, "overwrite FILE if it exists"))

    survey_cli.add_parser(commands, lang)
    report_cli.add_parser(commands, lang)
    export_cli.add_parser(commands, lang)
    _add_demo_parser(commands, lang)
    return parser


def _demo_words(lang: str) -> Callable[[str], str]:
    """The demo's own words live beside its page (sandbox/web/static/labels.json), not in
    the bot's message catalog; read without importing the sandbox (it pulls in aiohttp)."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("sandbox")
    table: dict[str, dict[str, str]] = {}
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
        path = folder / "web" / "static" / "labels.json"
        with contextlib.suppress(OSError, ValueError):
            table = json.loads(path.read_text(encoding="utf-8"))
    return lambda key: table.get(lang, {}).get(key) or table.get("en", {}).get(key) or key


def _add_demo_parser(commands: Any, lang: str) -> None:
    label = _demo_words(lang)
    demo = commands.add_parser("demo", help=label("cli_help"))
    demo.add_argument("--port", type=int, default=8080, help=label("cli_port"))
    demo.add_argument("--host", default="127.0.0.1", help=label("cli_host"))
    demo.add_argument("--db", metavar="FILE", help=label("cli_db"))
    demo.add_argument("--language", choices=LANGUAGES, help=label("cli_language"))


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Entry point of the ``helpline`` command; returns the exit status.

    ``clock`` is what the subcommands that stamp something (an invite's expiry, an import,
    a report's "made at") read: the system clock, unless a test names its own instant.
    """
    # Everything the command writes - the database and its WAL, backups, exports,
    # reports - holds workers' words: readable by the service's user only.
    os.umask(0o077)
    lang = peek_language()
    try:
        with translated(lang):
            args = _parser(lang).parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.clock = clock or SystemClock()
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "roster":
            return _roster_import(Path(args.file), args.clock)
        if args.command == "backup":
            return _backup(Path(args.file), force=args.force)
        if args.command == "demo":
            return _demo(args)
        if args.command == "survey":
            return survey_cli.run(args)
        if args.command == "report":
            return report_cli.run(args)
        if args.command == "export":
            return export_cli.run(args)
        return _invite(args.person, args.days, args.clock)
    except SettingsError as exc:
        for line in exc.problems:
            _err(line)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(require_token=True)
    webhook = None
    if args.webhook_url is not None:
        webhook = WebhookOptions(args.webhook_url, args.listen, args.port, args.secret_token)
        problems = webhook.problems(settings.language)
        if problems:
            raise SettingsError(problems)
    # Imported here: the application pulls in PTB and the handlers, which the other
    # subcommands do not need (and which may not be installed where a roster is edited).
    try:
        app = importlib.import_module("bot.app")
    except ModuleNotFoundError as exc:
        if exc.name != "bot.app":
            raise
        _err(t(settings.language, "this installation has no bot application (bot/app.py)"))
        return EXIT_FAILED
    status = None
    if args.metrics_port is not None:
        wrong = port_problem(settings.language, "--metrics-port", args.metrics_port)
        if wrong is not None:
            raise SettingsError([wrong])
        from schedules.status import StatusOptions

        status = StatusOptions(args.metrics_port, args.metrics_host)
    run_bot = cast(Callable[..., int], app.run_bot)
    return run_bot(settings, webhook=webhook, status=status)


def _roster_import(path: Path, clock: Clock) -> int:
    settings = load_settings(require_token=False)
    lang = settings.language
    text = read_text(path, lang)
    if text is None:
        return EXIT_USAGE
    try:
        roster = parse_roster(text, str(path), lang=lang)
    except RosterError as exc:
        refused(exc, path, lang)
        return EXIT_USAGE
    return asyncio.run(_import(settings, roster, path, clock.now()))


async def _import(settings: Settings, roster: Roster, path: Path, now: datetime) -> int:
    """The import use case in one unit of work; removed means removed: what people taken
    off had taken goes back to open and is alerted again (the running bot sends it)."""
    from bot.usecases.common import Ctx
    from bot.usecases.roster.roster_import import import_roster
    from storage.db import make_engine, migrate
    from storage.uow import NoWakeups, UnitOfWork

    lang = settings.language
    engine = make_engine(settings.db)
    try:
        await migrate(engine)
        async with UnitOfWork(engine, NoWakeups(), now, settings.tz) as uow:
            report = await import_roster(uow, Ctx(settings.language, settings.tz), roster)
    except RosterError as exc:  # problems only the database can reveal (none yet)
        for problem in exc.problems:
            _err(format_problem(str(path), problem))
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        _err(t(lang, "database error, nothing was changed: {reason}", reason=exc))
        return EXIT_FAILED
    finally:
        await engine.dispose()
    if not report.changed:
        print(
            t(
                lang,
                "{file}: already up to date ({people} people, {branches} branches)",
                file=path,
                people=report.people.unchanged,
                branches=report.branches.unchanged,
            )
        )
        return EXIT_OK
    p, b = report.people, report.branches
    print(
        t(
            lang,
            "{file}: imported. People: {p_new} new, {p_upd} updated, {p_off} deactivated, "
            "{p_same} unchanged. Branches: {b_new} new, {b_upd} updated, {b_off} deactivated, "
            "{b_same} unchanged. Departments, members, roles and policies: {links} rows written.",
            file=path,
            p_new=p.created,
            p_upd=p.updated,
            p_off=p.deactivated,
            p_same=p.unchanged,
            b_new=b.created,
            b_upd=b.updated,
            b_off=b.deactivated,
            b_same=b.unchanged,
            links=report.links,
        )
    )
    pl, sh = report.plans, report.shifts
    if pl.changed or pl.unchanged or sh.changed or sh.unchanged:
        print(
            t(
                lang,
                "Care plans and duties: {c_new} new, {c_upd} updated, {c_end} ended, "
                "{c_same} unchanged; {visits} upcoming visits cancelled to be planned again. "
                "Rota: {s_new} shifts added, {s_off} removed, {s_same} unchanged.",
                c_new=pl.created,
                c_upd=pl.updated,
                c_end=pl.ended,
                c_same=pl.unchanged,
                visits=pl.cancelled_visits,
                s_new=sh.added,
                s_off=sh.removed,
                s_same=sh.unchanged + sh.adopted,
            )
        )
    if report.unbound:
        print(
            t(
                lang,
                "Telegram accounts given to someone else by the file were unbound from: {keys}",
                keys=", ".join(report.unbound),
            )
        )
    if report.overridden:
        print(
            t(lang, "The file overrides these changes made in the bot:")
            + "\n"
            + "\n".join("  " + line for line in report.overridden)
        )
    return EXIT_OK


def _invite(key: str, days: int, clock: Clock) -> int:
    settings = load_settings(require_token=False)
    if not 1 <= days <= 30:  # as the roster's invite_valid: a link is not kept for months
        _err(t(settings.language, "--days must be between 1 and 30"))
        return EXIT_USAGE
    return asyncio.run(_make_invite(settings, key, timedelta(days=days), clock.now()))


async def _make_invite(settings: Settings, key: str, ttl: timedelta, now: datetime) -> int:
    from bot.usecases.roster.registration import admin_invite, already_bound_warning
    from storage.db import make_engine, migrate
    from storage.uow import NoWakeups, UnitOfWork

    lang = settings.language
    engine = make_engine(settings.db)
    try:
        await migrate(engine)
        async with UnitOfWork(engine, NoWakeups(), now, settings.tz) as uow:
            invite = await admin_invite(uow, key, ttl)
    except SQLAlchemyError as exc:
        _err(t(lang, "database error, nothing was changed: {reason}", reason=exc))
        return EXIT_FAILED
    finally:
        await engine.dispose()
    if invite is None:
        _err(t(lang, "no active person with the key '{key}' in the roster", key=key))
        return EXIT_USAGE
    until = invite.until.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z")
    if settings.username:
        print(
            t(
                lang,
                "Invite for '{key}', valid until {until}: https://t.me/{bot}?start={code}",
                key=key,
                until=until,
                bot=settings.username,
                code=invite.code,
            )
        )
    else:
        print(
            t(
                lang,
                "Invite code for '{key}', valid until {until}: {code} "
                "(send /start {code} to the bot)",
                key=key,
                until=until,
                code=invite.code,
            )
        )
    if invite.already_bound:  # on stderr: a script reading the link gets the link alone
        _err(already_bound_warning(lang))
    return EXIT_OK


def _backup(target: Path, *, force: bool) -> int:
    from bot.files.backup import main_backup

    settings = load_settings(require_token=False)
    status, line = main_backup(settings.language, settings.db, target, force=force)
    if status == EXIT_OK:
        print(line)
    else:
        _err(line)
    return status


def _demo(args: argparse.Namespace) -> int:
    import os

    from bot.cli.demo import run_demo

    return run_demo(
        host=args.host,
        port=args.port,
        db=args.db,
        language=args.language or peek_language(),
        timezone=os.environ.get("HELPLINE_TIMEZONE") or "Asia/Shanghai",
    )


if __name__ == "__main__":  # python -m bot.cli.main ... (as the demo's process test runs it)
    sys.exit(main())
