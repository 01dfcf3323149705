"""The office's documents as content: the 考核通报 (quarterly summary), the 公示, the 整改通知书 and
the accountability 建议名单, each an :class:`OfficialDoc` of the parts a Chinese official document
has (GB/T 9704: 版头, 发文字号, 标题, 主送, 正文, 落款, 成文日期). ``docx.write_docx`` lays one out
as a Word document and :func:`doc_text` as plain text; both show the same words (docs/documents.md).

The public 公示 carries no hash or command in its body: a short 校验码 (the first twelve hex digits
of the snapshot hash) goes in the footer, and the full anchors on an internal appendix page that is
not posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.errors import AssessError, NotFound
from assess.foundation.periods import cn_date
from assess.foundation.settings import local_today, office
from assess.foundation.vocabulary import RECTIFICATION_STATUS_LABELS, RectificationStatus
from assess.foundation.write_guards import get_round
from assess.reports.textbars import text_width
from assess.results.reasons import period_text
from assess.rounds.deadlines import stage_timeliness
from assess.rounds.findings import PAGE_WIDTH, ledger, local_date
from assess.rounds.lifecycle import round_scheme
from assess.schemes.definition import doc_number, document_title

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.reports.data import ReportData
    from assess.schemes.definition import SchemeDef

CN_ORDINALS = "一二三四五六七八九十"
BLANK = "________________"
CHECK_CODE_LENGTH = 12


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    nowrap: set[int] = field(default_factory=set)  # columns that must stay on one line (names, grades)
    numeric: set[int] = field(default_factory=set)  # right-aligned columns
    small: bool = False  # a wide list: printed in a smaller size (五号 instead of 小四)


@dataclass
class Block:
    """One part of the body: ``heading`` (一、…), ``subheading`` (（一）…), ``para`` (indented two
    characters), ``line`` (not indented, e.g. 联系电话), or ``table``."""

    kind: str
    text: str = ""
    table: Table | None = None


@dataclass
class OfficialDoc:
    kind: str  # bulletin | publicity | rectification | accountability
    issuer: str  # 发文机关 (版头 and 落款)
    title: str
    doc_no: str = ""  # 发文字号, empty for a 公示
    recipients: str = ""  # 主送, without the colon
    blocks: list[Block] = field(default_factory=list)
    signed_on: date | None = None  # 成文日期; None leaves a blank to fill in
    mark: str = ""  # e.g. 审核稿（未公示，不得外传）
    footer: str = ""  # printed at the foot of every page (校验码)
    appendix_title: str = ""
    appendix: list[Block] = field(default_factory=list)  # internal page, not posted
    header: bool = True  # print the 版头 (发文机关标志 and red line)
    subject_code: str = ""  # the unit a 整改通知书 is addressed to

    def texts(self) -> list[str]:
        """Every piece of text a reader sees, for checks."""
        out = [self.issuer, self.title, self.doc_no, self.recipients, self.mark, self.footer, self.appendix_title]
        for b in [*self.blocks, *self.appendix]:
            out.append(b.text)
            if b.table is not None:
                out += b.table.headers
                out += [c for row in b.table.rows for c in row]
        return [t for t in out if t]


def cn_ordinal(i: int) -> str:
    return CN_ORDINALS[i - 1] if 1 <= i <= len(CN_ORDINALS) else str(i)


def check_code(content_hash: str) -> str:
    """The short 校验码 printed on a public notice: the first 12 hex digits of the snapshot hash in
    groups of four (``assess audit verify`` accepts it as a prefix of the full hash)."""
    h = (content_hash or "").upper()[:CHECK_CODE_LENGTH]
    return "-".join(h[i : i + 4] for i in range(0, len(h), 4))


def issuer_of(scheme: SchemeDef | None, explicit: str | None = None) -> str:
    """The issuing office: the one given for this document (``--issuer``), else the scheme's
    ``issuer``, else the office setting (``assess.foundation.settings.office().issuer``)."""

    for value in (explicit, scheme.issuer if scheme is not None else None):
        if value and value.strip():
            return value.strip()
    return office().issuer


def _year(period: str) -> int:
    try:
        return int(str(period)[:4])
    except ValueError:
        return local_today().year


def _scores(data: ReportData, value: Any) -> str:
    return f"{float(value):.{data.scheme.precision}f}"


# -- 考核通报 ----------------------------------------------------------------------------------------


def ranking_table(data: ReportData, category: str, with_scores: bool = True) -> Table:
    """名次, 单位, 综合得分, 等次 of a category: the table of the 通报 and the 公示."""
    headers = ["名次", "单位", *([data.composite_label] if with_scores else []), "等次"]
    rows = []
    for r in data.category_results(category).itertuples():
        rows.append([str(int(r.rank)), str(r.unit_name), *([_scores(data, r.composite)] if with_scores else []), str(r.grade)])
    grade_col = len(headers) - 1
    return Table(headers, rows, nowrap={0, 1, grade_col, *( {2} if with_scores else set())}, numeric={0, *({2} if with_scores else set())})


def grade_counts(data: ReportData, category: str | None = None) -> str:
    """优秀 2 个、良好 5 个 …, grades in the scheme's order (best first)."""
    res = data.results if category is None else data.category_results(category)
    order = [b.grade for b in sorted(data.scheme.bands, key=lambda b: -b.min)]
    order += [g for g in res["grade"].unique() if g not in order]
    parts = [f"{g}{int((res['grade'] == g).sum())}个" for g in order if (res["grade"] == g).any()]
    return "、".join(parts)


