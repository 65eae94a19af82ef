"""The deployment's timing policy, from the roster (DESIGN.md §4, §6).

Everything here has a sane default, so a roster that says nothing still escalates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.desk import DigestConfigError, digest_at
from bot.domain.durations import parse_duration
from bot.domain.escalation import DEFAULT_CHAINS, Chain
from bot.domain.kinds import DEFAULT_URGENCY, Kind, Urgency
from bot.domain.worktime import WorkCalendar, parse_days, parse_hours

DEFAULT_TAKE_TIMEOUT = {
    Urgency.CRITICAL: timedelta(minutes=10),
    Urgency.HIGH: timedelta(minutes=30),
    Urgency.NORMAL: timedelta(days=1),  # one working day
}
DEFAULT_RESOLVE_WITHIN = {
    Kind.EMERGENCY: timedelta(hours=1),
    Kind.TROUBLE: timedelta(hours=4),
    Kind.SERVICE: timedelta(days=3),  # three working days
}
DEFAULT_CONFIRM = (timedelta(hours=24), timedelta(hours=72))
# How long an invite link stays valid: a link forwarded around for months is a key left
# under the mat, so the roster may shorten it and lengthen it only up to a month.
DEFAULT_INVITE_VALID = timedelta(days=7)
# New requests one sender may raise per period before further ones are only stored and
# shown on the board (see bot/domain/repeats.py): a flood rings nobody.
DEFAULT_BUDGET = (5, timedelta(hours=1))
INVITE_VALID_RANGE = (timedelta(hours=1), timedelta(days=30))


class PolicyError(ValueError):
    """A bad timing value; ``key`` names the roster entry it came from."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Policy:
    chains: dict[Urgency, Chain] = field(default_factory=lambda: dict(DEFAULT_CHAINS))
    take_timeout: dict[Urgency, timedelta] = field(
        default_factory=lambda: dict(DEFAULT_TAKE_TIMEOUT)
    )
    resolve_within: dict[Kind, timedelta] = field(
        default_factory=lambda: dict(DEFAULT_RESOLVE_WITHIN)
    )
    confirm: tuple[timedelta, timedelta] = DEFAULT_CONFIRM
    calendar: WorkCalendar | None = None
    digest_at: time | None = None  # the morning digest's local time; None: no digest
    invite_valid: timedelta = DEFAULT_INVITE_VALID
    request_budget: tuple[int, timedelta] = DEFAULT_BUDGET  # (how many, per how long)

    def chain_for(self, kind: Kind) -> Chain:
        """The timing frozen onto a new request of ``kind``."""
        urgency = DEFAULT_URGENCY[kind]
        return replace(
            self.chains[urgency],
            take_timeout=self.take_timeout[urgency],
            resolve_within=self.resolve_within[kind],
            confirm_remind=self.confirm[0],
            confirm_escalate=self.confirm[1],
            working_time=urgency is Urgency.NORMAL and self.calendar is not None,
        )


def _durations(key: str, raw: Any, names: dict[str, Any]) -> dict[Any, timedelta]:
    if not isinstance(raw, dict):
        raise PolicyError(key, "must be a mapping such as {critical: 10m}")
    out = {}
    for name, value in raw.items():
        if str(name) not in names:
            raise PolicyError(key, f"unknown entry {name!r}; use {', '.join(names)}")
        try:
            out[names[str(name)]] = parse_duration(str(value))
        except ValueError as exc:
            raise PolicyError(key, str(exc)) from exc
    return out


def policy_from(escalation: Any, extras: Any, tz: ZoneInfo) -> Policy:
    """Build the policy from the stored roster sections; raise PolicyError on bad values."""
    extras = extras if isinstance(extras, dict) else {}
    chains = dict(DEFAULT_CHAINS)
    if isinstance(escalation, dict):
        for name, data in escalation.items():
            chains[Urgency(name)] = Chain.from_json(data)
    take = dict(DEFAULT_TAKE_TIMEOUT)
    if "take_timeout" in extras:
        take.update(
            _durations("take_timeout", extras["take_timeout"], {u.value: u for u in Urgency})
        )
    resolve = dict(DEFAULT_RESOLVE_WITHIN)
    if "resolve_deadline" in extras:
        resolve.update(
            _durations("resolve_deadline", extras["resolve_deadline"], {k.value: k for k in Kind})
        )
    confirm = DEFAULT_CONFIRM
    if "confirm_timeout" in extras:
        got = _durations(
            "confirm_timeout",
            extras["confirm_timeout"],
            {"remind": "remind", "secretary": "secretary"},
        )
        confirm = (got.get("remind", confirm[0]), got.get("secretary", confirm[1]))
        if confirm[1] <= confirm[0]:
            raise PolicyError("confirm_timeout", "secretary must come after remind")
    try:
        digest = digest_at(extras)
    except DigestConfigError as exc:
        raise PolicyError("digest", str(exc)) from exc
    return Policy(
        chains,
        take,
        resolve,
        confirm,
        _calendar(extras, tz),
        digest,
        _invite_valid(extras),
        _budget(extras),
    )


def _budget(extras: dict[str, Any]) -> tuple[int, timedelta]:
    raw = extras.get("request_budget")
    if raw is None:
        return DEFAULT_BUDGET
    if not isinstance(raw, dict) or set(raw) - {"count", "per"}:
        raise PolicyError("request_budget", "must be a mapping such as {count: 5, per: 1h}")
    count = raw.get("count", DEFAULT_BUDGET[0])
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
        raise PolicyError("request_budget", "count must be a whole number from 1 to 1000")
    try:
        per = parse_duration(str(raw.get("per", "1h")))
    except ValueError as exc:
        raise PolicyError("request_budget", str(exc)) from exc
    return count, per


def _invite_valid(extras: dict[str, Any]) -> timedelta:
    if "invite_valid" not in extras:
        return DEFAULT_INVITE_VALID
    try:
        valid = parse_duration(str(extras["invite_valid"]))
    except ValueError as exc:
        raise PolicyError("invite_valid", str(exc)) from exc
    shortest, longest = INVITE_VALID_RANGE
    if not shortest <= valid <= longest:
        raise PolicyError("invite_valid", "must be between 1h and 30d")
    return valid


def _calendar(extras: dict[str, Any], tz: ZoneInfo) -> WorkCalendar | None:
    keys = ("working_hours", "working_days", "holidays")
    if not any(k in extras for k in keys):
        return None
    kwargs: dict[str, Any] = {"tz": tz}
    try:
        if "working_hours" in extras:
            kwargs["start"], kwargs["end"] = parse_hours(extras["working_hours"])
        if "working_days" in extras:
            days = extras["working_days"]
            if not isinstance(days, list):
                raise PolicyError("working_days", "must be a list such as [mon, tue, wed]")
            kwargs["days"] = parse_days(days)
        if "holidays" in extras:
            kwargs["holidays"] = frozenset(_dates(extras["holidays"]))
        return WorkCalendar(**kwargs)
    except PolicyError:
        raise
    except ValueError as exc:
        bad = next((k for k in keys if k in extras), "working_hours")
        raise PolicyError(bad, str(exc)) from exc


def _dates(raw: Any) -> list[date]:
    if not isinstance(raw, list):
        raise PolicyError("holidays", "must be a list of dates such as [2026-10-01]")
    out = []
    for item in raw:
        try:
            out.append(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError as exc:
            raise PolicyError("holidays", f"not a date: {item!r} (write 2026-10-01)") from exc
    return out
