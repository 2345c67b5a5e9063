"""The application aggregate: one submitted application and every rule about changing it.

The service layer loads an ``Application``, asks it to change (``apply`` for a status action from
the R-APP-2 table, the ``replace_*`` methods for an applicant's or staff member's edit, ``post_message``
for R-APP-4), and hands it back to the repository. Each change is recorded as a domain event; the
repository writes the history rows from them and the service layer turns them into the integration
events it publishes (``service_layer.events``), so what happened is described once, here.

The wizard's answers stay the mappings the wizard wrote (``Answers``): they are checked by the
wizard's own typed domain (``domain.wizard``) before they get here and are only read back for pages
and the form, so a second typing of every field would duplicate that domain without guarding anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from servicekit.errors import RuleViolation

from tqr_application.domain.roles import Actor
from tqr_application.domain.status import ApplicationStatus, StatusAction, TransitionRecord, apply_transition

# Statuses that free the (plan, certificate, applicant) key so the applicant may apply to that plan
# again (R-WIZ-9). A decided application stays the plan's answer for its certificate; only a
# withdrawal frees it.
RELEASING_STATUSES: frozenset[ApplicationStatus] = frozenset({ApplicationStatus.WITHDRAWN})

SUBMIT_ACTION = "SUBMIT"  # the history's first line: no StatusAction leads into SUBMITTED from nothing


class Section:
    """Names of the parts of an application an edit changes, as published in ApplicationUpdated."""

    CERTIFICATE = "CERTIFICATE"
    MATERIALS = "MATERIALS"
    CONTACT = "CONTACT"
    POINT = "POINT"  # R-APP-6: another point of the same plan
    TEACHING = "TEACHING"  # R-APP-6: 现任教学段 and 现任教学科


@dataclass(frozen=True)
class Placement:
    """Where the application is filed: the plan, its authority and the chosen confirmation point."""

    plan_id: str
    authority_code: str
    point_code: str


@dataclass(frozen=True)
class Decision:
    """What the last status change told the applicant: its reason and, for MATERIALS_INCOMPLETE,
    the papers still missing (R-APP-2)."""

    reason: str = ""
    missing_materials: tuple[str, ...] = ()
    # Issue 19 item 19: when the applicant said the missing papers are ready (the point's next
    # result starts a new Decision, so this ends with it).
    resubmitted_at: datetime | None = None


@dataclass(frozen=True)
class Answers:
    """The wizard's answers as filed, in the wizard's own stored form (see the module docstring)."""

    certificate: Mapping[str, Any]
    materials: Mapping[str, Any]
    teaching_stage_code: str = ""
    teaching_subject_code: str = ""
    identity: Mapping[str, str] = field(default_factory=dict)
    overridden_warnings: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return str(self.materials.get("email", ""))


@dataclass(frozen=True)
class HistoryEntry:
    """One stored line of the status history (R-APP-2), as pages show it."""

    from_status: str
    to_status: str
    action: str
    actor_role: str
    actor_id: str
    actor_org: str
    at: datetime
    reason: str
    missing_materials: tuple[str, ...] = ()


# --- domain events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    actor: Actor
    at: datetime

    def history(self) -> HistoryEntry:
        return HistoryEntry("", ApplicationStatus.SUBMITTED.value, SUBMIT_ACTION, self.actor.role.value,
                            self.actor.subject_id, "", self.at, "")


@dataclass(frozen=True)
class StatusChanged:
    change: TransitionRecord

    def history(self) -> HistoryEntry:
        c = self.change
        return HistoryEntry(c.from_status.value, c.to_status.value, c.action.value, c.actor.role.value,
                            c.actor.subject_id, c.actor.organisation_code, c.at, c.reason, c.missing_materials)


@dataclass(frozen=True)
class SectionsChanged:
    sections: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class MessagePosted:
    message_id: str
    author: Actor
    author_org_name: str
    body: str
    at: datetime


DomainEvent = Submitted | StatusChanged | SectionsChanged | MessagePosted


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class Application:
    id: str
    application_number: str
    applicant_id: str
    placement: Placement
    certificate_number: str
    applicant_name: str
    document_number: str  # personal data: shown masked except where a role's task needs it whole
    status: ApplicationStatus
    version: int
    answers: Answers
    decision: Decision
    certificate_locked: bool
    submitted_at: datetime
    updated_at: datetime
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)
    # The version this unit of work read; the repository writes only if the row still has it.
    read_version: int = field(default=-1, compare=False, repr=False)
    # The certificate number the stored row has (R-STAFF-8 locks the old and the new one).
    read_certificate_number: str = field(default="", compare=False, repr=False)
    # R-APP-8: the version of the filed content (the printed form's version): 1 when submitted,
    # one more for every edit of a section. Status changes do not change what the form says.
    edit_revision: int = 1
    _read_revision: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.read_version < 0:
            self.read_version = self.version
        if not self.read_certificate_number:
            self.read_certificate_number = self.certificate_number
        self._read_revision = self.edit_revision

    @classmethod
    def submit(cls, *, id: str, applicant: Actor, placement: Placement, certificate_number: str,
               applicant_name: str, document_number: str, answers: Answers, certificate_locked: bool,
               now: datetime) -> Application:
        """A new application in SUBMITTED; its number is given when it is filed (``number``)."""
        app = cls(id=id, application_number="", applicant_id=applicant.subject_id, placement=placement,
                  certificate_number=certificate_number, applicant_name=applicant_name,
                  document_number=document_number, status=ApplicationStatus.SUBMITTED, version=1,
                  answers=answers, decision=Decision(), certificate_locked=certificate_locked,
                  submitted_at=now, updated_at=now, read_version=0)
        app.events.append(Submitted(applicant, now))
        return app

    @property
    def plan_id(self) -> str:
        return self.placement.plan_id

    @property
    def authority_code(self) -> str:
        return self.placement.authority_code

    @property
    def point_code(self) -> str:
        return self.placement.point_code

    @property
    def frees_live_key(self) -> bool:
        return self.status in RELEASING_STATUSES

    def apply(self, action: StatusAction, actor: Actor, now: datetime, *, reason: str = "",
              missing_materials: tuple[str, ...] | list[str] = (),
              placement: Placement | None = None) -> TransitionRecord:
        """Move the application by ``action`` (R-APP-2 table; refusals as ``apply_transition``).

        CORRECT_AUTHORITY, and only it, files the application under a new ``placement``.
        """
        if (placement is not None) != (action is StatusAction.CORRECT_AUTHORITY):
            raise ValueError("a placement comes with CORRECT_AUTHORITY and with no other action")
        change = apply_transition(self.status, action, actor, now=now, reason=reason,
                                  missing_materials=missing_materials)
        self.status = change.to_status
        self.decision = Decision(change.reason, change.missing_materials)
        if placement is not None:
            self.placement = placement
        self._touch(now)
        self.events.append(StatusChanged(change))
        return change

    def replace_certificate(self, section: Mapping[str, Any], *, number: str, locked: bool, now: datetime) -> None:
        self.answers = replace(self.answers, certificate=dict(section))
        self.certificate_number, self.certificate_locked = number, locked
        self._changed(Section.CERTIFICATE, now)

    def replace_materials(self, section: Mapping[str, Any], now: datetime) -> None:
        self.answers = replace(self.answers, materials=dict(section))
        self._changed(Section.MATERIALS, now)

    def replace_email(self, email: str, now: datetime) -> None:
        self.answers = replace(self.answers, materials={**self.answers.materials, "email": email})
        self._changed(Section.CONTACT, now)

    def replace_point(self, point_code: str, now: datetime) -> None:
        """R-APP-6: another point of the same plan; the application number stays."""
        self.placement = replace(self.placement, point_code=point_code)
        self._changed(Section.POINT, now)

    def replace_teaching(self, stage_code: str, subject_code: str, now: datetime) -> None:
        """R-APP-6: 现任教学段 and 现任教学科."""
        self.answers = replace(self.answers, teaching_stage_code=stage_code, teaching_subject_code=subject_code)
        self._changed(Section.TEACHING, now)

    def resubmit_materials(self, now: datetime) -> None:
        """Issue 19 item 19: the applicant says the listed papers are ready; the point checks them item
        by item. Only in MATERIALS_INCOMPLETE; saying it again changes nothing."""
        if self.status is not ApplicationStatus.MATERIALS_INCOMPLETE:
            raise RuleViolation("R-APP-2", "只有“材料不全”的申请才能告知确认点已补齐材料",
                                "Only an application with missing materials can say they are ready")
        if self.decision.resubmitted_at is not None:
            return
        self.decision = replace(self.decision, resubmitted_at=now)
        self._touch(now)

    def post_message(self, message_id: str, author: Actor, author_org_name: str, body: str, now: datetime) -> None:
        """R-APP-4: a message to the applicant; it is not a change of the application itself."""
        self.events.append(MessagePosted(message_id, author, author_org_name, body, now))

    def pull_events(self) -> list[DomainEvent]:
        """The events recorded since the last pull, oldest first; each is handed out once."""
        pulled, self.events = self.events, []
        return pulled

    def _changed(self, section: str, now: datetime) -> None:
        self.edit_revision = self._read_revision + 1  # one per unit of work, like the version
        self._touch(now)
        self.events.append(SectionsChanged((section,), now))

    def _touch(self, now: datetime) -> None:
        # One write per unit of work: however many changes, the stored version moves by one.
        self.version = self.read_version + 1
        self.updated_at = now