def accountability_rows(data: ReportData) -> list[list[str]]:
    """序号, 对象, 问责事由, 依据, 建议处理, 状态 — the reason from the figures; a cadre is named
    with the unit: 张建国（镇长，城关镇）."""
    rows = []
    for i, r in enumerate(data.accountability.itertuples(), start=1):
        subject = str(r.subject)
        if r.unit_name and r.unit_name != r.subject:
            subject = f"{subject[:-1]}，{r.unit_name}）" if subject.endswith("）") else f"{subject}（{r.unit_name}）"
        rows.append([str(i), subject, str(r.figures), str(r.rule_text), str(r.proposed_action), str(r.status_label)])
    return rows


def rectification_summary(findings: list) -> tuple[list[str], list[list[str]]]:
    """Sentences on the 整改 status of the round's findings (``findings.ledger`` rows) and the
    table of notices not yet closed."""
    rows = [x for x in findings if x.rectification_id is not None]
    if not rows:
        return ["本期检查未发现需要下发整改通知的问题。"], []
    closed = sum(1 for x in rows if x.status == RectificationStatus.CLOSED)
    done = sum(1 for x in rows if x.status == "rectified")
    late = [x for x in rows if x.overdue]
    text = (
        f"本期共下发整改通知书{len(rows)}份，已复查销号{closed}份，已整改待复查{done}份，"
        f"正在整改{len(rows) - closed - done}份"
    )
    text += f"，其中逾期未整改{len(late)}份。" if late else "，均在整改期限内。"
    table = [
        [
            x.unit_name,
            x.notice_no or "",
            cn_date(x.deadline),
            x.status_label + (f"（逾期{x.days_overdue}天）" if x.overdue else ""),
        ]
        for x in rows
        if x.status != RectificationStatus.CLOSED
    ]
    return [text], table


