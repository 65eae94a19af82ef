"""The schema: one table per kind of fact. Alembic migrations are generated from it.

Append-only where history matters: ``events`` is never updated or deleted, and a request's
rows are never removed. ``outbox``, ``deadlines`` and ``inbox`` are the durable queues of
``schedules/``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("telegram_id", BigInteger, unique=True),
    Column("department", String(200)),
    Column("handles", JSON, nullable=False, default=list),
    Column("family_of_id", Integer, ForeignKey("people.id")),
    Column("active", Boolean, nullable=False, default=True),
    # Set when an alert to this person could not be delivered; cleared when they write.
    Column("unreachable_since", UTCDateTime()),
    Column("away_until", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
)

branches = Table(
    "branches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("secretary_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

branch_departments = Table(
    "branch_departments",
    metadata,
    Column("department", String(200), primary_key=True),
    Column("branch_id", Integer, ForeignKey("branches.id"), nullable=False),
)

branch_members = Table(
    "branch_members",
    metadata,
    Column("branch_id", Integer, ForeignKey("branches.id"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)

# Company-level roles: "committee" (duty officers) and "supervisor" (anonymised figures).
roles = Table(
    "roles",
    metadata,
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True),
    Column("role", String(32), primary_key=True),
)

# Policies from the roster (escalation chains, ...), one JSON value per key.
policies = Table(
    "policies",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True),  # the request number users see
    Column("kind", String(16), nullable=False),  # "120", "110", "service"
    Column("category", String(64)),
    Column("urgency", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("branch_id", Integer, ForeignKey("branches.id")),
    Column("requester_id", Integer, ForeignKey("people.id")),
    Column("requester_chat_id", BigInteger, nullable=False),
    # Snapshot at creation, so an unregistered sender and a later roster edit keep a name.
    Column("requester_name", String(200), nullable=False),
    Column("requester_department", String(200)),
    Column("unregistered", Boolean, nullable=False, default=False),
    Column("text", Text, nullable=False, default=""),
    Column("owner_id", Integer, ForeignKey("people.id")),
    Column("level", Integer, nullable=False, default=0),
    # The escalation chain as it was when the request was raised (frozen).
    Column("chain", JSON, nullable=False),
    Column("rating", Integer),
    # Snapshot at creation: the employee a family member raised this request as family of.
    Column("family_of_name", String(200)),
    Column("source_update_id", BigInteger, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Facts for the figures (storage/request_facts.py keeps them from the timeline's events),
    # so a quarter's report is SQL aggregates over one table, not a walk through events.
    Column("take_seconds", Integer),  # raised -> first taken
    Column("resolve_seconds", Integer),  # raised -> last marked resolved
    Column("close_seconds", Integer),  # raised -> closed
    Column("closed_by", String(16)),  # "worker", or "secretary" (on the worker's behalf)
    Column("reopen_count", Integer, nullable=False, default=0),  # "not resolved", reopen
    Column("escalated", Boolean, nullable=False, default=False),  # past level 0 at least once
    Index("ix_requests_state_branch", "state", "branch_id"),
    Index("ix_requests_created", "created_at", "branch_id"),
    Index("ix_requests_requester", "requester_chat_id"),
    Index("ix_requests_owner", "owner_id", "state"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("type", String(32), nullable=False),
    Column("actor_id", Integer, ForeignKey("people.id")),
    Column("actor_chat_id", BigInteger),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_events_request", "request_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("method", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("request_id", Integer, ForeignKey("requests.id")),
    Column("recipient_id", Integer, ForeignKey("people.id")),
    Column("purpose", String(32), nullable=False),
    # For alerts: the escalation level this alert belongs to.
    Column("level", Integer),
    # For edits: the outbox row whose delivered message this one edits.
    Column("ref_id", Integer, ForeignKey("outbox.id")),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("message_id", BigInteger),
    Column("error", String(300)),
    # When the secretary was told that this alert is stuck (told once).
    Column("delay_reported_at", UTCDateTime()),
    Index("ix_outbox_due", "status", "priority", "not_before", "id"),
    Index("ix_outbox_message", "chat_id", "message_id"),
    Index("ix_outbox_request", "request_id", "purpose"),
)

# A picture the outbox sends to many (a report's chart, survey results): stored once, its
# rows refer to it by id; after the first upload Telegram's file_id is kept, so the rest
# send the file_id instead of uploading it again.
outbox_media = Table(
    "outbox_media",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("png", LargeBinary, nullable=False),
    Column("file_id", String(200)),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Telegram accounts a secretary or the committee blocked (a flood from someone the roster
# does not know): their updates are stored, as every update is, and not acted on.
# When the running bot last said it was alive: after a restart, how long it was down.
service_marks = Table(
    "service_marks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
)

blocked_chats = Table(
    "blocked_chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("blocked_by_id", Integer, ForeignKey("people.id")),
    Column("reason", Text, nullable=False),
    Column("blocked_at", UTCDateTime(), nullable=False),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id")),
    # For care-plan steps (reminders, end of grace): the visit the step belongs to.
    Column("visit_id", Integer, ForeignKey("visits.id")),
    Column("kind", String(32), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("fired_at", UTCDateTime()),
    Index("ix_deadlines_due", "status", "due_at"),
    Index("ix_deadlines_request", "request_id", "status"),
    Index("ix_deadlines_visit", "visit_id", "status"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Index("ix_inbox_status", "status", "update_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("created_by_id", Integer, ForeignKey("people.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Column("used_by_chat_id", BigInteger),
)

# "One in turn" routing: the last member a normal request of a topic went to, per branch.
rotation = Table(
    "rotation",
    metadata,
    Column("branch_id", Integer, ForeignKey("branches.id"), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("last_person_id", Integer, ForeignKey("people.id"), nullable=False),
    UniqueConstraint("branch_id", "topic"),
)


# Care plans and fixed duties (DESIGN.md §5): promises the branch keeps over time. A plan
# is a recurrence (an RFC 5545 RRULE evaluated in the configured time zone from ``start``);
# each occurrence becomes a ``visits`` row when it is near, and its reminders and end of
# grace are ``deadlines`` rows pointing at that visit.
care_plans = Table(
    "care_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("branch_id", Integer, ForeignKey("branches.id"), nullable=False),
    # "care" (a colleague or relative in care), "reception" (the reception day),
    # "department-visit" (the committee's visit to a department).
    Column("kind", String(32), nullable=False, default="care"),
    Column("cared_for", String(200), nullable=False),  # a name, or the duty's title
    Column("note", String(500), nullable=False, default=""),
    Column("rule", String(500), nullable=False),  # RRULE, without DTSTART
    Column("start", Date, nullable=False),  # local date, the rule's DTSTART
    Column("remind_days_before", Integer, nullable=False, default=1),
    Column("grace", String(16), nullable=False),  # a duration as written: "3d"
    Column("state", String(16), nullable=False),  # "active", "paused", "ended"
    Column("source", String(8), nullable=False),  # "file" (roster) or "bot" (dialog)
    # Remind whoever of the branch is on duty that morning (the rota), besides the visitors.
    Column("remind_on_duty", Boolean, nullable=False, default=False, server_default=false()),
    Column("created_by_id", Integer, ForeignKey("people.id")),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_care_plans_branch", "branch_id", "state"),
)

care_plan_visitors = Table(
    "care_plan_visitors",
    metadata,
    Column("plan_id", Integer, ForeignKey("care_plans.id"), primary_key=True),
    Column("person_id", Integer, ForeignKey("people.id"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("occurrence", Date, nullable=False),  # the local date the rule gave
    Column("due_on", Date, nullable=False),  # that date, or the date it was postponed to
    # The end of the grace period: after it an unlogged visit is escalated.
    Column("grace_until", UTCDateTime(), nullable=False),
    # "due", "done", "missed" (escalated, still loggable), "cancelled" (plan paused/ended)
    Column("state", String(16), nullable=False),
    Column("visitor_id", Integer, ForeignKey("people.id")),  # who went (when done)
    # Set when a secretary gives the visit to another visitor.
    Column("assignee_id", Integer, ForeignKey("people.id")),
    Column("done_at", UTCDateTime()),
    Column("note", Text),
    Column("photo_file_id", String(200)),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("plan_id", "occurrence", name="uq_visits_plan_occurrence"),
    Index("ix_visits_state_due", "state", "due_on"),
    Index("ix_visits_plan", "plan_id", "occurrence"),
)

# A plan's append-only timeline: created, paused, resumed, ended, visit reminded, done,
# postponed, declined, escalated. Requests keep theirs in ``events``.
plan_events = Table(
    "plan_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("care_plans.id"), nullable=False),
    Column("visit_id", Integer, ForeignKey("visits.id")),
    Column("at", UTCDateTime(), nullable=False),
    Column("type", String(32), nullable=False),
    Column("actor_id", Integer, ForeignKey("people.id")),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_plan_events_plan", "plan_id", "id"),
)

# The duty rota (DESIGN.md §4): a member is on duty on the days an RRULE gives, between
# two local times; routing prefers the members on duty now when a branch keeps a rota.
duty_shifts = Table(
    "duty_shifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("branch_id", Integer, ForeignKey("branches.id"), nullable=False),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("rule", String(500), nullable=False),  # e.g. "FREQ=WEEKLY;BYDAY=MO,TH"
    Column("start", Date, nullable=False),
    Column("begins", String(5), nullable=False, default="00:00"),  # local "HH:MM"
    Column("ends", String(5), nullable=False, default="24:00"),
    Column("source", String(8), nullable=False),  # "file" or "bot"
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_duty_shifts_branch", "branch_id"),
)


# The roster's timeline: every change made from a phone (invite, handles, away, removal,
# a worker's family member) or by an import, with who and why. A bot-made change an import
# later overrides is marked so the import reports it once.
roster_events = Table(
    "roster_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    # "added", "family-added", "handles", "away", "back", "removed", "nudged", "imported"
    Column("type", String(32), nullable=False),
    Column("source", String(8), nullable=False),  # "bot" or "file"
    Column("actor_id", Integer, ForeignKey("people.id")),
    Column("person_id", Integer, ForeignKey("people.id"), nullable=False),
    Column("branch_id", Integer, ForeignKey("branches.id")),
    Column("reason", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False, default=dict),
    # Set by the first import after a bot-made change: "kept" or "overridden".
    Column("import_outcome", String(16)),
    Index("ix_roster_events_person", "person_id", "id"),
    Index("ix_roster_events_outcome", "source", "import_outcome"),
)

# The survey's tables live beside the rest of the schema, in the same metadata.
from storage.survey_tables import survey_answers, survey_takers, surveys  # noqa: E402

__all__ = ["survey_answers", "survey_takers", "surveys"]
