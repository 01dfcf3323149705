"""Notices: the 公示 of a round's results and the rectification notices (整改通知书) per unit.

The 公示 is only made for a published (frozen) round: it carries the snapshot hash and the audit
chain head as anchors, so anyone can later check that the published figures are the ones frozen.
Dates, the objection channels and the deadline are parameters; what is not given is left as a
blank to fill in by hand (____年__月__日).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from ..errors import AssessError, NotFound

if TYPE_CHECKING:
    from ..db import Database
    from .data import ReportData

BLANK_DATE = "____年__月__日"
BLANK = "________________"
CN_NUMBERS = "一二三四五六七八九十"


@dataclass
class NoticeParams:
    issuer: str = "考核工作领导小组办公室"
    start: date | None = None  # first day of the 公示 period
    end: date | None = None  # last day
    days: int = 5  # length in working days, shown when the dates are not given
    phone: str | None = None
    address: str | None = None
    email: str | None = None
    deadline: date | None = None  # objections received until (default: the last day)
    issued_on: date | None = None
    show_scores: bool = True  # list composite scores, not only rank and grade
    extra: list[str] = field(default_factory=list)  # further paragraphs, e.g. the 公示 venue


def cn_date(d: date | None) -> str:
    return BLANK_DATE if d is None else f"{d.year}年{d.month}月{d.day}日"


def _cn_index(i: int) -> str:
    return CN_NUMBERS[i - 1] if 1 <= i <= len(CN_NUMBERS) else str(i)


def results_title(round_name: str) -> str:
    """ "2026年第二季度考核" → "2026年第二季度考核结果"; other names get "考核结果"."""
    return f"{round_name}结果" if round_name.endswith("考核") else f"{round_name}考核结果"


def report_title(round_name: str) -> str:
    return results_title(round_name) + "报告"


def publication_notice(data: ReportData, params: NoticeParams | None = None) -> str:
    """The 公示 text of a published round."""
    p = params or NoticeParams()
    if not data.published:
        raise AssessError(
            f"考核轮次“{data.round_name}”尚未公示冻结，不能生成公示通知（公示须以数据快照哈希为锚点）；"
            "请先完成审议票决并公示冻结。"
        )
    snap = data.snapshot or {}
    title = results_title(data.round_name)
    lines = [f"关于{title}的公示", ""]
    approved = ""
    passed = [v for v in data.approvals if v["passed"]]
    if passed:
        v = passed[-1]
        approved = f"经考核委员会审议票决（应到 {v['expected']} 人，实到 {v['present']} 人，赞成 {v['yes']} 票）通过，"
    lines.append(
        f"    根据《{data.scheme_name}》（第 {data.scheme_version} 版）的规定，经单位自查、重点检查与核查、民主评议和"
        f"综合评估，{title}（考核期间 {data.period}）已产生，{approved}现予以公示。"
    )
    lines.append("")
    if p.start or p.end:
        period = f"{cn_date(p.start)}至{cn_date(p.end)}"
    else:
        period = f"{BLANK_DATE}至{BLANK_DATE}（{p.days} 个工作日）"
    lines.append(f"    一、公示期：{period}。")
    lines.append("    二、考核结果（各类别内按名次排列，同分同名次）：")
    for i, cat in enumerate(data.categories, start=1):
        part = data.category_results(cat)
        lines.append(f"    （{_cn_index(i)}）{cat}（{len(part)} 个单位）")
        for r in part.itertuples():
            score = f"  综合得分 {r.composite:.{data.scheme.precision}f}" if p.show_scores else ""
            lines.append(f"        第 {int(r.rank)} 名  {r.unit_name}{score}  等次：{r.grade}")
    if not data.cadres.empty:
        lines.append(f"    （{_cn_index(len(data.categories) + 1)}）干部民主测评（勤廉双述）等次")
        for r in data.cadres.itertuples():
            lines.append(f"        {r.unit_name}  {r.cadre_name}（{r.position}）  等次：{r.grade}")
    deadline = p.deadline or p.end
    lines.append(
        "    三、公示期间，对考核结果有异议的，可以书面、电话或来访等方式向"
        f"{p.issuer}反映。反映情况应实事求是、客观公正；以单位名义反映的应加盖公章，以个人名义反映的应署真实姓名并"
        "提供联系方式。对反映的问题，将依规核实处理并予以答复。"
    )
    lines.append(f"        联系电话：{p.phone or BLANK}")
    lines.append(f"        通讯地址：{p.address or BLANK}")
    lines.append(f"        电子邮箱：{p.email or BLANK}")
    lines.append(f"        异议受理截止时间：{cn_date(deadline)}")
    lines.append(
        "    四、本公示所列结果以公示冻结时的数据快照为准，可凭以下锚点核验（assess audit verify --anchor 审计链头）："
    )
    lines.append(f"        数据快照哈希（SHA-256）：{snap.get('content_hash', '')}")
    lines.append(f"        审计链头：{snap.get('audit_head', '')}")
    for n, text in enumerate(p.extra, start=5):
        lines.append(f"    {_cn_index(n)}、{text}")
    lines += ["", f"{' ' * 32}{p.issuer}", f"{' ' * 32}{cn_date(p.issued_on)}"]
    return "\n".join(lines) + "\n"


@dataclass
class UnitNotices:
    unit_id: int
    unit_code: str
    unit_name: str
    texts: list[str]  # one 整改通知书 per rectification

    @property
    def text(self) -> str:
        return ("\n\n" + "—" * 30 + "\n\n").join(self.texts)


def rectification_notices(
    db: Database, round_id: int, issuer: str = "考核工作领导小组办公室"
) -> list[UnitNotices]:
    """The rectification notices of a round grouped by unit (unit code order). A finding that was
    corrected by a later record is replaced by the correction."""
    from sqlmodel import select

    from ..guards import get_round
    from ..models import Finding, Rectification, RectificationEvent, SchemeVersion, Unit
    from ..schemes.definition import from_dict

    own_text = _findings_notice_text()
    with db.read() as s:
        rnd = get_round(s, round_id)
        scheme = from_dict(s.get(SchemeVersion, rnd.scheme_version_id).definition)
        names = {ind.code: ind.name for ind, _l, _p in scheme.walk()}
        findings = s.exec(select(Finding).where(Finding.round_id == round_id)).all()
        superseded = {f.corrects_id for f in findings if f.corrects_id}
        current = {f.id: f for f in findings if f.id not in superseded}
        recs = (
            s.exec(
                select(Rectification)
                .where(Rectification.finding_id.in_(list(current)))
                .order_by(Rectification.issued_at, Rectification.id)
            ).all()
            if current
            else []
        )
        status: dict[int, str] = {}
        if recs:
            for ev in s.exec(
                select(RectificationEvent)
                .where(RectificationEvent.rectification_id.in_([r.id for r in recs]))
                .order_by(RectificationEvent.at, RectificationEvent.id)
            ):
                status[ev.rectification_id] = ev.status
        units = (
            {u.id: u for u in s.exec(select(Unit).where(Unit.id.in_({f.unit_id for f in current.values()})))}
            if current
            else {}
        )
        round_name, period = rnd.name, rnd.period
    grouped: dict[int, list[str]] = {}
    for r in recs:
        f = current[r.finding_id]
        unit = units[f.unit_id]
        text = (
            own_text(db, r.id)
            if own_text
            else _notice_text(round_name, period, unit.name, f, r, names, status.get(r.id), issuer)
        )
        grouped.setdefault(unit.id, []).append(text)
    out = [UnitNotices(uid, units[uid].code, units[uid].name, texts) for uid, texts in grouped.items()]
    return sorted(out, key=lambda n: n.unit_code)


def _findings_notice_text():
    """``assess.findings.notice_text(db, rectification_id)`` when that module provides it."""
    try:
        from .. import findings
    except ImportError:
        return None
    fn = getattr(findings, "notice_text", None)
    return fn if callable(fn) else None


STATUS_WORDS = {
    "rectifying": "整改中",
    "rectified": "已整改待复查",
    "closed": "已复查销号",
    "reopened": "重新整改",
}


def _notice_text(
    round_name: str,
    period: str,
    unit_name: str,
    finding,
    rect,
    names: dict[str, str],
    status: str | None,
    issuer: str,
) -> str:
    indicator = ""
    if finding.indicator_code:
        indicator = (
            f"（涉及指标：{finding.indicator_code} {names.get(finding.indicator_code, '')}".rstrip() + "）"
        )
    lines = [
        "整改通知书",
        f"编号：{rect.notice_no}",
        "",
        f"{unit_name}：",
        f"    在{round_name}（考核期间 {period}）的检查中，发现你单位存在以下问题{indicator}：",
        f"    {finding.description}（问题等级：{finding.severity}）",
        f"    整改要求：{rect.requirement or '按有关规定立即整改。'}",
        f"    请于 {cn_date(rect.deadline)} 前整改到位，并将整改情况书面报送{issuer}。逾期未整改或整改不到位的，"
        "将按有关规定予以提醒、通报直至问责。",
    ]
    if status:
        lines.append(f"    当前状态：{STATUS_WORDS.get(status, status)}")
    issued = rect.issued_at.date() if rect.issued_at else None
    lines += ["", f"{' ' * 32}{issuer}", f"{' ' * 32}{cn_date(issued)}"]
    return "\n".join(lines)


def rectification_notices_for_unit(db: Database, round_id: int, unit_code: str, **kw) -> UnitNotices:
    for n in rectification_notices(db, round_id, **kw):
        if n.unit_code == unit_code:
            return n
    raise NotFound(f"单位 {unit_code} 在该轮次没有整改通知。")


def notice_html(title: str, texts: list[str], footer_note: str = "") -> str:
    """Plain notices as a printable page (one notice per page) for printing to PDF."""
    pages = []
    for t in texts:
        first, _, rest = t.partition("\n")
        pages.append(f'<section class="notice"><h1>{escape(first)}</h1><pre>{escape(rest)}</pre></section>')
    note = f'<p class="note">{escape(footer_note)}</p>' if footer_note else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>"
        'body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;font-size:15px;line-height:1.9;margin:0}'
        "h1{text-align:center;font-size:22px;margin:0 0 18px}"
        "pre{font-family:inherit;white-space:pre-wrap;word-break:break-all;margin:0}"
        "section.notice+section.notice{break-before:page;page-break-before:always}"
        ".note{color:#555;font-size:11px}@page{size:A4}"
        f"</style></head><body>{''.join(pages)}{note}</body></html>"
    )
