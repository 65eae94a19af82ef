"""Simulated Telegram users: what a person does on their phone, as a Python API.

A ``SimUser`` owns one private chat with the bot. Its actions become updates for the bot;
the bot's messages in the chat are read back as ``SentMessage`` views that always show the
current state (after edits). Waiting is event based, never a sleep loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.api import JSON, utf16_len
from sandbox.content import photo_sizes
from sandbox.state import Chat, PendingCallback, StoredMessage

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

_KINDS = ("text", "photo", "voice", "document", "location", "sticker")


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (``answerCallbackQuery``)."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None


class SentMessage:
    """A live view of a message in the chat (normally one the bot sent)."""

    def __init__(self, stored: StoredMessage) -> None:
        self._stored = stored

    @property
    def raw(self) -> JSON:
        return self._stored.data

    @property
    def message_id(self) -> int:
        return self._stored.message_id

    @property
    def text(self) -> str:
        """The text, or the caption of a media message, or "" (so ``"x" in m.text`` works)."""
        return str(self.raw.get("text", self.raw.get("caption", "")))

    @property
    def caption(self) -> str | None:
        return self.raw.get("caption")

    @property
    def entities(self) -> list[JSON]:
        found: list[JSON] = self.raw.get("entities") or self.raw.get("caption_entities") or []
        return list(found)

    @property
    def kind(self) -> str:
        return next((k for k in _KINDS if k in self.raw), "other")

    @property
    def photo(self) -> list[JSON] | None:
        return self.raw.get("photo")

    @property
    def voice(self) -> JSON | None:
        return self.raw.get("voice")

    @property
    def document(self) -> JSON | None:
        return self.raw.get("document")

    @property
    def location(self) -> JSON | None:
        return self.raw.get("location")

    @property
    def reply_markup(self) -> JSON | None:
        """The markup as the bot sent it (inline, reply keyboard, remove or force reply)."""
        return self._stored.markup

    @property
    def buttons(self) -> list[str]:
        """All button texts, flattened row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, str) else str(b.get("text", "")) for row in rows for b in row]

    def button(self, label: str) -> JSON:
        """The inline button whose text equals ``label`` (else the first that contains it)."""
        row_buttons = [
            b for row in (self.reply_markup or {}).get("inline_keyboard", []) for b in row
        ]
        for match in (lambda t: t == label, lambda t: label in t):
            for button in row_buttons:
                if match(str(button.get("text", ""))):
                    return dict(button)
        raise LookupError(
            f"no inline button {label!r} on message {self.message_id} "
            f"({self.text[:60]!r}); buttons: {self.buttons}"
        )

    def callback_data(self, label: str) -> str:
        data = self.button(label).get("callback_data")
        if data is None:
            raise LookupError(f"button {label!r} on message {self.message_id} has no callback_data")
        return str(data)

    @property
    def edited(self) -> int:
        """How many times the bot edited this message."""
        return self._stored.edits

    @property
    def deleted(self) -> bool:
        return self._stored.deleted

    @property
    def from_bot(self) -> bool:
        return self._stored.from_bot

    @property
    def reply_to(self) -> int | None:
        """The message_id this message replies to, if any."""
        replied = self.raw.get("reply_to_message")
        return None if replied is None else int(replied["message_id"])

    def describe(self) -> str:
        flags = f"{' edited' * bool(self.edited)}{' deleted' * self.deleted}"
        who = "bot" if self.from_bot else "user"
        buttons = f" buttons={self.buttons}" if self.buttons else ""
        return f"#{self.message_id} {who} {self.kind}{flags}: {self.text!r}{buttons}"

    def __repr__(self) -> str:
        return f"<SentMessage {self.describe()}>"


MessageRef = SentMessage | int | JSON
Predicate = Callable[[SentMessage], bool] | str


