"""Notices: the 公示 of a round's results and the rectification notices (整改通知书) per unit.

The 公示 is only made for a published (frozen) round: it carries the snapshot hash and the audit
chain head as anchors, so anyone can later check that the published figures are the ones frozen.
Dates, the objection channels and the deadline are parameters; what is not given is left as a
blank to fill in by hand (____年__月__日).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from assess.foundation.errors import NotFound
from assess.foundation.periods import cn_date as words
from assess.reports.official import NoticeParams, doc_text, publicity_doc, rectification_docs

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.reports.data import ReportData

BLANK_DATE = "____年__月__日"




def cn_date(d: date | None) -> str:
    return words(d, BLANK_DATE)


def results_title(round_name: str) -> str:
    """ "2026年第二季度考核" → "2026年第二季度考核结果"; other names get "考核结果"."""
    return f"{round_name}结果" if round_name.endswith("考核") else f"{round_name}考核结果"


def report_title(round_name: str) -> str:
    return results_title(round_name) + "报告"


def publication_notice(data: ReportData, params: NoticeParams | None = None) -> str:
    """The 公示 text of a published round (``official.publicity_doc`` as plain text)."""

    return doc_text(publicity_doc(data, params))


@dataclass
class UnitNotices:
    unit_id: int
    unit_code: str
    unit_name: str
    texts: list[str]  # one 整改通知书 per rectification

    @property
    def text(self) -> str:
        return ("\n\n" + "—" * 30 + "\n\n").join(self.texts)


def rectification_notices(db: Database, round_id: int, issuer: str | None = None) -> list[UnitNotices]:
    """The rectification notices of a round grouped by unit (unit code order), as text
    (``official.rectification_docs``). A finding that was corrected by a later record is replaced
    by the correction."""
    from sqlmodel import select

    from assess.models import Unit

    docs = rectification_docs(db, round_id, issuer)
    with db.read() as s:
        units = {u.code: u for u in s.exec(select(Unit))}
    grouped: dict[str, list[str]] = {}
    for d in docs:
        grouped.setdefault(d.subject_code, []).append(doc_text(d).rstrip("\n"))
    out = [UnitNotices(units[code].id, code, units[code].name, texts) for code, texts in grouped.items()]
    return sorted(out, key=lambda n: n.unit_code)


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
