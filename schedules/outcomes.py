"""What became of the messages sent, noted as each send ends and written in one go.

The dispatcher's next round writes every outcome noted since the last one in its own
transaction: one write per round instead of one per message. Until an outcome is
written, it is also what the dispatcher knows of its row (a chat's put-off message, the
message an edit applies to). A bundle's outcome is its alerts' outcome too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.purposes import Purpose
from storage import bundles, outbox_queue
from storage.outbox_queue import Row


class Outcomes:
    def __init__(self) -> None:
        self._values: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, int] = {}  # row -> its chat, for rows noted
        self._bundles: set[int] = set()  # bundles on the way: their members follow them

    def __bool__(self) -> bool:
        return bool(self._values)

    def note(self, row: Row, **values: Any) -> None:
        """Note a row's outcome; the next round writes all outcomes in its transaction."""
        if row.purpose == Purpose.BUNDLE:  # its alerts share its outcome when it is written
            self._bundles.add(row.id)
        self._values.setdefault(row.id, {}).update(values)
        self._chats[row.id] = row.chat_id

    def get(self, row_id: int) -> dict[str, Any]:
        """What was noted of a row and not yet written (empty if nothing)."""
        return self._values.get(row_id, {})

    def deferred_chats(self) -> set[int]:
        """Chats with a message put off by an outcome not yet written."""
        return {
            self._chats[row_id]
            for row_id, values in self._values.items()
            if values.get("status") == "pending" and row_id in self._chats
        }

    async def write(self, conn: AsyncConnection) -> dict[int, dict[str, Any]]:
        """Write the outcomes noted so far in the caller's transaction; return what was
        written, to be forgotten once it commits (if it does not, they are kept)."""
        written = {row_id: dict(values) for row_id, values in self._values.items()}
        for row_id, values in written.items():
            await outbox_queue.record(conn, row_id, **values)
            if row_id in self._bundles and values.get("status") in ("sent", "failed"):
                outcome = {k: v for k, v in values.items() if k in ("status", "sent_at", "error")}
                await bundles.settle_members(conn, row_id, **outcome)
        return written

    def forget(self, written: dict[int, dict[str, Any]]) -> None:
        for row_id, values in written.items():
            if self._values.get(row_id) == values:  # unchanged since it was written
                del self._values[row_id]
                self._chats.pop(row_id, None)
                if values.get("status") in ("sent", "failed"):
                    self._bundles.discard(row_id)
