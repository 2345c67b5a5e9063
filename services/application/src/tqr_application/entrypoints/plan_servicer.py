"""PlanService: plans and points (R-PLAN-1..3, R-STAFF-1), the points' on-site notes (R-APP-4)."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import plans_pb2 as pb
from tqr.application.v1 import plans_pb2_grpc as rpc
from tqr.application.v1 import views_pb2 as v

from tqr_application.domain.checklist import ChecklistItem
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import checklists, plans
from tqr_application.service_layer.context import ServiceContext


def plan_input(name: str, start: object, end: object, points: Iterable[pb.PointWindowInput]) -> plans.PlanInput:
    return plans.PlanInput(
        name=name,
        online_start=mappers.from_ts(start),
        online_end=mappers.from_ts(end),  # type: ignore[arg-type]
        points=tuple(
            PointWindow(p.point_code, mappers.from_ts(p.confirm_start), mappers.from_ts(p.confirm_end))
            for p in points
        ),
    )


class PlanServicer(rpc.PlanServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        # The current plans' messages (every home page and step-4 page asks for them all), by plan:
        # built again only when the service layer hands out another view of the plan.
        self._current: dict[str, tuple[plans.PlanView, v.Plan]] = {}

    async def _view(self, record: RegistrationPlan) -> object:
        shown = await plans.view(self.ctx, record)
        return mappers.plan(shown.plan, shown.authority_name, shown.points)

    async def CreatePlan(
        self, request: pb.CreatePlanRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreatePlanResponse:
        data = plan_input(request.name, request.online_start, request.online_end, request.points)
        record = await plans.create_plan(self.ctx, caller(context), request.authority_code, data)
        return pb.CreatePlanResponse(plan=await self._view(record))

    async def UpdatePlan(
        self, request: pb.UpdatePlanRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdatePlanResponse:
        data = plan_input(request.name, request.online_start, request.online_end, request.points)
        record = await plans.update_plan(self.ctx, caller(context), request.plan_id, data)
        return pb.UpdatePlanResponse(plan=await self._view(record))

    async def ListPlans(self, request: pb.ListPlansRequest, context: grpc.aio.ServicerContext) -> pb.ListPlansResponse:
        records = await plans.list_plans(self.ctx, caller(context), request.authority_code)
        return pb.ListPlansResponse(plans=[await self._view(r) for r in records])

    async def SetPointNotes(
        self, request: pb.SetPointNotesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetPointNotesResponse:
        await plans.set_point_notes(self.ctx, caller(context), request.point_code, request.notes)
        return pb.SetPointNotesResponse()

    async def GetMaterialsChecklist(
        self, request: pb.GetMaterialsChecklistRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMaterialsChecklistResponse:
        return _checklist(await checklists.get_checklist(self.ctx, caller(context), request.authority_code))

    async def SetMaterialsChecklist(
        self, request: pb.SetMaterialsChecklistRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMaterialsChecklistResponse:
        items = [ChecklistItem(i.code, i.name_zh, i.name_en) for i in request.items]
        return _checklist(await checklists.set_checklist(self.ctx, caller(context), items))

    async def ListCurrentPlans(
        self, request: pb.ListCurrentPlansRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCurrentPlansResponse:
        # No caller check: the home page shows these dates to everyone, signed in or not.
        current = await plans.current_plans(self.ctx)
        return pb.ListCurrentPlansResponse(plans=[self._message_of(view) for view in current])

    def _message_of(self, view: plans.PlanView) -> v.Plan:
        built = self._current.get(view.plan.plan_id)
        if built is None or built[0] is not view:
            built = self._current[view.plan.plan_id] = (view, mappers.plan(view.plan, view.authority_name, view.points))
        return built[1]

    async def GetAuthorityPlan(
        self, request: pb.GetAuthorityPlanRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAuthorityPlanResponse:
        caller(context)
        record = await plans.get_authority_plan(self.ctx, request.authority_code)
        now = self.ctx.now()
        return pb.GetAuthorityPlanResponse(
            plan=await self._view(record), online_open=record.online_start <= now <= record.online_end
        )


def _checklist(found: checklists.Checklist) -> pb.GetMaterialsChecklistResponse:
    return pb.GetMaterialsChecklistResponse(
        authority_code=found.authority_code, customised=found.customised,
        items=[ref_pb.MaterialItem(code=i.code, name_zh=i.name_zh, name_en=i.name_en) for i in found.items])
