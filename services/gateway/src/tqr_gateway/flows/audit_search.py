"""The audit viewer's search across the services' audit logs (R-STAFF-9), merged newest first.

Each service pages its own log with a keyset cursor and scopes it by the signed actor. The merged
page takes the newest rows of all of them; its token remembers, per service, the cursor of the last
row shown (or that the service has nothing more), so the next page continues exactly there and a
row written meanwhile never shifts or repeats one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from tqr.common.v1 import audit_pb2

from tqr_gateway.clients.audit import SOURCES

Metadata = Sequence[tuple[str, str | bytes]]


class AuditSource(Protocol):
    async def search(self, source: str, query: audit_pb2.AuditQuery, *,
                     metadata: Metadata) -> audit_pb2.AuditPage: ...


class BadToken(ValueError):
    """A page token the gateway never made."""


@dataclass(frozen=True)
class MergedPage:
    entries: list[audit_pb2.AuditEntry]
    next_token: str


def _encode(state: dict[str, str | None]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str, sources: Iterable[str]) -> dict[str, str | None]:
    """source → the cursor to continue after ("" from the start), None: nothing more there."""
    if not token:
        return dict.fromkeys(sources, "")
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadToken(token) from None
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and k in SOURCES and (v is None or isinstance(v, str)) for k, v in state.items()):
        raise BadToken(token)
    return {source: state.get(source) for source in sources if source in state}


def _newest_first(entry: audit_pb2.AuditEntry) -> tuple[int, int, str, int]:
    entry_id = int(entry.entry_id) if entry.entry_id.isdigit() else 0
    return (-entry.at.seconds, -entry.at.nanos, entry.source, -entry_id)


async def search(client: AuditSource, query: audit_pb2.AuditQuery, *, metadata: Metadata,
                 sources: Sequence[str] = SOURCES, page_token: str = "", page_size: int = 50) -> MergedPage:
    state = _decode(page_token, sources)
    found: dict[str, tuple[list[audit_pb2.AuditEntry], str]] = {}
    for source, after in state.items():
        if after is None:
            continue
        asked = audit_pb2.AuditQuery()
        asked.CopyFrom(query)
        asked.page_size, asked.page_token = page_size, after
        page = await client.search(source, asked, metadata=metadata)
        for entry in page.entries:
            entry.source = source  # what the merge below goes by, whatever the service wrote
        found[source] = (list(page.entries), page.next_page_token)
    merged = sorted((e for entries, _ in found.values() for e in entries), key=_newest_first)[:page_size]
    shown = {source: [e for e in merged if e.source == source] for source in found}
    next_state = dict(state)
    for source, (entries, more) in found.items():
        taken = shown[source]
        if taken:
            next_state[source] = taken[-1].cursor
        if len(taken) == len(entries) and not more:
            next_state[source] = None
    done = all(v is None for v in next_state.values())
    return MergedPage(merged, "" if done else _encode(next_state))
