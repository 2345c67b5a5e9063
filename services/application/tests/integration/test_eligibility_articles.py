"""Issue 19 item 23 through the wizard's RPC: one failed annual assessment points to 暂缓注册 under
第十条第（三）项 (it said 注册不合格 before), and each finding names its article in both languages."""

from __future__ import annotations

from tqr.application.v1 import views_pb2, wizard_pb2


async def test_one_failed_year_defers_and_the_finding_cites_its_article(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    years = [views_pb2.AnnualAssessment(year=y, result="不合格" if y == 2023 else "合格") for y in range(2021, 2026)]
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials(annual_assessments=years)))
    report = (await app.call(app.wizard.CheckEligibility, wizard_pb2.CheckEligibilityRequest(), who.actor)).report
    [finding] = report.findings
    assert (finding.code, finding.outcome, finding.blocking) == ("ELIG-ANNUAL", "DEFERRED", False)
    assert report.likely_outcome == "DEFERRED"
    assert "《中小学教师资格定期注册暂行办法》第十条第（三）项" in finding.message_zh
    assert "article 10(3)" in finding.message_en
