"""The materials checklist staff pick from when materials are incomplete (issue 19 item 19): the
authority's own, or the default the application service also serves in GetWorkflowRules.

Authority admins edit it as lines of text, one item a line, ``中文名称 | English name``; an item
keeps its code while its Chinese name stays the same. The service checks the items again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import grpc
from tqr.application.v1 import application_pb2 as ref_pb

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.workflow_rules import Material, WorkflowRules
from tqr_gateway.flows.staff_rules import Problem

Metadata = Sequence[tuple[str, str | bytes]]
MAX_LINES = 30
SEPARATOR = "|"


async def checklist_for(applications: StaffApplicationClient, rules: WorkflowRules, *, metadata: Metadata,
                        authority_code: str = "") -> tuple[Material, ...]:
    """The caller's (or ``authority_code``'s) checklist; the served default while the application
    service does not answer the call yet (a rolling update)."""
    try:
        found = await applications.materials_checklist(metadata=metadata, authority_code=authority_code)
    except grpc.aio.AioRpcError as exc:
        if exc.code() is not grpc.StatusCode.UNIMPLEMENTED:
            raise
        return rules.materials_checklist
    return tuple(Material(i.code, i.name_zh, i.name_en) for i in found.items)


def as_lines(items: Iterable[Material]) -> str:
    return "\n".join(f"{i.name_zh} {SEPARATOR} {i.name_en}" if i.name_en and i.name_en != i.name_zh else i.name_zh
                     for i in items)


def from_lines(text: str, current: Iterable[Material]) -> tuple[list[ref_pb.MaterialItem], list[Problem]]:
    codes = {i.name_zh: i.code for i in current}
    items: list[ref_pb.MaterialItem] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        zh, _, en = line.partition(SEPARATOR)
        items.append(ref_pb.MaterialItem(code=codes.get(zh.strip(), ""), name_zh=zh.strip(), name_en=en.strip()))
    if len(items) > MAX_LINES:
        return items, [Problem("items", f"清单最多 {MAX_LINES} 项", f"At most {MAX_LINES} items")]
    return items, []
