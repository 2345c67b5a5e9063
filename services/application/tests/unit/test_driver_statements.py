"""adapters.driver_statements without a database: the statement SQLAlchemy compiles, bound as it
would bind it, and which failures count as a lost connection (UNAVAILABLE) rather than a fault."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from tqr_application.adapters import draft_repository
from tqr_application.adapters.driver_statements import DriverStatement, is_connection_lost

BEIJING = timezone(timedelta(hours=8))


def test_the_drafts_write_is_bound_as_sqlalchemy_binds_it() -> None:
    save = DriverStatement.compile(draft_repository._SAVE, asyncpg_dialect())
    assert save.sql.startswith("UPDATE drafts SET") and "$1" in save.sql
    at = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)
    arguments = dict(zip(save.names, save.arguments({"applicant": "acc-1", "new_data": {"draft": {"a": 1}},
                                                     "now": at, "read": 4, "open_plan": "plan-1"}), strict=True))
    assert json.loads(arguments["new_data"]) == {"draft": {"a": 1}}  # the JSON type's own serialiser
    assert arguments["now"] == at and arguments["now"].utcoffset() == timedelta(0)  # UtcDateTime: to UTC
    assert (arguments["applicant"], arguments["read"], arguments["open_plan"]) == ("acc-1", 4, "plan-1")
    literal = [n for n in save.names if n not in {"applicant", "new_data", "now", "read", "open_plan"}]
    assert [arguments[n] for n in literal] == [1]  # revision + 1


def test_lost_connections_are_told_from_other_database_errors() -> None:
    assert is_connection_lost(asyncpg.exceptions.AdminShutdownError("terminating connection"))  # 57P01
    assert is_connection_lost(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))
    assert is_connection_lost(asyncpg.exceptions.InterfaceError("connection is closed"))
    assert is_connection_lost(ConnectionResetError()) and is_connection_lost(TimeoutError())
    # The server's goodbye read before the end of the stream (a race the dropped-connection test meets).
    assert is_connection_lost(asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"))
    assert not is_connection_lost(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_connection_lost(asyncpg.exceptions.DataError("invalid input"))
    assert not is_connection_lost(ValueError("a bug"))
