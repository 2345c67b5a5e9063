"""Application status workflow (R-APP-2): one explicit transition table.

Every legal move is one row of ``TRANSITIONS``; anything not in the table is refused. The
status texts are what the applicant reads on the status page (label, plain meaning, what to do
next), Chinese first; the Chinese labels are the official ones and must not be reworded.

WITHDRAWN is our addition. An applicant who applied to the wrong plan, changed schools or no
longer needs to register should be able to take the application back before anyone has
confirmed it: otherwise it sits in the point's queue forever, and the rule "one live application
per certificate per plan" (R-WIZ-9) would stop them applying again. Once the point has confirmed
the materials the decision belongs to the authority, so withdrawal is only possible from
SUBMITTED and WRONG_AUTHORITY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from servicekit.errors import FieldProblem, InvalidInput, PermissionDenied, RuleViolation

from tqr_application.domain.roles import Actor, Role

MAX_REASON_LENGTH = 500
MAX_MATERIAL_LENGTH = 100


class ApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    MATERIALS_INCOMPLETE = "MATERIALS_INCOMPLETE"
    CONFIRMED = "CONFIRMED"
    WRONG_AUTHORITY = "WRONG_AUTHORITY"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    REGISTERED = "REGISTERED"
    DEFERRED = "DEFERRED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class StatusAction(StrEnum):
    CONFIRM_ON_SITE = "CONFIRM_ON_SITE"
    MARK_MATERIALS_INCOMPLETE = "MARK_MATERIALS_INCOMPLETE"
    MARK_WRONG_AUTHORITY = "MARK_WRONG_AUTHORITY"
    MARK_NOT_ELIGIBLE = "MARK_NOT_ELIGIBLE"
    APPROVE_REGISTERED = "APPROVE_REGISTERED"
    DEFER = "DEFER"
    REJECT = "REJECT"
    CORRECT_AUTHORITY = "CORRECT_AUTHORITY"
    WITHDRAW = "WITHDRAW"


class EditScope(StrEnum):
    """What the applicant may change in a status (R-APP-2 table, enforced by ``edits``)."""

    NOTHING = "NOTHING"
    ALL_UNTIL_CONFIRMATION_ENDS = "ALL_UNTIL_CONFIRMATION_ENDS"
    AUTHORITY_AND_POINT_IN_ONLINE_WINDOW = "AUTHORITY_AND_POINT_IN_ONLINE_WINDOW"


@dataclass(frozen=True)
class StatusInfo:
    label_zh: str
    label_en: str
    meaning_zh: str
    meaning_en: str
    next_step_zh: str
    next_step_en: str
    edit_scope: EditScope
    final: bool  # no further transition is possible


S = ApplicationStatus
STATUS_INFO: dict[ApplicationStatus, StatusInfo] = {
    S.SUBMITTED: StatusInfo(
        "信息提交成功，等待现场确认", "Submitted, waiting for on-site confirmation",
        "您的申请已经提交给注册机构，还需要到您选择的现场确认点确认信息并交材料。",
        "Your application has reached the registration authority. You still need to visit the "
        "confirmation point you chose to confirm it and hand in your papers.",
        "在确认时间内带齐材料和签名的申请表到现场确认点。确认时间结束前，您还可以修改申请信息。",
        "Take your papers and the signed application form to the confirmation point within its "
        "confirmation dates. Until those dates end you can still change your application.",
        EditScope.ALL_UNTIL_CONFIRMATION_ENDS, False,
    ),
    S.MATERIALS_INCOMPLETE: StatusInfo(
        "经审核材料不全，请向确认机构提交补齐", "Materials incomplete: please bring the missing ones",
        "现场确认点检查了您的材料，还缺少下面列出的材料。",
        "The confirmation point checked your papers; the ones listed below are missing.",
        "请尽快把缺少的材料交到现场确认点。申请信息不能再修改。",
        "Bring the missing papers to the confirmation point soon. Your application can no longer "
        "be changed.",
        EditScope.NOTHING, False,
    ),
    S.CONFIRMED: StatusInfo(
        "信息已确认，待审批", "Confirmed, waiting for the authority's decision",
        "现场确认点已确认您的信息和材料，注册机构正在审批。",
        "The confirmation point has confirmed your details and papers; the registration "
        "authority is now deciding.",
        "您不需要做什么，请等待审批结果。申请信息不能再修改。",
        "Nothing to do: wait for the decision. Your application can no longer be changed.",
        EditScope.NOTHING, False,
    ),
    S.WRONG_AUTHORITY: StatusInfo(
        "经审核您选错了注册机构。请更正", "Wrong registration authority: please correct it",
        "注册机构审核后认为您应当向其他注册机构申请，本机构不受理。",
        "The authority you chose says you belong to another registration authority and will "
        "not take your application.",
        "请在新注册机构的网上申报时间内，改选正确的注册机构和现场确认点。",
        "Choose the right registration authority and confirmation point while that authority's "
        "online application dates are open.",
        EditScope.AUTHORITY_AND_POINT_IN_ONLINE_WINDOW, False,
    ),
    S.NOT_ELIGIBLE: StatusInfo(
        "您不属于注册对象", "Not eligible for registration",
        "经审核，您不在本次定期注册的范围内。",
        "After review, you are not within the scope of this registration.",
        "如有疑问，请联系注册机构。", "If you have questions, contact the registration authority.",
        EditScope.NOTHING, True,
    ),
    S.REGISTERED: StatusInfo(
        "注册合格", "Registered",
        "注册机构已审批：您的教师资格定期注册合格。",
        "The registration authority approved: your teacher qualification is registered.",
        "无需再做什么。", "Nothing more to do.",
        EditScope.NOTHING, True,
    ),
    S.DEFERRED: StatusInfo(
        "暂缓注册", "Registration deferred",
        "注册机构决定暂缓您的注册，原因见下方说明。",
        "The registration authority has deferred your registration; the reason is shown below.",
        "请按说明中的要求办理，或联系注册机构。",
        "Follow the explanation below, or contact the registration authority.",
        EditScope.NOTHING, True,
    ),
    S.REJECTED: StatusInfo(
        "注册不合格", "Registration refused",
        "注册机构决定您的注册不合格，原因见下方说明。",
        "The registration authority has refused your registration; the reason is shown below.",
        "如有异议，请联系注册机构。", "If you disagree, contact the registration authority.",
        EditScope.NOTHING, True,
    ),
    S.WITHDRAWN: StatusInfo(
        "申请已撤回", "Application withdrawn",
        "您已撤回这份申请，注册机构不会再处理。",
        "You withdrew this application; the authority will not process it.",
        "如需注册，请在网上申报时间内重新申请。",
        "To register, apply again while online applications are open.",
        EditScope.NOTHING, True,
    ),
}

ACTION_LABELS: dict[StatusAction, tuple[str, str]] = {
    StatusAction.CONFIRM_ON_SITE: ("现场确认通过", "Confirm on site"),
    StatusAction.MARK_MATERIALS_INCOMPLETE: ("材料不全", "Mark materials incomplete"),
    StatusAction.MARK_WRONG_AUTHORITY: ("选错注册机构", "Mark wrong authority"),
    StatusAction.MARK_NOT_ELIGIBLE: ("不属于注册对象", "Mark not eligible"),
    StatusAction.APPROVE_REGISTERED: ("注册合格", "Approve registration"),
    StatusAction.DEFER: ("暂缓注册", "Defer registration"),
    StatusAction.REJECT: ("注册不合格", "Refuse registration"),
    StatusAction.CORRECT_AUTHORITY: ("更正注册机构", "Correct the authority"),
    StatusAction.WITHDRAW: ("撤回申请", "Withdraw the application"),
}

# Actions whose reason the applicant reads and needs: a decision against them must say why. Sent to
# the wrong authority, the applicant must learn which one is right, so that finding says why too
# (the staff console always asked for it; the rule now lives here only).
REASON_REQUIRED: frozenset[StatusAction] = frozenset(
    {StatusAction.DEFER, StatusAction.REJECT, StatusAction.MARK_NOT_ELIGIBLE, StatusAction.MARK_WRONG_AUTHORITY}
)
MATERIALS_REQUIRED: frozenset[StatusAction] = frozenset({StatusAction.MARK_MATERIALS_INCOMPLETE})


@dataclass(frozen=True)
class Transition:
    from_status: ApplicationStatus
    action: StatusAction
    roles: frozenset[Role]
    to_status: ApplicationStatus


A = StatusAction
_POINT = frozenset({Role.POINT_STAFF})
_AUTHORITY = frozenset({Role.AUTHORITY_ADMIN})
_STAFF = frozenset({Role.POINT_STAFF, Role.AUTHORITY_ADMIN})
_APPLICANT = frozenset({Role.APPLICANT})

TRANSITIONS: tuple[Transition, ...] = (
    # On-site results recorded by the point (R-STAFF-2). The authority may also turn an
    # application away as wrong-authority or not eligible: the manual has both findings made
    # by the authority while it reviews.
    Transition(S.SUBMITTED, A.CONFIRM_ON_SITE, _POINT, S.CONFIRMED),
    Transition(S.SUBMITTED, A.MARK_MATERIALS_INCOMPLETE, _POINT, S.MATERIALS_INCOMPLETE),
    Transition(S.SUBMITTED, A.MARK_WRONG_AUTHORITY, _STAFF, S.WRONG_AUTHORITY),
    Transition(S.SUBMITTED, A.MARK_NOT_ELIGIBLE, _STAFF, S.NOT_ELIGIBLE),
    Transition(S.SUBMITTED, A.WITHDRAW, _APPLICANT, S.WITHDRAWN),
    # MATERIALS_INCOMPLETE is left when the applicant brings the papers and the point confirms;
    # bringing only some of them updates the list of what is still missing.
    Transition(S.MATERIALS_INCOMPLETE, A.CONFIRM_ON_SITE, _POINT, S.CONFIRMED),
    Transition(S.MATERIALS_INCOMPLETE, A.MARK_MATERIALS_INCOMPLETE, _POINT, S.MATERIALS_INCOMPLETE),
    Transition(S.MATERIALS_INCOMPLETE, A.MARK_WRONG_AUTHORITY, _STAFF, S.WRONG_AUTHORITY),
    Transition(S.MATERIALS_INCOMPLETE, A.MARK_NOT_ELIGIBLE, _STAFF, S.NOT_ELIGIBLE),
    # The authority's decision (R-STAFF-1).
    Transition(S.CONFIRMED, A.APPROVE_REGISTERED, _AUTHORITY, S.REGISTERED),
    Transition(S.CONFIRMED, A.DEFER, _AUTHORITY, S.DEFERRED),
    Transition(S.CONFIRMED, A.REJECT, _AUTHORITY, S.REJECTED),
    Transition(S.CONFIRMED, A.MARK_NOT_ELIGIBLE, _AUTHORITY, S.NOT_ELIGIBLE),
    Transition(S.CONFIRMED, A.MARK_WRONG_AUTHORITY, _AUTHORITY, S.WRONG_AUTHORITY),
    # The applicant re-chooses authority and point; the application starts over as submitted.
    Transition(S.WRONG_AUTHORITY, A.CORRECT_AUTHORITY, _APPLICANT, S.SUBMITTED),
    Transition(S.WRONG_AUTHORITY, A.WITHDRAW, _APPLICANT, S.WITHDRAWN),
)

_BY_KEY: dict[tuple[ApplicationStatus, StatusAction], Transition] = {
    (t.from_status, t.action): t for t in TRANSITIONS
}
if len(_BY_KEY) != len(TRANSITIONS):
    raise RuntimeError("the transition table must have one row per (status, action)")


@dataclass(frozen=True)
class TransitionRecord:
    """One line of the application's history: who moved it, when, and why (R-APP-2)."""

    from_status: ApplicationStatus
    to_status: ApplicationStatus
    action: StatusAction
    actor: Actor
    at: datetime
    reason: str
    missing_materials: tuple[str, ...]


