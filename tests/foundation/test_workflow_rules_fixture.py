"""The gateway's unit tests serve a copy of the application service's GetWorkflowRules answer; this
keeps the copy equal to what the service really answers, so the fakes cannot drift from the rules."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from tqr.application.v1 import application_pb2 as ref_pb
from tqr_application.entrypoints.mappers import workflow_rules

FIXTURE = Path(__file__).parents[2] / "services" / "gateway" / "tests" / "unit" / "workflow_rules.textproto"


def test_the_gateway_fakes_serve_the_application_services_real_rules():
    served = text_format.Parse(FIXTURE.read_text(encoding="utf-8"), ref_pb.GetWorkflowRulesResponse())
    assert served == workflow_rules(), f"regenerate {FIXTURE.name} from mappers.workflow_rules()"
