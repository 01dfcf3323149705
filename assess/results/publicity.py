"""公示 then objections then 定稿 (docs/architecture.md, “公示与定稿”).

- **公示** (``open_publicity``, the right ``publicity.open``: the same role as publishing): from
  已批准, with every accountability entry decided and the inputs unchanged since the results were
  computed, the office posts the results for a period — start date and end date, by default five
  working days counting the start day, Saturdays and Sundays skipped (``working_days_end``) —
  and says where objections go. A 公示 snapshot is written (the same format as the final one,
  ``round_view.live_content``; hashed, its hash in the ``publicity.open`` audit record) and the
  round moves to ``publicity`` (公示中). While in 公示 every output reads that snapshot and is
  marked 公示稿 (``round_view.published_content``).
- **异议** (``add_objection``): who (a named person, a unit, or anonymous with a contact), what
  (the text, the unit/cadre and the figure it concerns), when received (inside the period).
  Each is answered (``answer_objection``) 维持 or 采纳 with a reason, by whom and when. An upheld
  (采纳) objection reopens the round: a 退回 step (``objection``) in the review chain moves it back
  to 已计算; the office enters what changes (e.g. an adjustment), recomputes, and the chain runs
  again (初审 → 审核 → 复核 → 票决). The vote that passes links every upheld objection it settles
  (``settle_objections``). From 已批准 the office then opens a new 公示 or goes straight to 定稿.
- **定稿** (``finalize`` → ``publication.publish``, the one implementation of freezing): not
  before the last 公示's end date has passed (on the end date the 公示 still runs), nor while an
  objection is unanswered or an upheld one is not yet settled by a vote.
- ``diff``: what changed between the last 公示 snapshot and the final one (or, before 定稿, the
  live results): per unit score, rank, grade; per cadre score, grade; accountability entries.
- verification of every 公示 snapshot (its hash against its content and the audit record, its
  audit head in the chain, its results recomputed from its frozen inputs) is
  ``snapshot_check.verify_periods``, which ``integrity.verify_all`` runs for every round.

Objections and 公示 periods belong to the round: the final snapshot holds them and the freeze
triggers (migration o001) refuse any change once published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.foundation import audit, jsontext
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.settings import local_today
from assess.foundation.vocabulary import ACCOUNTABILITY_STATUS_LABELS as STATUS_LABELS
from assess.foundation.vocabulary import Decision, Stage
from assess.foundation.write_guards import get_round
from assess.results.objections import DECISIONS, SUBMITTER_KINDS, objection_problems, working_days_end
from assess.results.publication import approved_content, publish
from assess.results.round_view import live_content
from assess.rounds.lifecycle import lock_round, round_unit, set_stage, stage_label
from assess.rounds.snapshots import last_period, periods_of, published_content

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.results.publication import PublishResult





# -- reading ----------------------------------------------------------------------------------------
























# -- writing ----------------------------------------------------------------------------------------


@dataclass
class OpenResult:
    round_id: int
    period_id: int
    number: int
    starts_on: date
    ends_on: date
    content_hash: str
    audit_seq: int
    audit_head: str

    def message(self) -> str:
        return (
            f"第 {self.number} 次公示：{self.starts_on.isoformat()} 至 {self.ends_on.isoformat()}。"
            f"公示快照哈希 {self.content_hash}；审计链头 #{self.audit_seq} {self.audit_head}"
        )


def open_publicity(
    db: Database,
    actor: Actor,
    round_id: int,
    starts_on: date | None = None,
    ends_on: date | None = None,
    contact: str | None = None,
) -> OpenResult:
    """公示: from 已批准; writes the 公示 snapshot and moves the round to 公示中."""
    from assess.models import PublicityPeriod

    authorize(actor, "publicity.open")
    start = starts_on or local_today()
    end = ends_on or working_days_end(start)
    if end < start:
        raise Conflict(f"公示结束日期（{end.isoformat()}）不能早于开始日期（{start.isoformat()}）。")
    contact = (contact or "").strip() or None
    with db.write() as s:
        r = lock_round(s, round_id)
        if r.stage != Stage.APPROVED:
            raise Conflict(
                f"只有审议票决通过（已批准）的轮次才能公示；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
            )
        problems = objection_problems(s, round_id)
        if problems:
            raise Conflict("不能再次公示：" + "；".join(problems) + "。")
        content = approved_content(s, db, r, "公示")
        digest = jsontext.content_hash(content)
        number = len(periods_of(s, round_id)) + 1
        period = PublicityPeriod(
            round_id=round_id,
            starts_on=start,
            ends_on=end,
            contact=contact,
            content_hash=digest,
            audit_head="",
            content=content,
            opened_by=actor.username,
        )
        s.add(period)
        s.flush()
        assert period.id is not None  # flushed: the row has its id
        seq, head = audit.append(
            s,
            actor.username,
            "publicity.open",
            {
                "round_id": round_id,
                "period_id": period.id,
                "number": number,
                "starts_on": start.isoformat(),
                "ends_on": end.isoformat(),
                "contact": contact,
                "content_hash": digest,
            },
        )
        period.audit_head = head
        s.add(period)
        set_stage(s, actor.username, r, Stage.PUBLICITY, {"by": "publicity.open", "content_hash": digest})
        return OpenResult(round_id, period.id, number, start, end, digest, seq, head)


def add_objection(
    db: Database,
    actor: Actor,
    round_id: int,
    text: str,
    received_on: date,
    submitter_kind: str = "person",
    submitter: str | None = None,
    contact: str | None = None,
    unit_code: str | None = None,
    cadre_code: str | None = None,
    figure: str | None = None,
) -> int:
    """Register an objection received during the current 公示. Returns its id."""
    from sqlmodel import select

    from assess.models import Cadre, Objection

    authorize(actor, "objection.add")
    text = (text or "").strip()
    submitter = (submitter or "").strip() or None
    contact = (contact or "").strip() or None
    figure = (figure or "").strip() or None
    if submitter_kind not in SUBMITTER_KINDS:
        raise Conflict(f"异议人类别“{submitter_kind}”无效：应为 person（个人）、unit（单位）或 anonymous（匿名）。")
    if not text:
        raise Conflict("请写明异议内容。")
    if submitter_kind == "anonymous":
        if not contact:
            raise Conflict("匿名异议须留联系方式，以便答复。")
        submitter = None
    elif not submitter:
        raise Conflict("请写明异议人姓名。" if submitter_kind == "person" else "请写明提出异议的单位。")
    with db.write() as s:
        r = lock_round(s, round_id)
        if r.stage != Stage.PUBLICITY:
            raise Conflict(f"只有公示中的轮次才能登记异议；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。")
        p = last_period(s, round_id)
        assert p is not None and p.id is not None  # 公示中 is entered with its period, in one transaction
        if not p.starts_on <= received_on <= p.ends_on:
            raise Conflict(
                f"收到日期 {received_on.isoformat()} 不在公示期（{p.starts_on.isoformat()} 至 {p.ends_on.isoformat()}）内。"
            )
        unit_id = cadre_id = None
        if unit_code:
            unit_id = round_unit(s, round_id, unit_code)[0].id
        if cadre_code:
            cadre = s.exec(select(Cadre).where(Cadre.code == cadre_code.strip())).first()
            if cadre is None:
                raise NotFound(f"干部“{cadre_code}”不存在。")
            cadre_id = cadre.id
        o = Objection(
            round_id=round_id,
            period_id=p.id,
            submitter_kind=submitter_kind,
            submitter=submitter,
            contact=contact,
            unit_id=unit_id,
            cadre_id=cadre_id,
            figure=figure,
            text=text,
            received_on=received_on,
            registered_by=actor.username,
        )
        s.add(o)
        s.flush()
        assert o.id is not None  # flushed: the row has its id
        audit.append(
            s,
            actor.username,
            "objection.add",
            {
                "round_id": round_id,
                "objection_id": o.id,
                "period_id": p.id,
                "submitter_kind": submitter_kind,
                "submitter": submitter,
                "contact": contact,
                "unit_code": unit_code,
                "cadre_code": cadre_code,
                "figure": figure,
                "text": text,
                "received_on": received_on.isoformat(),
            },
        )
        return o.id


def answer_objection(db: Database, actor: Actor, objection_id: int, decision: str, reason: str) -> str:
    """维持 (maintain) or 采纳 (uphold) an objection with a reason. An upheld one reopens the round
    through the review chain (a 退回 step ``objection``; the round goes back to 已计算). Returns the
    round's stage."""
    from assess.models import Objection, ReviewStep

    authorize(actor, "objection.answer")
    if decision not in DECISIONS:
        raise Conflict(f"答复“{decision}”无效：应为 maintain（维持）或 uphold（采纳）。")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("答复异议须写明理由。")
    with db.write() as s:
        o = s.get(Objection, objection_id)
        if o is None:
            raise NotFound(f"异议 #{objection_id} 不存在。")
        r = lock_round(s, o.round_id)
        assert r.id is not None  # a stored round has its id
        if o.decision is not None:
            raise Conflict(
                f"异议 #{objection_id} 已由 {o.answered_by} 答复为“{DECISIONS.get(o.decision, o.decision)}”。"
            )
        from assess.models.base import utcnow

        o.decision = decision
        o.reason = reason
        o.answered_by = actor.username
        o.answered_at = utcnow()
        s.add(o)
        s.flush()
        audit.append(
            s,
            actor.username,
            "objection.answer",
            {"round_id": r.id, "objection_id": o.id, "decision": decision, "reason": reason},
        )
        if decision == "uphold":
            s.add(
                ReviewStep(
                    round_id=r.id,
                    step="objection",
                    by_user=actor.username,
                    decision=Decision.RETURN,
                    note=f"异议 #{o.id} 采纳：{reason}",
                )
            )
            s.flush()
            if r.stage != Stage.COMPUTED:
                set_stage(s, actor.username, r, Stage.COMPUTED, {"by": "objection.answer", "objection_id": o.id})
        return r.stage