class SimUser:
    """One person in a private chat with the bot."""

    def __init__(self, server: SandboxServer, chat: Chat) -> None:
        self._server = server
        self.chat = chat
        self._cursor = server.state.change_seq

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def user_json(self) -> JSON:
        return self.chat.user_json()

    # reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """The bot's messages in this chat, in order, in their current state."""
        return [SentMessage(s) for s in self.chat.ordered() if s.from_bot and not s.deleted]

    @property
    def history(self) -> list[SentMessage]:
        """Every message in the chat (user's and bot's, deleted ones too)."""
        return [SentMessage(s) for s in self.chat.ordered()]

    @property
    def last(self) -> SentMessage:
        found = self.messages
        if not found:
            raise LookupError(f"the bot has sent nothing to {self.id}")
        return found[-1]

    @property
    def keyboard(self) -> list[str] | None:
        """Texts of the reply keyboard currently shown, or None."""
        markup = self.chat.keyboard
        if markup is None:
            return None
        return [
            b if isinstance(b, str) else str(b.get("text"))
            for row in markup["keyboard"]
            for b in row
        ]

    def mark(self) -> int:
        """Make ``wait_message`` consider only changes from now on."""
        self._cursor = self._server.state.change_seq
        return self._cursor

    async def wait_message(
        self,
        predicate: Predicate = "",
        timeout: float = 5.0,  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        since: int | None = None,
    ) -> SentMessage:
        """A bot message created or edited since the user's last action matching ``predicate``.

        ``predicate`` is a callable or a substring of the text/caption. ``since`` overrides
        the cursor (a value from :meth:`mark`).
        """
        test: Callable[[SentMessage], bool] = (
            (lambda m: predicate in m.text) if isinstance(predicate, str) else predicate
        )
        cursor = self._cursor if since is None else since

        def probe() -> SentMessage | None:
            for stored in self.chat.ordered():
                if stored.from_bot and not stored.deleted and stored.version > cursor:
                    view = SentMessage(stored)
                    if test(view):
                        return view
            return None

        try:
            return await self._server.state.changed.wait_for(probe, timeout)
        except TimeoutError:
            raise TimeoutError(
                self._dump(f"no bot message matching {predicate!r} within {timeout}s")
            ) from None

    def _dump(self, headline: str) -> str:
        lines = [f"{headline} in chat {self.id} ({self.chat.first_name}); chat so far:"]
        lines += [f"  {m.describe()}" for m in self.history[-15:]]
        calls = [c for c in self._server.calls if c.chat_id == self.id][-8:]
        lines += ["recent calls for this chat:"]
        lines += [
            f"  #{c.seq} {c.method} -> {c.status} {(c.response or {}).get('description', '')}"
            for c in calls
        ]
        return "\n".join(lines)

    # acting ----------------------------------------------------------------------------

    def _message(self, content: JSON, reply_to: MessageRef | None = None) -> JSON:
        state = self._server.state
        data: JSON = {
            "message_id": self.chat.take_message_id(),
            "from": self.chat.user_json(),
            "chat": self.chat.chat_json(),
            "date": state.now(),
        }
        if reply_to is not None:
            target = state.message(self.chat, self._message_id(reply_to))
            if target is None:
                raise LookupError(f"no message {self._message_id(reply_to)} in chat {self.id}")
            data["reply_to_message"] = {
                k: v for k, v in target.data.items() if k != "reply_to_message"
            }
        data.update(content)
        state.add_message(self.chat, data, from_bot=False, markup=None)
        self._cursor = state.change_seq
        state.push_update({"message": data})
        return data

    @staticmethod
    def _message_id(ref: MessageRef) -> int:
        if isinstance(ref, SentMessage):
            return ref.message_id
        if isinstance(ref, dict):
            return int(ref["message_id"])
        return int(ref)

    def send(self, text: str, reply_to: MessageRef | None = None) -> JSON:
        """Send a text message; ``/command`` text gets its ``bot_command`` entity."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._message(content, reply_to)

    def _file(
        self, kind: str, data: bytes, name: str | None = None, mime: str | None = None
    ) -> JSON:
        stored = self._server.state.files.add(kind, data, name, mime)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }

    def send_photo(
        self,
        caption: str | None = None,
        size: tuple[int, int] = (1280, 960),
        data: bytes = b"\xff\xd8\xff\xe0sandbox-photo",
    ) -> JSON:
        """Send a photo of ``size`` (width, height) pixels as two PhotoSizes, like a phone."""
        stored = self._server.state.files.add("photo", data, None, "image/jpeg")
        content: JSON = {"photo": photo_sizes(self._server.state, stored, size[0], size[1])}
        if caption:
            content["caption"] = caption
        return self._message(content)

    def send_voice(self, duration: int = 3, data: bytes = b"OggS-sandbox-voice") -> JSON:
        voice = self._file("voice", data, None, "audio/ogg")
        return self._message({"voice": {**voice, "duration": duration, "mime_type": "audio/ogg"}})

    def send_location(self, latitude: float, longitude: float) -> JSON:
        return self._message({"location": {"latitude": latitude, "longitude": longitude}})

    def send_sticker(self, emoji: str = "👍") -> JSON:
        sticker = self._file("sticker", b"RIFF-sandbox-sticker", None, "image/webp")
        extra = {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._message({"sticker": {**sticker, **extra, "emoji": emoji}})

    def send_document(
        self,
        data: bytes = b"%PDF-1.4 sandbox",
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> JSON:
        document = self._file("document", data, file_name, mime_type)
        content: JSON = {"document": {**document, "file_name": file_name, "mime_type": mime_type}}
        if caption:
            content["caption"] = caption
        return self._message(content)

    def edit(self, message: MessageRef, text: str) -> JSON:
        """Edit one of the user's own messages: queues an ``edited_message`` update."""
        state = self._server.state
        stored = state.message(self.chat, self._message_id(message))
        if stored is None or stored.from_bot:
            raise LookupError(f"user {self.id} has no message {self._message_id(message)} to edit")
        stored.data["text"] = text
        stored.data["edit_date"] = state.now()
        stored.edits += 1
        state.touch(stored)
        self._cursor = state.change_seq
        state.push_update({"edited_message": dict(stored.data)})
        return stored.data

    async def press(self, message: MessageRef, button: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        """Press the inline button labelled ``button``; return the bot's answer."""
        stored = self._server.state.message(self.chat, self._message_id(message))
        if stored is None:
            raise LookupError(f"no message {self._message_id(message)} in chat {self.id}")
        return await self.press_data(
            stored.message_id, SentMessage(stored).callback_data(button), timeout
        )

    async def press_data(
        self,
        message: MessageRef,
        data: str,
        timeout: float = 5.0,  # noqa: ASYNC109 (the waiting API takes a timeout by design)
    ) -> CallbackAnswer:
        """Send a callback query with arbitrary ``data`` (not checked against the buttons)."""
        state = self._server.state
        stored = self.chat.messages.get(self._message_id(message))
        query_id = state.new_callback_id()
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        state.callbacks[query_id] = PendingCallback(future, time.monotonic(), self.id)
        query: JSON = {
            "id": query_id,
            "from": self.chat.user_json(),
            "chat_instance": f"ci{self.id}",
            "data": data,
        }
        if stored is not None:
            query["message"] = dict(stored.data)
        self._cursor = state.change_seq
        state.push_update({"callback_query": query})
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise TimeoutError(
                self._dump(f"the bot did not answer callback query {data!r} within {timeout}s")
            ) from None
        return CallbackAnswer(query_id=query_id, **answer)

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.chat.first_name!r}>"
