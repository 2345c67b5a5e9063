"""Who may do what: roles and organisations checked in this service (R-STAFF-1, R-STAFF-4)."""

from __future__ import annotations

from servicekit.errors import PermissionDenied

from tqr_application.domain.roles import Actor, Role


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise PermissionDenied(
            "R-STAFF-4", f"{actor.label_zh}不能执行此操作", f"A {actor.label_en.lower()} cannot do this",
        )


def require_authority_admin_of(actor: Actor, authority_code: str) -> None:
    require_role(actor, Role.AUTHORITY_ADMIN)
    if actor.organisation_code != authority_code:
        raise PermissionDenied(
            "R-STAFF-4", "只能管理本注册机构的计划和确认点",
            "You can manage only your own authority's plans and points",
        )