def bulletin_doc(db: Database, data: ReportData, params: NoticeParams | None = None) -> OfficialDoc:
    """考核通报: the quarter's summary (一季一小结) — rankings by category, grades, the main
    problems and the 整改 status."""

    p = _params(params)
    scheme = data.scheme
    period = period_text(data.period)
    issuer = issuer_of(scheme, p.issuer)
    blocks: list[Block] = []
    blocks.append(
        Block(
            "para",
            f"根据《{document_title(scheme)}》，{issuer}组织开展了{period}考核工作。经单位自查、重点抽查核查、民主评议和"
            f"综合评定，并经审议通过，现将考核结果通报如下。",
        )
    )
    if data.published and data.publicity:
        last = data.publicity[-1]
        answered = sum(1 for o in data.objections if o.get("decision"))
        upheld = sum(1 for o in data.objections if o.get("decision") == "uphold")
        blocks.append(
            Block(
                "para",
                f"考核结果已于{cn_date(date.fromisoformat(last['starts_on']))}至{cn_date(date.fromisoformat(last['ends_on']))}"
                f"公示，公示期间收到异议{len(data.objections)}件，已全部答复（{answered}件），其中采纳{upheld}件并经复核和审议票决。"
                "以下为定稿结果。",
            )
        )
    elif data.in_publicity:
        last = data.publicity[-1]
        blocks.append(
            Block(
                "para",
                f"以下结果正在公示（{cn_date(date.fromisoformat(last['starts_on']))}至"
                f"{cn_date(date.fromisoformat(last['ends_on']))}），为公示稿，定稿以公示期满后的结果为准。",
            )
        )
    blocks.append(Block("heading", "一、考核结果"))
    blocks.append(
        Block(
            "para",
            f"本期共考核{len(data.results)}个单位，在各自类别内排名，同分同名次。等次分布：{grade_counts(data)}。",
        )
    )
    for i, cat in enumerate(data.categories, start=1):
        blocks.append(Block("subheading", f"（{cn_ordinal(i)}）{cat}（{grade_counts(data, cat)}）"))
        blocks.append(Block("table", table=ranking_table(data, cat)))

    today = p.issued_on or local_today()
    findings = ledger(db, data.round_id, today)
    blocks.append(Block("heading", "二、发现的主要问题"))
    problems = [f"{x.unit_name}：{x.description.rstrip('。；; ')}（{x.severity}）。" for x in findings]
    problems += [f"{r.subject}：{r.figures}。" for r in data.accountability.itertuples()]
    if problems:
        blocks += [Block("para", f"{i}. {t}") for i, t in enumerate(problems, start=1)]
    else:
        blocks.append(Block("para", "本期检查和考核未发现需要通报的问题。"))
    blocks.append(Block("heading", "三、整改落实情况"))
    texts, open_rows = rectification_summary(findings)
    blocks += [Block("para", t) for t in texts]
    if open_rows:
        blocks.append(
            Block("table", table=Table(["单位", "通知书编号", "整改期限", "整改状态"], open_rows, nowrap={0, 1, 2}))
        )

    stages = stage_timeliness(db, data.round_id, today)
    if stages:  # the rounds' stage deadlines (阶段期限): which were met, which overran and by how much
        late = [x for x in stages if x.days_late]
        lead = f"本期有{len(late)}个阶段逾期" if late else "本期各阶段均按期完成"
        blocks.append(Block("para", f"{lead}：" + "；".join(x.text for x in stages) + "。"))
    n = "四"
    if data.consequences is not None:
        blocks.append(Block("heading", "四、考核结果运用"))
        if data.consequences:
            blocks.append(Block("para", "根据考核办法，本期考核结果运用如下："))
            for i, r in enumerate(data.consequences, start=1):
                who = r["name"] + (f"（{r['unit_name']}）" if r.get("unit_name") else "")
                blocks.append(Block("para", f"{i}. {who}：{r['consequence']}（{r['basis']}）。"))
        else:
            blocks.append(Block("para", "本期考核结果没有需要运用的情形。"))
        n = "五"
    blocks.append(Block("heading", f"{n}、工作要求"))
    blocks.append(
        Block(
            "para",
            "各单位要对照考核结果认真查找差距，举一反三抓好整改。排名靠后和被通报问题的单位，要深入剖析原因，"
            "制定整改措施，按期报送整改情况。考核结果将作为年度综合考评和评先评优的重要依据。",
        )
    )
    return OfficialDoc(
        kind="bulletin",
        issuer=issuer,
        title=f"关于{period}考核结果的通报",
        doc_no=doc_number(scheme, _year(data.period), p.doc_no),
        recipients=scheme.recipients or "各被考核单位",
        blocks=blocks,
        signed_on=p.issued_on,
        mark=data.draft_mark,
    )


