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
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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
    Column("source_update_id", BigInteger, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_requests_state_branch", "state", "branch_id"),
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

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("request_id", Integer, ForeignKey("requests.id")),
    Column("kind", String(32), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("fired_at", UTCDateTime()),
    Index("ix_deadlines_due", "status", "due_at"),
    Index("ix_deadlines_request", "request_id", "status"),
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
