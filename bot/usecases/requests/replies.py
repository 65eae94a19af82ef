"""A direct answer to whoever wrote, queued in the outbox like every other message.

It keeps the chat's pace and order, waits behind alerts, and is retried after a 429 or a
network error. Queuing it does not finish the update it answers (``marks_update=False``
in ``Services.uow``): an answer on the way must not mark done an update whose effect may
yet fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.texts.render import text_message
from storage.uow import Send, UnitOfWork


async def queue_answer(
    uow: UnitOfWork,
    chat_id: int,
    pieces: Sequence[str],
    *,
    markup: dict[str, Any] | None = None,
    photos: Sequence[tuple[bytes, str]] = (),
) -> None:
    """The text in ``pieces`` (the keyboard under the last), then each picture (stored
    once, sent by reference)."""
    for i, piece in enumerate(pieces):
        payload = text_message(piece)
        if markup is not None and i == len(pieces) - 1:
            payload["reply_markup"] = markup
        await uow.send(Send(chat_id, "sendMessage", payload, Priority.REPLY, Purpose.REPLY))
    for png, caption in photos:
        picture = {"media": await uow.media(png), "caption": caption}
        await uow.send(Send(chat_id, "sendPhoto", picture, Priority.REPLY, Purpose.REPLY))