# -- 公示 --------------------------------------------------------------------------------------------


def publicity_doc(data: ReportData, params: NoticeParams | None = None) -> OfficialDoc:
    """The 公示 of a published round: results by category, the period and the objection channels;
    the 校验码 in the footer and the anchors on the internal appendix."""

    p = _params(params)
    if not (data.published or data.in_publicity):
        raise AssessError(
            f"考核轮次“{data.round_name}”尚未公示，不能生成公示（公示须以公示快照为准）；"
            "请先完成审议票决并开始公示。"
        )
    last = data.publicity[-1] if data.publicity else None
    if data.in_publicity:
        snap = {"content_hash": last["content_hash"], "audit_head": last["audit_head"]}
        if not (p.start or p.end):  # the period the office set when it opened the 公示

            p = replace(p, start=date.fromisoformat(last["starts_on"]), end=date.fromisoformat(last["ends_on"]))
    else:
        snap = data.snapshot or {}
    period = period_text(data.period)
    issuer = issuer_of(data.scheme, p.issuer)
    approved = ""
    passed = [v for v in data.approvals if v["passed"]]
    if passed:
        v = passed[-1]
        approved = f"经审议票决（应到{v['expected']}人，实到{v['present']}人，赞成{v['yes']}票）通过，"
    blocks = [
        Block(
            "para",
            f"根据《{document_title(data.scheme)}》的规定，经单位自查、重点检查与核查、民主评议和综合评估，"
            f"{period}考核结果已产生，{approved}现予以公示。",
        )
    ]
    if p.start or p.end:
        span = f"{cn_date(p.start)}至{cn_date(p.end)}"
    else:
        span = f"{cn_date(None)}至{cn_date(None)}（{p.days}个工作日）"
    blocks.append(Block("heading", f"一、公示期：{span}。"))
    blocks.append(Block("heading", "二、考核结果（各类别内按名次排列，同分同名次）"))
    for i, cat in enumerate(data.categories, start=1):
        blocks.append(Block("subheading", f"（{cn_ordinal(i)}）{cat}（{len(data.category_results(cat))}个单位）"))
        blocks.append(Block("table", table=ranking_table(data, cat, with_scores=p.show_scores)))
    if not data.cadres.empty:
        blocks.append(Block("subheading", f"（{cn_ordinal(len(data.categories) + 1)}）干部民主测评（勤廉双述）等次"))
        rows = [[str(r.unit_name), str(r.cadre_name), str(r.position), str(r.grade)] for r in data.cadres.itertuples()]
        blocks.append(Block("table", table=Table(["单位", "姓名", "职务", "等次"], rows, nowrap={1, 3})))
    blocks.append(
        Block(
            "heading",
            "三、公示期间，对考核结果有异议的，可以书面、电话或来访等方式反映。反映情况应实事求是、客观公正；"
            "以单位名义反映的应加盖公章，以个人名义反映的应署真实姓名并提供联系方式。对反映的问题，将依规核实处理并予以答复。",
        )
    )
    deadline = p.deadline or p.end
    if last is not None and last.get("contact") and data.in_publicity:
        blocks.append(Block("line", f"受理异议：{last['contact']}"))
    blocks += [
        Block("line", f"联系电话：{p.phone or BLANK}"),
        Block("line", f"通讯地址：{p.address or BLANK}"),
        Block("line", f"电子邮箱：{p.email or BLANK}"),
        Block("line", f"异议受理截止时间：{cn_date(deadline)}"),
    ]
    for n, text in enumerate(p.extra, start=4):
        blocks.append(Block("heading", f"{cn_ordinal(n)}、{text}"))
    code = check_code(snap.get("content_hash", ""))
    appendix = [
        Block("para", "本页为内部核验附页，随公示材料归档，不对外张贴。"),
        Block(
            "table",
            table=Table(
                ["项目", "内容"],
                [
                    ["考核轮次", data.round_name],
                    ["考核期间", period],
                    ["校验码", code],
                    ["数据快照哈希（SHA-256）", snap.get("content_hash", "")],
                    ["公示快照时审计链头" if data.in_publicity else "公示冻结时审计链头", snap.get("audit_head", "")],
                    ["核验方法", f"assess audit verify --anchor {snap.get('audit_head', '')}"],
                ],
                nowrap={0},
            ),
        ),
    ]
    return OfficialDoc(
        kind="publicity",
        issuer=issuer,
        title=f"关于{period}考核结果的公示",
        blocks=blocks,
        signed_on=p.issued_on,
        footer=f"校验码 {code}",
        appendix_title="内部附页：公示数据核验锚点",
        appendix=appendix,
        header=False,
    )


