"""The migrations build exactly the schema ``storage.tables`` declares.

A column added to the tables without a migration (or the reverse) would work in tests
that create the schema one way and fail on a deployed database upgraded the other way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from storage.db import alembic_config
from storage.tables import metadata


def test_upgrade_to_head_matches_the_declared_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    with create_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_revisions_form_one_line() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_request_facts_are_backfilled_from_the_timeline(tmp_path: Path) -> None:
    """Requests raised before 0007 get their figures' facts from their events."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO requests (id, kind, urgency, state, requester_chat_id, requester_name,"
            " unregistered, text, level, chain, created_at, updated_at) VALUES (1, '120',"
            " 'critical', 'closed', 5, 'x', 0, '', 1, '{}', '2026-12-01 00:00:00',"
            " '2026-12-01 00:00:00')"
        )
        for at, type_, data in [
            ("2026-12-01 00:02:00", "escalated", "{}"),
            ("2026-12-01 00:03:00", "taken", "{}"),
            ("2026-12-01 00:10:00", "resolved", "{}"),
            ("2026-12-01 00:11:00", "reopened", "{}"),
            ("2026-12-01 00:20:00", "resolved", "{}"),
            ("2026-12-01 01:00:00", "closed", '{"on_behalf": true}'),
        ]:
            conn.exec_driver_sql(
                "INSERT INTO events (request_id, at, type, data) VALUES (1, ?, ?, ?)",
                (at, type_, data),
            )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT take_seconds, resolve_seconds, close_seconds, closed_by, reopen_count,"
            " escalated FROM requests"
        ).one()
    assert tuple(row) == (180, 1200, 3600, "secretary", 1, 1)