def finalize(db: Database, actor: Actor, round_id: int, today: date | None = None) -> PublishResult:
    """定稿: ``publication.publish`` (the one implementation of freezing), which refuses before
    the 公示 end date has passed or while an objection is open."""

    return publish(db, actor, round_id, today=today)


# -- what changed between the 公示 and the final results ---------------------------------------------


DIFF_COLUMNS = ["kind", "code", "name", "field", "publicity", "final"]
DIFF_HEADERS = {
    "kind": "对象",
    "code": "编码",
    "name": "名称",
    "field": "项目",
    Stage.PUBLICITY: "公示稿",
    "final": "定稿",
}
KIND_LABELS = {"unit": "单位", "cadre": "干部", "accountability": "问责"}


@dataclass
class Diff:
    round_id: int
    against: str  # 定稿 | 当前结果
    rows: list[dict[str, Any]]

    def message(self) -> str:
        if not self.rows:
            return f"公示稿与{self.against}相同，没有变化。"
        return f"公示稿与{self.against}相比有 {len(self.rows)} 处变化。"


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def diff_contents(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of what differs between two snapshot contents: per unit 综合得分/名次/等次, per cadre
    测评得分/等次, accountability entries added, removed or with another action or status."""
    rows: list[dict[str, Any]] = []

    def add(kind: str, code: str | None, name: str | None, label: str, a: Any, b: Any) -> None:
        rows.append({"kind": KIND_LABELS[kind], "code": code, "name": name, "field": label,
                     Stage.PUBLICITY: _fmt(a), "final": _fmt(b)})

    old = {u["code"]: u for u in before.get("results") or []}
    new = {u["code"]: u for u in after.get("results") or []}
    for code in sorted(set(old) | set(new)):
        a, b = old.get(code, {}), new.get(code, {})
        name = (b or a).get("name")
        for key, label in (("composite", "综合得分"), ("rank", "名次"), ("grade", "等次")):
            va, vb = a.get(key), b.get(key)
            if key == "composite" and va is not None and vb is not None and abs(float(va) - float(vb)) < 1e-9:
                continue
            if va != vb:
                add("unit", code, name, label, va, vb)
    oldc = {c["code"]: c for c in before.get("cadre_results") or []}
    newc = {c["code"]: c for c in after.get("cadre_results") or []}
    for code in sorted(set(oldc) | set(newc)):
        a, b = oldc.get(code, {}), newc.get(code, {})
        name = (b or a).get("name")
        for key, label in (("score", "测评得分"), ("grade", "等次")):
            va, vb = a.get(key), b.get(key)
            if isinstance(va, float) and isinstance(vb, float) and abs(va - vb) < 1e-9:
                continue
            if va != vb:
                add("cadre", code, name, label, va, vb)

    def entry_key(e: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        return (e.get("unit_code"), e.get("cadre_code"), e.get("rule_code"))

    def who(e: dict[str, Any]) -> tuple[str | None, str | None]:
        if e.get("cadre_code"):
            return e["cadre_code"], e.get("cadre_name")
        return e.get("unit_code"), e.get("unit_name")

    olda = {entry_key(e): e for e in before.get("accountability") or []}
    newa = {entry_key(e): e for e in after.get("accountability") or []}

    for k in sorted(set(olda) | set(newa), key=lambda t: tuple(x or "" for x in t)):
        a, b = olda.get(k), newa.get(k)
        either = b or a
        assert either is not None  # k is a key of one of the two
        code, name = who(either)
        if a is None:
            add("accountability", code, name, f"问责（{b['rule_code']}）", None, b["proposed_action"])
        elif b is None:
            add("accountability", code, name, f"问责（{a['rule_code']}）", a["proposed_action"], None)
        else:
            if a.get("proposed_action") != b.get("proposed_action"):
                add("accountability", code, name, f"问责处理（{a['rule_code']}）", a["proposed_action"],
                    b["proposed_action"])
            if a.get("status") != b.get("status"):
                add("accountability", code, name, f"问责状态（{a['rule_code']}）",
                    STATUS_LABELS.get(a["status"], a["status"]), STATUS_LABELS.get(b["status"], b["status"]))
    return rows


def diff(db: Database, round_id: int) -> Diff:
    """The last 公示 snapshot against the final snapshot (published) or the live results."""

    with db.read() as s:
        r = get_round(s, round_id)
        p = last_period(s, round_id)
        if p is None:
            raise NotFound(f"考核轮次“{r.name}”没有公示过，无从比较。")
        before = p.content
        if r.stage == Stage.PUBLISHED:
            after, against = published_content(s, round_id) or live_content(s, round_id), "定稿"
        else:
            after, against = live_content(s, round_id), "当前结果"
    return Diff(round_id, against, diff_contents(before, after))
