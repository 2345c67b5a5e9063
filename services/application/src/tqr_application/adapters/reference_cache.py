"""Reference data and plans, remembered per process and checked against one version number.

Every wizard step and every application page reads the chosen authority, its plans, the points and
the code lists; they change only when reference data is imported or staff edit a plan or a point's
notes. Reading them again on each request was most of the service's work per wizard step.

Correctness across replicas comes from the database, not from time: every writer of these tables
calls ``reference_changed`` inside its own transaction, which bumps the single row of
``reference_version``. A unit of work reads that number once (one primary-key read) and uses what
this process remembered only when it was remembered under the same number; otherwise it forgets
everything and reads afresh. A replica therefore sees a committed change with its next request.
A session that has itself written reference data reads past the cache until it ends (it must see
its own uncommitted rows).

Values handed out are shared between requests, so they must not be mutated: the domain types are
frozen dataclasses, lists are handed out as copies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm

T = TypeVar("T")

_CHECKED = "tqr.reference_version"  # session.info: the version this unit of work saw
_WRITTEN = "tqr.reference_written"  # session.info: this unit of work changed reference data


@dataclass
class _Remembered:
    version: int | None = None
    values: dict[Hashable, Any] = field(default_factory=dict)


# One memory per database (tests run many databases in one process; a replica has one).
_memories: WeakKeyDictionary[Engine, _Remembered] = WeakKeyDictionary()


async def reference_changed(session: AsyncSession) -> None:
    """Call in the transaction that writes reference data or plans: other processes forget theirs."""
    session.info[_WRITTEN] = True
    bumped = await session.execute(update(orm.reference_version).where(orm.reference_version.c.id == 1)
                                   .values(version=orm.reference_version.c.version + 1))
    if bumped.rowcount == 0:  # type: ignore[attr-defined]  # a database made without the migrations' row
        await session.execute(insert(orm.reference_version).values(id=1, version=1))


_VERSION = select(orm.reference_version.c.version).where(orm.reference_version.c.id == 1)
_MEMORY = "tqr.reference_memory"  # session.info: this process's memory, valid for the unit of work


async def _memory_for(session: AsyncSession) -> _Remembered | None:
    """This process's memory when it is valid for the session's unit of work, else None."""
    if session.info.get(_WRITTEN):
        return None
    if _CHECKED not in session.info:  # once per unit of work
        _saw_version(session, (await (await session.connection()).execute(_VERSION)).scalar())
    memory, seen = session.info[_MEMORY], session.info[_CHECKED]
    return memory if seen is not None and seen == memory.version else None  # type: ignore[no-any-return]


def _saw_version(session: AsyncSession, version: int | None) -> None:
    memory = _memories.setdefault(session.get_bind(), _Remembered())  # type: ignore[arg-type]
    session.info[_CHECKED] = version
    session.info[_MEMORY] = memory
    if version is not None and version != memory.version:
        memory.version, memory.values = version, {}


def version_seen(session: AsyncSession) -> int:
    """The reference version this unit of work read (0 when it read none, or wrote reference data)."""
    if session.info.get(_WRITTEN):
        return 0
    return int(session.info.get(_CHECKED) or 0)


# For a statement that reads the version beside its own row (``noted_version``), saving the unit
# of work the round trip of its own version read: the wizard step reads it with the draft.
VERSION_COLUMN = _VERSION.scalar_subquery().label("reference_version")


def noted_version(session: AsyncSession, version: int | None) -> None:
    """The reference version, read by another statement of this unit of work."""
    if _CHECKED not in session.info and not session.info.get(_WRITTEN):
        _saw_version(session, version)


async def remembered(session: AsyncSession, key: Hashable, load: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``load(session)``'s value, from this process's memory when it is still current."""
    memory = await _memory_for(session)
    if memory is None:
        return await load(session)
    if key in memory.values:
        return memory.values[key]  # type: ignore[no-any-return]
    version = memory.version
    value = await load(session)
    # Another request may have seen a newer version while this one was reading: keep only a value
    # read under the version the memory still has.
    if memory.version == version:
        memory.values[key] = value
    return value
