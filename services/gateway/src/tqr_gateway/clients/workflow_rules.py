"""The application workflow's vocabulary and rules, as the application service serves them.

The service owns its statuses, actions, which action needs a reason or a list of missing materials,
from which statuses each is allowed, the materials checklist, the assessment results and the cycle
length (``ReferenceDataService.GetWorkflowRules``, built from its transition table). The gateway keeps
no copy: forms and the staff console read this.

Why a cache per process: the answer changes only when the application service is deployed, yet the
wizard's materials step and every staff action page need it; asking on each request would add an
RPC to the commonest step of a peak. One answer per minute per process is cheap, and a deploy's new
rules reach every gateway within that minute. When a refresh fails the previous answer is kept (it
was the service's own); with none yet, the error goes up like any other RPC failure.

The proto enums travel as numbers; pages, templates and the JSON API speak their names, so this is
also the one place that turns one into the other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import grpc
from tqr.application.v1 import application_pb2 as pb
from tqr.application.v1 import application_pb2_grpc as rpc
from tqr.application.v1 import status_pb2

CACHE_SECONDS: Final = 60.0
STAFF_ROLES: Final = frozenset({"AUTHORITY_ADMIN", "POINT_STAFF"})


def status_name(code: int) -> str:
    """"" for unspecified (e.g. before the history's first line) and for a number this build lacks."""
    if code == status_pb2.APPLICATION_STATUS_UNSPECIFIED or code not in status_pb2.ApplicationStatus.values():
        return ""
    return status_pb2.ApplicationStatus.Name(code)  # type: ignore[arg-type]


def action_name(code: int) -> str:
    if code == status_pb2.STATUS_ACTION_UNSPECIFIED or code not in status_pb2.StatusAction.values():
        return ""
    return status_pb2.StatusAction.Name(code)  # type: ignore[arg-type]


def status_code(name: str) -> status_pb2.ApplicationStatus.ValueType:
    """UNSPECIFIED for "" (any status); ValueError for a name the service does not have."""
    return status_pb2.ApplicationStatus.Value(name) if name else status_pb2.APPLICATION_STATUS_UNSPECIFIED


def action_code(name: str) -> status_pb2.StatusAction.ValueType:
    """ValueError for a name the service does not have."""
    return status_pb2.StatusAction.Value(name)


def action_names(codes: Iterable[int]) -> list[str]:
    return [name for name in map(action_name, codes) if name]


@dataclass(frozen=True)
class ActionRule:
    action: str
    label_zh: str
    label_en: str
    reason_required: bool
    materials_required: bool
    from_statuses: tuple[str, ...]
    roles: frozenset[str]


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class WorkflowRules:
    statuses: tuple[str, ...]                  # workflow order
    actions: dict[str, ActionRule]             # workflow order
    materials_checklist: tuple[Material, ...]
    annual_assessment_results: tuple[str, ...]
    ethics_assessment_results: tuple[str, ...]
    cycle_years: int
    max_reason_length: int

    @classmethod
    def of(cls, reply: pb.GetWorkflowRulesResponse) -> WorkflowRules:
        return cls(
            statuses=tuple(status_name(s.status) for s in reply.statuses),
            actions={action_name(a.action): ActionRule(
                action=action_name(a.action), label_zh=a.label_zh, label_en=a.label_en,
                reason_required=a.reason_required, materials_required=a.materials_required,
                from_statuses=tuple(status_name(s) for s in a.from_statuses), roles=frozenset(a.roles),
            ) for a in reply.actions},
            materials_checklist=tuple(Material(m.code, m.name_zh, m.name_en) for m in reply.materials_checklist),
            annual_assessment_results=tuple(reply.annual_assessment_results),
            ethics_assessment_results=tuple(reply.ethics_assessment_results),
            cycle_years=reply.cycle_years,
            max_reason_length=reply.max_reason_length,
        )

    @property
    def staff_actions(self) -> tuple[str, ...]:
        """The actions staff take (the applicant's own two are not the console's)."""
        return tuple(name for name, rule in self.actions.items() if rule.roles & STAFF_ROLES)

    def needs_reason(self, action: str) -> bool:
        rule = self.actions.get(action)
        return rule is not None and rule.reason_required

    def needs_materials(self, action: str) -> bool:
        rule = self.actions.get(action)
        return rule is not None and rule.materials_required

    def material_names(self) -> dict[str, tuple[str, str]]:
        return {m.code: (m.name_zh, m.name_en) for m in self.materials_checklist}


class WorkflowRulesSource:
    """One process's copy of the served rules, refreshed at most once a minute."""

    def __init__(self, channel: grpc.aio.Channel, *, seconds: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._reference = rpc.ReferenceDataServiceStub(channel)
        self._seconds = seconds
        self._clock = clock
        self._rules: WorkflowRules | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> WorkflowRules:
        if self._rules is not None and self._clock() < self._expires:
            return self._rules
        async with self._lock:  # one refresh at a time; the others then find it fresh
            if self._rules is not None and self._clock() < self._expires:
                return self._rules
            try:
                reply = await self._reference.GetWorkflowRules(pb.GetWorkflowRulesRequest())
            except grpc.aio.AioRpcError:
                if self._rules is None:
                    raise
                self._expires = self._clock() + self._seconds / 4  # try again soon, serve the last answer
                return self._rules
            self._rules, self._expires = WorkflowRules.of(reply), self._clock() + self._seconds
            return self._rules
