"""What every handler needs: the services, the actor behind an update, a reply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.callbacks import Button
from bot.domain.authz import Actor
from bot.i18n import t
from bot.services import Services, serving_now
from bot.texts.render import keyboard, text_message
from bot.texts.textfit import TEXT_LIMIT, split
from bot.usecases.common import Refused, Work
from bot.usecases.requests.relay import Media
from bot.usecases.requests.replies import queue_answer

Context = ContextTypes.DEFAULT_TYPE
T = TypeVar("T")


def services(context: Context) -> Services:
    found = context.application.bot_data["services"]
    assert isinstance(found, Services)
    return found


def begin_step(context: Context, key: str, **fields: Any) -> None:
    """Start a follow-up that waits for the user's next answer (a form, a visit's note)."""
    assert context.user_data is not None
    context.user_data[key] = {**fields, "at": services(context).clock.now().isoformat()}


def current_step(
    context: Context, key: str, ttl: timedelta, *, touch: bool = False
) -> dict[str, Any] | None:
    """The follow-up waiting under ``key``; one left alone longer than ``ttl`` is dropped,
    so a later message is never taken for an answer to a question long forgotten.
    ``touch``: each look keeps it alive (a form being filled in)."""
    found = (context.user_data or {}).get(key)
    if not isinstance(found, dict):
        return None
    now = services(context).clock.now()
    if now - datetime.fromisoformat(found["at"]) > ttl:
        assert context.user_data is not None
        context.user_data.pop(key, None)
        return None
    if touch:
        found["at"] = now.isoformat()
    return found


def lang(context: Context) -> str:
    return services(context).ctx.lang


async def actor_of(context: Context, update: Update) -> Actor:
    user = update.effective_user
    assert user is not None
    return await services(context).actor(user.id, user.full_name)


def markup(rows: list[list[tuple[str, Button]]], context: Context) -> Any:
    """An inline keyboard for a direct reply, from render's (label, Button) rows; None for
    no rows (Telegram refuses an empty keyboard)."""
    from telegram import InlineKeyboardMarkup

    if not rows:
        return None
    return InlineKeyboardMarkup.de_json(keyboard(rows), context.bot)


async def reply(
    update: Update,
    text: str,
    *,
    stored: bool = True,
    photos: Sequence[tuple[bytes, str]] = (),
    **kwargs: Any,
) -> None:
    """Answer in the chat; long answers are split.

    Through the outbox, like every other message: it keeps the chat's pace and order,
    waits behind alerts, and is retried after a 429 or a network error. ``stored=False``
    sends at once instead, for what must not be written down (a survey's questions, which
    would tie a chat to the survey's progress). ``photos`` (PNG, caption) follow the text,
    in order; each picture is stored once."""
    chat = update.effective_chat
    if chat is None:
        return
    pieces = split(text, TEXT_LIMIT) if text else [text]
    svc = serving_now()
    if svc is None or not stored:
        for i, piece in enumerate(pieces):
            extra = kwargs if i == len(pieces) - 1 else {}
            await chat.send_message(text_message(piece)["text"], **extra)
        for png, caption in photos:
            await chat.send_photo(photo=png, caption=caption)
        return
    markup = kwargs.get("reply_markup")
    async with svc.uow(marks_update=False) as uow:
        await queue_answer(
            uow,
            chat.id,
            pieces,
            markup=markup.to_dict() if markup is not None else None,
            photos=photos,
        )


def command_text(message: Message) -> str:
    """What follows the command, exactly as written (spaces and line breaks kept)."""
    raw = message.text or message.caption or ""
    parts = raw.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def parse_number(context: Context) -> int | None:
    args = context.args or []
    if not args:
        return None
    token = args[0].lstrip("#")
    return int(token) if token.isdigit() and len(token) <= 12 else None


def media_of(message: Message) -> Media | None:
    """What non-text content a message carries, if any."""
    mid = message.message_id
    if message.photo:
        return Media("photo", mid, file_id=message.photo[-1].file_id)
    if message.location:
        loc = message.location
        return Media("location", mid, latitude=loc.latitude, longitude=loc.longitude)
    for kind in ("voice", "audio", "video", "video_note", "document", "sticker", "animation"):
        item = getattr(message, kind, None)
        if item is not None:
            return Media(kind, mid, file_id=item.file_id)
    if message.contact:
        return Media("contact", mid)
    return None


def usage(lang_: str, command: str) -> str:
    return t(lang_, "Usage: {command}", command=command)


async def number_or_usage(update: Update, context: Context, command: str) -> int | None:
    """The request number after the command; None once the usage line has been answered."""
    number = parse_number(context)
    if number is None:
        await reply(update, usage(lang(context), command))
    return number


class Declined:
    """The use case refused; the refusal has been answered already."""


DECLINED = Declined()


async def as_sender(update: Update, context: Context, work: Work[T]) -> T:
    """Run a use case as the sender in one transaction; a refusal is raised to the caller
    (a button's handler answers it in the callback)."""
    svc = services(context)
    actor = await actor_of(context, update)
    async with svc.uow() as uow:
        return await work(uow, svc.ctx, actor)


async def attempt(update: Update, context: Context, work: Work[T]) -> T | Declined:
    """Run a use case as the sender in one transaction; answer a refusal in their words."""
    try:
        return await as_sender(update, context, work)
    except Refused as refused:
        await reply(update, refused.text(lang(context)))
        return DECLINED