# -- 整改通知书 --------------------------------------------------------------------------------------


def rectification_docs(
    db: Database, round_id: int, issuer: str | None = None, rectification_id: int | None = None
) -> list[OfficialDoc]:
    """One 整改通知书 per rectification of the round (newest finding versions), in unit code order;
    only the one asked for with ``rectification_id``."""
    from sqlmodel import select

    from assess.models import Rectification

    with db.read() as s:
        rnd = get_round(s, round_id)
        scheme = round_scheme(s, rnd)
        issued = {r.id: r.issued_at for r in s.exec(select(Rectification))}
        period = period_text(rnd.period)
    names = {ind.code: ind.name for ind, _l, _p in scheme.walk()}
    who = issuer_of(scheme, issuer)
    rows = [
        x
        for x in ledger(db, round_id, include_superseded=rectification_id is not None)
        if x.rectification_id is not None and rectification_id in (None, x.rectification_id)
    ]
    docs = []
    for x in sorted(rows, key=lambda x: (x.unit_code, x.notice_no or "")):
        indicator = f"（涉及指标：{names.get(x.indicator_code, x.indicator_code)}）" if x.indicator_code else ""
        blocks = [
            Block(
                "para",
                f"根据《{document_title(scheme)}》和{period}考核工作安排，经检查核实，你单位存在以下问题{indicator}：",
            ),
            Block("para", f"{x.description}（问题等级：{x.severity}；登记日期：{cn_date(local_date(x.found_at))}）"),
            Block("para", "现就有关事项通知如下："),
            Block("heading", f"一、整改要求：{x.requirement or '按有关规定立即整改。'}"),
            Block("heading", f"二、整改期限：请于{cn_date(x.deadline)}前整改到位。"),
            Block(
                "heading",
                f"三、请在整改期限内将整改落实情况书面报送{who}，并附相关佐证材料；经复查验收合格后予以销号。",
            ),
            Block("heading", "四、逾期未整改或整改不到位的，将按照考核办法予以通报，并依规依纪追究相关责任。"),
        ]
        if x.status not in (RectificationStatus.OPEN, RectificationStatus.NONE):
            blocks.append(Block("line", f"（当前状态：{RECTIFICATION_STATUS_LABELS.get(x.status, x.status)}）"))
        docs.append(
            OfficialDoc(
                kind="rectification",
                issuer=who,
                title="整改通知书",
                doc_no=x.notice_no or "",
                recipients=x.unit_name,
                subject_code=x.unit_code,
                blocks=blocks,
                signed_on=local_date(issued[x.rectification_id]) if x.rectification_id in issued else None,
                header=False,
            )
        )
    return docs


# -- 问责建议名单 ------------------------------------------------------------------------------------


