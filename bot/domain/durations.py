"""Durations as the roster writes them: ``30s``, ``2m``, ``4h``, ``1d``."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"\s*([0-9]{1,9})\s*([smhd])\s*", re.ASCII)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SECONDS = 366 * 86400


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``/``2m``/``4h``/``1d``; raise ValueError for anything else or zero."""
    match = _DURATION.fullmatch(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (write 30s, 2m, 4h or 1d)")
    seconds = int(match.group(1)) * _UNIT[match.group(2)]
    if seconds > MAX_SECONDS:
        raise ValueError(f"a duration must be at most 366 days: {text!r}")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)