def find_transition(current: ApplicationStatus, action: StatusAction) -> Transition | None:
    return _BY_KEY.get((current, action))


def from_statuses(action: StatusAction) -> tuple[ApplicationStatus, ...]:
    """The statuses ``action`` may be taken from, in workflow order (no duplicates)."""
    return tuple(dict.fromkeys(t.from_status for t in TRANSITIONS if t.action is action))


def roles_for(action: StatusAction) -> frozenset[Role]:
    """Every role that may take ``action`` from some status."""
    return frozenset(role for t in TRANSITIONS if t.action is action for role in t.roles)


def allowed_actions(current: ApplicationStatus, role: Role) -> tuple[StatusAction, ...]:
    """The actions a role may take from a status, for showing only the buttons that work."""
    return tuple(t.action for t in TRANSITIONS if t.from_status is current and role in t.roles)


def apply_transition(
    current: ApplicationStatus,
    action: StatusAction,
    actor: Actor,
    *,
    now: datetime,
    reason: str = "",
    missing_materials: tuple[str, ...] | list[str] = (),
) -> TransitionRecord:
    """Check one status change against the table and return its history record.

    Refusals: PermissionDenied when the actor's role never takes this action or not from this
    status; RuleViolation("R-APP-2") when the action is not possible from the current status;
    InvalidInput when a required reason or list of missing materials is absent.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    action_zh, action_en = ACTION_LABELS[action]
    if not any(actor.role in t.roles for t in TRANSITIONS if t.action is action):
        raise PermissionDenied(
            "R-APP-2",
            f"{actor.label_zh}不能执行“{action_zh}”操作",
            f"A {actor.label_en.lower()} cannot {action_en.lower()}",
        )
    transition = find_transition(current, action)
    if transition is None:
        info = STATUS_INFO[current]
        raise RuleViolation(
            "R-APP-2",
            f"申请状态为“{info.label_zh}”时，不能执行“{action_zh}”操作",
            f"An application in status “{info.label_en}” cannot take the action “{action_en}”",
        )
    if actor.role not in transition.roles:
        raise PermissionDenied(
            "R-APP-2",
            f"申请状态为“{STATUS_INFO[current].label_zh}”时，{actor.label_zh}不能执行“{action_zh}”操作",
            f"In status “{STATUS_INFO[current].label_en}” a {actor.label_en.lower()} cannot "
            f"{action_en.lower()}",
        )
    clean_reason = reason.strip()
    materials = _check_inputs(action, clean_reason, missing_materials)
    return TransitionRecord(
        from_status=current,
        to_status=transition.to_status,
        action=action,
        actor=actor,
        at=now,
        reason=clean_reason,
        missing_materials=materials,
    )


def _check_inputs(
    action: StatusAction, reason: str, missing_materials: tuple[str, ...] | list[str]
) -> tuple[str, ...]:
    problems: list[FieldProblem] = []
    if action in REASON_REQUIRED and not reason:
        problems.append(
            FieldProblem("reason", "R-APP-2", "请填写原因，申请人会看到这段说明",
                         "Give a reason; the applicant will read it")
        )
    if len(reason) > MAX_REASON_LENGTH:
        problems.append(
            FieldProblem("reason", "R-APP-2", f"原因不能超过 {MAX_REASON_LENGTH} 个字",
                         f"The reason may be at most {MAX_REASON_LENGTH} characters")
        )
    materials = tuple(m.strip() for m in missing_materials if m.strip())
    if action in MATERIALS_REQUIRED and not materials:
        problems.append(
            FieldProblem("missing_materials", "R-APP-2", "请列出缺少的材料",
                         "List the missing materials")
        )
    if action not in MATERIALS_REQUIRED and materials:
        problems.append(
            FieldProblem("missing_materials", "R-APP-2", "只有“材料不全”才需要列出缺少的材料",
                         "Missing materials are listed only when marking materials incomplete")
        )
    if any(len(m) > MAX_MATERIAL_LENGTH for m in materials):
        problems.append(
            FieldProblem("missing_materials", "R-APP-2", f"每项材料名称不能超过 {MAX_MATERIAL_LENGTH} 个字",
                         f"Each material may be at most {MAX_MATERIAL_LENGTH} characters")
        )
    if problems:
        raise InvalidInput(problems, code="R-APP-2")
    return materials


def check_inputs(
    action: StatusAction, reason: str, missing_materials: tuple[str, ...] | list[str] = ()
) -> tuple[str, ...]:
    """The reason and missing-materials checks of ``apply_transition`` on their own, for a request
    that applies one action to many applications (R-STAFF-6): refused once, before any of them."""
    return _check_inputs(action, reason.strip(), missing_materials)
