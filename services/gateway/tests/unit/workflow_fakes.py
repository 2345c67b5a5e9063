"""The application service's workflow rules as the fakes serve them: a copy of the live answer that
tests/foundation/test_workflow_rules_fixture.py keeps equal to it."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from tqr.application.v1 import application_pb2 as ref_pb

FIXTURE = Path(__file__).with_name("workflow_rules.textproto")


def served_rules() -> ref_pb.GetWorkflowRulesResponse:
    return text_format.Parse(FIXTURE.read_text(encoding="utf-8"), ref_pb.GetWorkflowRulesResponse())
