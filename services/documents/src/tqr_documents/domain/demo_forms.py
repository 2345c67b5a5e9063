"""Made-up but plausible application forms for development, tests and the render benchmark.

Deterministic for a seed, varied across seeds (names, lengths, history sizes, photo or not), so a
benchmark exercises short and long values alike. No real person's data.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from servicekit.masking import mask_mobile

from tqr_documents.domain.form import (
    AnnualAssessment,
    ApplicationForm,
    CertificateInfo,
    ConfirmationArrangement,
    CurrentPost,
    WorkHistoryEntry,
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马诸葛"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英晓燕鑫淼焱堃"
_ETHNICITIES = ("汉族", "回族", "满族", "蒙古族", "壮族", "维吾尔族", "藏族", "朝鲜族")
_STAGES = (("幼儿园", "幼儿园教师资格"), ("小学", "小学教师资格"), ("初级中学", "初级中学教师资格"),
           ("高级中学", "高级中学教师资格"), ("中等职业学校", "中等职业学校教师资格"))
_SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "音乐", "体育与健康", "信息技术")
_DISTRICTS = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "昌平区")
_SCHOOL_KINDS = ("第一中学", "实验小学", "第二实验学校", "外国语学校", "中心幼儿园", "职业技术学校",
                 "师范大学附属实验中学分校")
_POSTS = ("教师", "班主任", "教研组长", "年级组长", "教务处副主任")
_RESULTS = ("优秀", "合格", "合格", "合格", "基本合格")


def demo_form(
    seed: int, with_photo: bytes | None = None, history_rows: int | None = None
) -> ApplicationForm:
    rng = random.Random(seed)
    district = rng.choice(_DISTRICTS)
    stage, cert_type = rng.choice(_STAGES)
    subject = rng.choice(_SUBJECTS)
    school = f"北京市{district}{rng.choice(_SCHOOL_KINDS)}"
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 30))
    submitted = datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 20))
    window_start = datetime(2026, 4, 1, 1, 0, tzinfo=UTC) + timedelta(days=rng.randrange(10))
    rows = rng.randrange(1, 6) if history_rows is None else history_rows
    history = _history(rng, rows, school)
    return ApplicationForm(
        application_number=f"2026{rng.randrange(10**11):011d}",
        applicant_name=_name(rng),
        gender=rng.choice(("男", "女")),
        ethnicity=rng.choice(_ETHNICITIES),
        birth_date=birth,
        document_type="居民身份证",
        document_number=f"110{rng.randrange(10**3):03d}{birth:%Y%m%d}{rng.randrange(10**3):03d}X",
        mobile_masked=mask_mobile(f"13{rng.randrange(10**9):09d}"),
        email=f"teacher{seed}@example.cn",
        certificate=CertificateInfo(
            number=f"{rng.randrange(2000, 2021)}{rng.randrange(10**13):013d}",
            type_name=cert_type,
            subject=subject,
            issuing_body=f"北京市{district}教育委员会",
            issue_date=date(2000, 7, 1) + timedelta(days=rng.randrange(365 * 20)),
        ),
        arrangement=ConfirmationArrangement(
            authority_name=f"北京市{district}教育委员会",
            point_name=f"{district}教师资格定期注册现场确认点{rng.randrange(1, 9)}号",
            point_address=_address(rng, district),
            window_start=window_start,
            window_end=window_start + timedelta(days=rng.randrange(3, 15), hours=8),
        ),
        current_post=CurrentPost(
            school=school,
            post=rng.choice(_POSTS),
            teaching_stage=stage,
            subject=subject,
            employment_start=history[-1].start if history else date(2015, 9, 1),
        ),
        work_history=tuple(history),
        annual_assessments=tuple(AnnualAssessment(year, rng.choice(_RESULTS)) for year in range(2021, 2026)),
        ethics_assessment=rng.choice(("合格", "合格", "优秀")),
        continuing_education_hours=rng.randrange(300, 600),
        submitted_at=submitted,
        status_label="信息提交成功，等待现场确认",
        photo=with_photo,
    )


def _address(rng: random.Random, district: str) -> str:
    street = rng.choice(("学院路", "教育街", "光明路"))
    suffix = "教育服务中心三层东侧大厅" if rng.random() < 0.4 else ""  # some long addresses
    return f"北京市{district}{street}{rng.randrange(1, 300)}号{suffix}"


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randrange(1, 3)))


def _history(rng: random.Random, rows: int, current_school: str) -> list[WorkHistoryEntry]:
    start = date(2021, 1, 1) - timedelta(days=rng.randrange(400))
    entries: list[WorkHistoryEntry] = []
    for index in range(rows):
        end = None if index == rows - 1 else start + timedelta(days=rng.randrange(60, 700))
        school = current_school if end is None else f"{rng.choice(_DISTRICTS)}{rng.choice(_SCHOOL_KINDS)}"
        entries.append(WorkHistoryEntry(start, end, school, rng.choice(_POSTS)))
        if end is not None:
            start = end + timedelta(days=1)
    return entries
