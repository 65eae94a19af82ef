"""What a deadline is for: the closed set of kinds the deadline engine fires
(``schedules/deadlines.py``), each handled by one effect
(``bot/usecases/escalation/deadline_effects.py``).
Stored as their text in ``deadlines.kind``."""

from __future__ import annotations

from enum import StrEnum


class DeadlineKind(StrEnum):
    ESCALATE = "escalate"  # a request's next level is due: nobody took it in time
    OWNER_SILENT = "owner-silent"  # the owner has not answered the worker since taking it
    RESOLVE_DUE = "resolve-due"  # a taken request is due to be resolved: the owner is asked
    CONFIRM_DUE = "confirm-due"  # the worker has not confirmed a resolved request
    VISIT_AHEAD = "visit-ahead"  # days before a care-plan visit: its visitors are reminded
    VISIT_DAY = "visit-day"  # the morning of a visit: reminded again, grace armed
    VISIT_REMIND = "visit-remind"  # the day a visit was postponed to: reminded
    VISIT_GRACE = "visit-grace"  # a visit's grace ended unlogged: the secretary is told
    VISIT_ESCALATE = "visit-escalate"  # still unlogged later: the committee is told
    DIGEST = "digest"  # a branch's daily digest for its secretary
    ASSESSMENT = "assessment"  # the quarterly assessment for the committee
    SURVEY_REMIND = "survey-remind"  # an open survey: who has not answered is reminded once
