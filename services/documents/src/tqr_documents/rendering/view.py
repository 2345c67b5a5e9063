"""The printed wording of the form, shared by the PDF and Word renderers so both say the same thing.

Turns an ``ApplicationForm`` into labelled strings grouped by section. Times print in China Standard
Time (UTC+8, no daylight saving), the time applicants and staff read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from tqr_documents.domain.form import ApplicationForm

CHINA_TIME = timezone(timedelta(hours=8), "CST")

TITLE = "教师资格定期注册申请表"
NUMBER_LABEL = "报名号"
QR_CAPTION = "现场确认时扫描此码"
PHOTO_PLACEHOLDER = "照片"
DECLARATION = "本人承诺：以上信息真实、准确、完整，如有不实，本人承担相应责任。"
APPLICANT_SIGNATURE = "申请人签名："
SIGN_DATE = "日期：      年    月    日"
SCHOOL_OPINION = "所在学校意见："
AUTHORITY_OPINION = "注册机构意见："
SEAL = "（盖章）"
SEAL_DATE = "年    月    日"

SECTION_PERSONAL = "个人信息"
SECTION_CERTIFICATE = "教师资格证书信息"
SECTION_ARRANGEMENT = "注册机构与确认点"
SECTION_POST = "现任职务"
SECTION_WORK_HISTORY = "五年工作经历"
SECTION_ASSESSMENTS = "年度考核"
SECTION_ETHICS = "师德考核"
SECTION_EDUCATION = "继续教育学时"

WORK_HISTORY_HEADER = ("起始时间", "终止时间", "工作单位", "职务")
ASSESSMENT_YEAR_LABEL = "考核年度"
ASSESSMENT_RESULT_LABEL = "考核结果"

Pair = tuple[str, str]  # (label, value)
Row = tuple[Pair, ...]  # one or two pairs per grid row


@dataclass(frozen=True)
class FormView:
    application_number: str
    status_label: str
    submitted_at: str
    personal: tuple[Row, ...]
    certificate: tuple[Row, ...]
    arrangement: tuple[Row, ...]
    current_post: tuple[Row, ...]
    work_history: tuple[tuple[str, str, str, str], ...]
    assessments: tuple[Pair, ...]  # (year, result)
    ethics: tuple[Row, ...]
    education: tuple[Row, ...]

    def key_value_sections(self) -> tuple[tuple[str, tuple[Row, ...]], ...]:
        """The sections laid out as label/value grids, in print order, before the work history."""
        return (
            (SECTION_PERSONAL, self.personal),
            (SECTION_CERTIFICATE, self.certificate),
            (SECTION_ARRANGEMENT, self.arrangement),
            (SECTION_POST, self.current_post),
        )

    def status_line(self) -> str:
        return f"申请状态：{self.status_label}    提交时间：{self.submitted_at}"


def format_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def format_time(value: datetime) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def appointment_line(start: datetime, end: datetime | None) -> str:
    """R-SLOT-2: ``2026-03-13 14:00–15:00`` in Beijing time."""
    tail = f"–{end.astimezone(CHINA_TIME).strftime('%H:%M')}" if end else ""
    return f"{format_time(start)}{tail}"


def build_view(form: ApplicationForm) -> FormView:
    cert, place, post = form.certificate, form.arrangement, form.current_post
    return FormView(
        application_number=form.application_number,
        status_label=form.status_label,
        submitted_at=format_time(form.submitted_at),
        personal=(
            (("姓名", form.applicant_name), ("性别", form.gender)),
            (("民族", form.ethnicity), ("出生日期", format_date(form.birth_date))),
            (("证件类型", form.document_type), ("证件号码", form.document_number)),
            (("手机号码", form.mobile_masked), ("电子邮箱", form.email)),
        ),
        certificate=(
            (("证书号码", cert.number), ("资格种类", cert.type_name)),
            (("任教学科", cert.subject), ("颁发日期", format_date(cert.issue_date))),
            (("颁发机构", cert.issuing_body),),
        ),
        arrangement=(
            (("注册机构", place.authority_name),),
            (("现场确认点", place.point_name),),
            (("确认点地址", place.point_address),),
            (("现场确认时间", f"{format_time(place.window_start)} 至 {format_time(place.window_end)}"),),
            *(((("预约时段", appointment_line(place.appointment_start, place.appointment_end)),),)
               if place.appointment_start else ()),
        ),
        current_post=(
            (("任职学校", post.school),),
            (("职务", post.post), ("任教学段", post.teaching_stage)),
            (("任教学科", post.subject), ("聘用起始时间", format_date(post.employment_start))),
        ),
        work_history=tuple(
            (format_date(w.start), format_date(w.end) if w.end else "至今", w.school, w.post)
            for w in form.work_history
        ),
        assessments=tuple((f"{a.year}年度", a.result) for a in form.annual_assessments),
        ethics=((("师德考核结果", form.ethics_assessment),),),
        education=((("累计学时", f"{form.continuing_education_hours} 学时"),),),
    )
