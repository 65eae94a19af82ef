"""Why a message is in the outbox: the closed set of purposes a row is written with.

The dispatcher and the use cases select rows by purpose (the alerts of a request, the
members of a bundle, an owner's message to reply to), so a purpose is stored as its text
and matched in SQL; a new kind of message needs a member here first.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    ALERT = "alert"  # a request in front of someone who may take it (a Take button)
    ALERT_RETIRED = "alert-retired"  # an alert whose request needs nobody now (edited so)
    BUNDLE = "bundle"  # a chat's waiting alerts sent as one message (storage/bundles.py)
    EDIT = "edit"  # an edit of an earlier message: a retired alert, a bundle redrawn
    ACK = "ack"  # the worker told their request was received, or added to
    ASK = "ask"  # the worker asked what happened, after a /120 with no words
    TAKEN = "taken"  # the worker told who is handling their request
    OWNER = "owner"  # to the request's owner: theirs now, reminders, handed back
    RELAY = "relay"  # someone's words passed to the other side of a request
    CONFIRM = "confirm"  # the worker asked whether their trouble is over
    RATE = "rate"  # the worker asked to rate the help, once closed
    REASON = "reason"  # the worker asked what is still wrong ("not resolved")
    NOTICE = "notice"  # a plain notice about a request or a person
    OVERSIGHT = "oversight"  # a secretary asked to step in (an unconfirmed request)
    NUDGE = "nudge"  # an unreachable member asked to open the bot again
    DIGEST = "digest"  # a secretary's daily digest
    REPORT = "report"  # the quarterly assessment for the committee
    SURVEY = "survey"  # a survey's invitation or reminder
    SURVEY_RESULTS = "survey-results"  # a closed survey's results and charts
    VISIT_REMINDER = "visit-reminder"  # a care-plan visit is near (with its buttons)
    VISIT_NOTICE = "visit-notice"  # any other care-plan message
    REPLY = "reply"  # an answer to someone who just wrote
    DOWNTIME = "downtime"  # the committee told the line was down, and for how long
