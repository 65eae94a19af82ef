"""Each chat's pace: Telegram's flood limits as the bot keeps them.

Telegram's Bot FAQ ("My bot is hitting limits, how do I avoid this?"): about one message
a second in one chat, short bursts allowed; 20 a minute in one group; about 30 a second
in all (kept by PTB's AIORateLimiter, ``bot/app.py``); an edit counts as a message.
"""

from __future__ import annotations

from datetime import timedelta

from aiolimiter import AsyncLimiter

# How soon a round looks again at a chat that must wait for its pace: its next slot is
# missed by at most this much. The look is a read, no write lock; it happens only while
# some chat is being paced (a flood), and in a flood it is the slot that carries a bundle.
PACED_LOOK = timedelta(seconds=0.1)


class ChatLimiters:
    """A leaky bucket per chat: short bursts, then about one message a second; a group
    (negative id) 20 a minute. Telegram's numbers (Bot FAQ), sends and edits alike."""

    def __init__(self, burst: int = 3, period: float = 3.3) -> None:
        # 3 at once, then one each 1.1 s: a tenth under Telegram's one a second, so a
        # send delayed on its way (a busy loop, the network) does not make the next one
        # arrive too soon.
        self._burst, self._period = burst, period
        self._limiters: dict[int, AsyncLimiter] = {}

    def get(self, chat_id: int) -> AsyncLimiter:
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            rate = (20, 60.0) if chat_id < 0 else (self._burst, self._period)
            limiter = self._limiters[chat_id] = AsyncLimiter(*rate)
        return limiter
