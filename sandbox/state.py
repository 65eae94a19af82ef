"""In-memory world of the sandbox: chats, messages, pending updates, files.

Everything the fake Telegram remembers lives here, independent of HTTP, so the Python API
(``SimUser``), the Bot API methods and the JSON control API all read and change one model.
Waiting is event based: a :class:`Signal` is notified synchronously on every change, which
lets synchronous calls such as ``alice.send(...)`` wake long polls and waiters without
needing to hold an ``asyncio.Condition`` lock.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sandbox.api import JSON

T = TypeVar("T")
ChatStatus = Literal["ok", "blocked", "deactivated", "not_found"]


class Signal:
    """A broadcast "something changed" notification usable from synchronous code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float | None) -> T:  # noqa: ASYNC109 (the waiting API takes a timeout by design)
        """Return the first non-None ``probe()``, re-checked after every notification.

        Raises ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        async with asyncio.timeout(timeout):
            while True:
                found = probe()
                if found is not None:
                    return found
                await self._event.wait()


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> JSON:
        """The Bot API ``File`` object (``getFile`` result)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


_EXT = {"photo": "jpg", "voice": "oga", "sticker": "webp", "document": "bin"}


class FileStore:
    """Files by ``file_id`` and by ``file_path`` so that re-sending and downloading work."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        n = next(self._counter)
        ext = (file_name or "").rpartition(".")[2].lower() if file_name and "." in file_name else ""
        if (kind in _EXT and kind != "document") or not (ext.isalnum() and len(ext) <= 5):
            ext = _EXT.get(kind, "bin")
        folder = {"photo": "photos", "voice": "voice", "sticker": "stickers"}.get(kind, "documents")
        stored = StoredFile(
            file_id=f"SBX{kind[:3].upper()}{n:06d}x{len(data):x}",
            file_unique_id=f"SBXU{n:06d}",
            data=data,
            file_path=f"{folder}/file_{n}.{ext}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


@dataclass
class StoredMessage:
    """One message in a chat; ``data`` is the current Telegram ``Message`` JSON."""

    data: JSON
    from_bot: bool
    markup: JSON | None
    version: int
    edits: int = 0
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])


@dataclass
class Chat:
    """A private chat with one simulated user (the only kind the help line uses)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = True
    status: ChatStatus = "ok"
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    keyboard: JSON | None = None  # the reply keyboard currently shown, if any
    last_action: str | None = None

    def user_json(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat_json(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def take_message_id(self) -> int:
        n = self.next_message_id
        self.next_message_id += 1
        return n

    def ordered(self) -> list[StoredMessage]:
        return [self.messages[k] for k in sorted(self.messages)]


@dataclass
class PendingCallback:
    future: asyncio.Future[JSON]
    created: float
    chat_id: int


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


class State:
    """The whole simulated Telegram, as seen by one bot."""

    def __init__(self, bot: JSON, clock: Callable[[], float]) -> None:
        self.bot = bot
        self.clock = clock
        # The signals outlive reset(): long-lived waiters (the webhook worker) hold them.
        self.changed = Signal()  # messages created/edited/deleted
        self.updates_signal = Signal()  # updates queued / pollers superseded
        self.webhook_signal = Signal()
        # Telegram's update ids only grow, and a poller stays the poller across a reset:
        # a bot polling through a reset (the demo's "start over") must neither get a 409
        # nor ask for an offset past the new updates.
        self.last_update_id = 0
        self.poll_generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget chats, updates, files and settings (the bot identity stays)."""
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.updates: list[JSON] = []
        self.change_seq = 0
        self.allowed_updates: list[str] | None = None
        self.callbacks: dict[str, PendingCallback] = {}
        self._callback_ids = itertools.count(1)
        self.commands: dict[str, list[JSON]] = {}
        self.menu_buttons: dict[str, JSON] = {}
        self.webhook: Webhook | None = None
        self.webhook_queue: list[JSON] = []
        self.closing = False
        for signal in (self.changed, self.updates_signal, self.webhook_signal):
            signal.notify()  # waiters re-check against the emptied world

    def now(self) -> int:
        return int(self.clock())

    # chats -----------------------------------------------------------------------------

    def add_chat(self, chat_id: int, first_name: str, **fields: Any) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(id=chat_id, first_name=first_name, **fields)
        else:
            chat.first_name = first_name
            for key, value in fields.items():
                setattr(chat, key, value)
        return chat

    def find_chat(self, ref: int | str, create: bool = False) -> Chat | None:
        """Resolve a ``chat_id`` (int or ``@username``); unknown positive ids are created."""
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            return next(
                (c for c in self.chats.values() if (c.username or "").lower() == name), None
            )
        chat = self.chats.get(ref)
        if chat is None and create and ref > 0:
            chat = self.add_chat(ref, f"User{ref}")
        return chat

    # messages --------------------------------------------------------------------------

    def bump(self) -> int:
        self.change_seq += 1
        return self.change_seq

    def add_message(
        self, chat: Chat, data: JSON, from_bot: bool, markup: JSON | None
    ) -> StoredMessage:
        stored = StoredMessage(data=data, from_bot=from_bot, markup=markup, version=self.bump())
        chat.messages[stored.message_id] = stored
        self.changed.notify()
        return stored

    def touch(self, stored: StoredMessage) -> None:
        """Record that ``stored`` changed (edit or deletion) and wake waiters."""
        stored.version = self.bump()
        self.changed.notify()

    def message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        stored = chat.messages.get(message_id)
        return None if stored is None or stored.deleted else stored

    # updates ---------------------------------------------------------------------------

    def push_update(self, update: JSON) -> JSON:
        """Queue ``update`` for getUpdates (or the webhook); assign an update_id if absent."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            self.last_update_id += 1
            update["update_id"] = self.last_update_id
        elif isinstance(update["update_id"], int):
            self.last_update_id = max(self.last_update_id, update["update_id"])
        if self.webhook is not None:
            self.webhook_queue.append(update)
            self.webhook_signal.notify()
        else:
            self.updates.append(update)
            self.updates_signal.notify()
        return update

    def new_callback_id(self) -> str:
        return f"{self.bot['id']}{next(self._callback_ids):08d}"