def accountability_doc(data: ReportData, params: NoticeParams | None = None) -> OfficialDoc:
    """The accountability 建议名单 for the leading group: each entry with its reason sentence, the
    rule it falls under and the proposed action."""

    p = _params(params)
    period = period_text(data.period)
    issuer = issuer_of(data.scheme, p.issuer)
    rows = accountability_rows(data)
    blocks = [
        Block(
            "para",
            f"根据《{document_title(data.scheme)}》有关问责规定，对照{period}考核结果，"
            + (f"共有{len(rows)}项情形触发问责规则，现将问责建议名单报告如下，请审定。" if rows else "本期未触发问责规则。"),
        )
    ]
    if rows:
        headers = ["序号", "对象", "问责事由", "依据", "建议处理", "状态"]
        blocks.append(Block("table", table=Table(headers, rows, nowrap={0, 1, 5}, numeric={0}, small=True)))
    return OfficialDoc(
        kind="accountability",
        issuer=issuer,
        title=f"关于{period}考核问责建议名单的报告",
        doc_no=doc_number(data.scheme, _year(data.period), p.doc_no),
        recipients="考核工作领导小组",
        blocks=blocks,
        signed_on=p.issued_on,
        mark=data.draft_mark,
    )


def _params(params: NoticeParams | None) -> NoticeParams:
    return params or NoticeParams()


# -- plain text --------------------------------------------------------------------------------------


def doc_text(doc: OfficialDoc, appendix: bool = True) -> str:
    """The document as plain text (the .txt beside the DOCX/PDF), the same words; with
    ``appendix`` the internal appendix follows a dividing line."""

    width = 72

    def centre(t: str) -> str:
        return " " * max(0, (width - text_width(t)) // 2) + t

    def right(t: str) -> str:
        return " " * max(0, width - 4 - text_width(t)) + t

    out: list[str] = []
    if doc.mark:
        out += [centre(doc.mark), ""]
    if doc.header:
        out += [centre(doc.issuer + ("文件" if doc.kind == "bulletin" else "")), ""]
    if doc.doc_no:
        out += [centre(doc.doc_no), ""]
    out += [centre(doc.title), ""]
    if doc.recipients:
        out.append(f"{doc.recipients}：")
    out += _blocks_text(doc.blocks)
    out += ["", right(doc.issuer), right(cn_date(doc.signed_on))]
    if doc.footer:
        out += ["", doc.footer]
    if doc.appendix and appendix:
        out += ["", "—" * 30, "", appendix_text(doc)]
    return "\n".join(out) + "\n"


def appendix_text(doc: OfficialDoc) -> str:
    """The internal appendix page alone (title first)."""
    return "\n".join([doc.appendix_title, "", *_blocks_text(doc.appendix)])


def _blocks_text(blocks: list[Block]) -> list[str]:
    out = []
    for b in blocks:
        if b.kind == "table" and b.table is not None:
            out.append("    " + "  ".join(b.table.headers))
            out += ["    " + "  ".join(row) for row in b.table.rows]
        elif b.kind == "line":
            out.append(f"        {b.text}")
        else:
            out.append(f"    {b.text}")
    return out


def notice_text(db: Database, rectification_id: int, issuer: str | None = None) -> str:
    """The rectification notice (整改通知书) as text (``reports.official.rectification_docs``, the
    words of the DOCX too), ending with the audit chain head as an anchor: anyone holding the
    notice can later check with ``assess audit verify --anchor`` that no record up to it has been
    changed or removed."""
    from assess.models import Finding, Rectification

    with db.read() as s:
        rect = s.get(Rectification, rectification_id)
        if rect is None:
            raise NotFound(f"第 {rectification_id} 号整改通知不存在。")
        finding = s.get(Finding, rect.finding_id)
        assert finding is not None  # the notice's finding (a foreign key)
        round_id = finding.round_id
    docs = rectification_docs(db, round_id, issuer, rectification_id=rectification_id)
    if not docs:
        raise NotFound(f"第 {rectification_id} 号整改通知所针对的问题已被更正，请查看更正后的问题的整改通知。")
    seq, head = audit.chain_head(db)
    return (
        doc_text(docs[0])
        + "\n"
        + "-" * PAGE_WIDTH
        + f"\n审计锚点：审计链头 #{seq} {head}\n（核对方法：assess audit verify --anchor {head}）\n"
    )


@dataclass
class NoticeParams:
    issuer: str | None = None  # None: the scheme's issuer, else the office setting
    doc_no: int | str | None = None  # the number in the 发文字号 (blank to fill in when not given)
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
