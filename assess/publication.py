"""Publication (公示): the frozen snapshot of a round and its verification.

Publishing (admin) needs approval, every accountability entry decided, and the inputs unchanged
since the results were computed (the ``inputs_hash`` of the last ``results.compute`` record). It
stores a Snapshot — the inputs, the rules (the scheme), the results, the accountability list, the
review and the vote — whose content hash and the audit chain head (after the publication record)
are printed on everything exported, then moves the round to ``published``: from then on the
services (``guards.ensure_round_writable``) and the database triggers (migration k001) refuse any
change to the round's data. ``verify_snapshot`` recomputes the results from the snapshot's inputs
and compares them with the snapshot, the stored results and the audit chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import audit
from .errors import Conflict, NotFound
from .roles import Actor, authorize

if TYPE_CHECKING:
    from sqlmodel import Session

    from .db import Database


def last_compute(session: Session, round_id: int) -> dict[str, Any] | None:
    """The payload of the latest ``results.compute`` audit record of the round."""
    from sqlmodel import select

    from .models import AuditRecord

    for rec in session.exec(
        select(AuditRecord).where(AuditRecord.action == "results.compute").order_by(AuditRecord.seq.desc())
    ).all():
        if (rec.payload or {}).get("round_id") == round_id:
            return dict(rec.payload)
    return None


def snapshot_content(session: Session, db: Database, r) -> dict[str, Any]:
    import json

    from sqlmodel import select

    from .models import AccountabilityEntry, ApprovalVote, Cadre, CadreResult, SchemeVersion
    from .review import current_chain
    from .scoring.load import load_round_inputs
    from .scoring.serial import inputs_to_json
    from .scoring.service import stored_table

    inputs = load_round_inputs(session, db, r.id)
    version = session.get(SchemeVersion, r.scheme_version_id)
    table = stored_table(session, r.id)
    results = [
        {
            "unit_id": int(t.unit_id),
            "code": t.code,
            "name": t.name,
            "category": t.category,
            "composite": float(t.composite),
            "components": {
                k: (None if v != v else v)
                for k, v in {
                    "indicators": t.indicators,
                    "appraisal": t.appraisal,
                    "adjustment": t.adjustment,
                    "penalty": t.penalty,
                    "satisfaction": t.satisfaction,
                }.items()
            },
            "rank": int(t.rank),
            "rank_low": None if t.rank_low != t.rank_low or t.rank_low is None else int(t.rank_low),
            "rank_high": None if t.rank_high != t.rank_high or t.rank_high is None else int(t.rank_high),
            "grade": t.grade,
            "flags": list(t.flags),
        }
        for t in table.itertuples()
    ]
    cadres = session.exec(
        select(CadreResult, Cadre.code, Cadre.name)
        .join(Cadre, Cadre.id == CadreResult.cadre_id)
        .where(CadreResult.round_id == r.id)
        .order_by(CadreResult.session_id, Cadre.code)
    ).all()
    entries = session.exec(
        select(AccountabilityEntry)
        .where(AccountabilityEntry.round_id == r.id)
        .order_by(AccountabilityEntry.id)
    ).all()
    votes = session.exec(
        select(ApprovalVote).where(ApprovalVote.round_id == r.id).order_by(ApprovalVote.id)
    ).all()
    content = {
        "round": {
            "id": r.id,
            "name": r.name,
            "period": r.period,
            "scheme_version_id": r.scheme_version_id,
            "scheme_hash": version.content_hash,
            "corrects_round_id": r.corrects_round_id,
        },
        "inputs": inputs_to_json(inputs),
        "results": results,
        "cadre_results": [
            {
                "session_id": c.session_id,
                "cadre_id": c.cadre_id,
                "code": code,
                "name": name,
                "score": c.score,
                "grade": c.grade,
                "counts": c.counts,
                "flags": c.flags,
            }
            for c, code, name in cadres
        ],
        "accountability": [
            {
                "id": e.id,
                "unit_id": e.unit_id,
                "cadre_id": e.cadre_id,
                "rule_code": e.rule_code,
                "rule_text": e.rule_text,
                "figures": e.figures,
                "proposed_action": e.proposed_action,
                "robust_share": e.robust_share,
                "status": e.status,
                "decided_by": e.decided_by,
                "reason": e.reason,
            }
            for e in entries
        ],
        "review": [
            {"step": st.step, "by_user": st.by_user, "decision": st.decision, "note": st.note}
            for st in current_chain(session, r.id)
        ],
        "vote": (
            {
                "expected": votes[-1].expected_members,
                "present": votes[-1].present,
                "yes": votes[-1].yes,
                "no": votes[-1].no,
                "abstain": votes[-1].abstain,
                "passed": votes[-1].passed,
                "recorded_by": votes[-1].recorded_by,
            }
            if votes
            else None
        ),
        "compute": last_compute(session, r.id),
    }
    return json.loads(audit.canonical_json(content))


@dataclass
class PublishResult:
    round_id: int
    content_hash: str
    audit_seq: int
    audit_head: str

    def message(self) -> str:
        return f"已公示并冻结。快照哈希 {self.content_hash}；审计链头 #{self.audit_seq} {self.audit_head}"


def publish(db: Database, actor: Actor, round_id: int) -> PublishResult:
    from .accountability import undecided_count
    from .guards import ensure_round_writable
    from .models import Snapshot
    from .review import _stage_label
    from .rounds import set_stage
    from .scoring.serial import content_hash

    authorize(actor, "round.publish")
    with db.write() as s:
        r = ensure_round_writable(s, round_id)
        if r.stage != "approved":
            raise Conflict(
                f"只有审议票决通过（已批准）的轮次才能公示；考核轮次“{r.name}”当前阶段为“{_stage_label(r.stage)}”。"
            )
        pending = undecided_count(s, round_id)
        if pending:
            raise Conflict(f"问责名单还有 {pending} 条未确认或免予问责，不能公示。")
        content = snapshot_content(s, db, r)
        computed = content.get("compute") or {}
        if computed.get("inputs_hash") != content_hash(content["inputs"]):
            raise Conflict("计算结果之后，得分、评议或加减分等数据有变动：请退回并重新计算后再审核。")
        digest = content_hash(content)
        seq, head = audit.append(
            s, actor.username, "round.publish", {"round_id": round_id, "content_hash": digest}
        )
        s.add(
            Snapshot(
                round_id=round_id,
                content_hash=digest,
                audit_head=head,
                content=content,
                published_by=actor.username,
            )
        )
        s.flush()
        set_stage(s, actor.username, r, "published", {"by": "round.publish", "content_hash": digest})
        return PublishResult(round_id, digest, seq, head)


@dataclass
class SnapshotCheck:
    ok: bool
    content_hash: str
    audit_head: str
    problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.ok:
            return f"快照核验通过：结果可由冻结的输入重新算出。快照哈希 {self.content_hash}；审计链头 {self.audit_head}"
        return "快照核验失败：" + "；".join(self.problems[:10])


def _diff_results(expected: list[dict], got: dict[str, dict], where: str, keys: tuple[str, ...]) -> list[str]:
    problems = []
    seen = set()
    for e in expected:
        g = got.get(e["code"])
        seen.add(e["code"])
        if g is None:
            problems.append(f"{where}缺少单位 {e['code']}")
            continue
        for k in keys:
            a, b = e.get(k), g.get(k)
            if isinstance(a, float) or isinstance(b, float):
                same = a is not None and b is not None and abs(float(a) - float(b)) < 1e-6
                same = same or (a is None and b is None)
            else:
                same = a == b
            if not same:
                problems.append(f"{where}单位 {e['code']} 的 {k} 为 {b}，快照为 {a}")
    problems += [f"{where}多出单位 {c}" for c in got if c not in seen]
    return problems


def verify_snapshot(db: Database, round_id: int) -> SnapshotCheck:
    """Recompute a published round from its snapshot's inputs and compare with the snapshot, the
    stored results and the audit chain."""
    from sqlalchemy import text
    from sqlmodel import select

    from .models import AccountabilityEntry, Snapshot
    from .scoring.cadres import compute_cadres
    from .scoring.engine import compute_units
    from .scoring.robustness import resample
    from .scoring.serial import content_hash, inputs_from_json
    from .scoring.service import stored_table

    with db.read() as s:
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == round_id)).first()
        if snap is None:
            raise NotFound(f"考核轮次 #{round_id} 尚未公示，没有快照。")
        live = stored_table(s, round_id)
        entries = {
            e.id: e.status
            for e in s.exec(select(AccountabilityEntry).where(AccountabilityEntry.round_id == round_id))
        }
        anchored = (
            s.connection()
            .execute(text("SELECT 1 FROM auditrecord WHERE hash = :h"), {"h": snap.audit_head})
            .first()
        )
    content = snap.content
    problems: list[str] = []
    if content_hash(content) != snap.content_hash:
        problems.append("快照内容与其哈希不符（被改动）")
    inputs = inputs_from_json(content["inputs"])
    scores = compute_units(inputs)
    t = scores.table
    expected = content["results"]
    fresh = {
        r.code: {"composite": float(r.composite), "rank": int(r.rank), "grade": r.grade}
        for r in t.itertuples()
    }
    problems += _diff_results(expected, fresh, "重新计算：", ("composite", "rank", "grade"))
    compute = content.get("compute") or {}
    if compute.get("resamples"):
        rs = resample(inputs, scores, n=int(compute["resamples"]), seed=int(compute["seed"]))
        intervals = {
            code: {"rank_low": int(lo), "rank_high": int(hi)}
            for code, lo, hi in zip(t["code"], rs.rank_low, rs.rank_high, strict=True)
        }
        problems += _diff_results(expected, intervals, "重新计算区间：", ("rank_low", "rank_high"))
    cadre_fresh = {(c["session_id"], c["cadre_id"]): (c["score"], c["grade"]) for c in compute_cadres(inputs)}
    for c in content.get("cadre_results", []):
        got = cadre_fresh.get((c["session_id"], c["cadre_id"]))
        if (
            got is None
            or got[1] != c["grade"]
            or (got[0] is None) != (c["score"] is None)
            or (got[0] is not None and abs(got[0] - c["score"]) > 1e-6)
        ):
            problems.append(f"重新计算：干部 {c['code']} 的结果与快照不符")
    stored = {
        r.code: {
            "composite": float(r.composite),
            "rank": int(r.rank),
            "grade": r.grade,
            "rank_low": None if r.rank_low != r.rank_low or r.rank_low is None else int(r.rank_low),
            "rank_high": None if r.rank_high != r.rank_high or r.rank_high is None else int(r.rank_high),
        }
        for r in live.itertuples()
    }
    problems += _diff_results(
        expected, stored, "数据库中：", ("composite", "rank", "grade", "rank_low", "rank_high")
    )
    for e in content.get("accountability", []):
        if entries.get(e["id"]) != e["status"]:
            problems.append(f"数据库中：问责条目 #{e['id']} 的状态与快照不符")
    if len(entries) != len(content.get("accountability", [])):
        problems.append("数据库中：问责名单条目数与快照不符")
    if anchored is None:
        problems.append("审计链中找不到快照记录的链头")
    chain = audit.verify(db)
    if not chain.ok:
        problems.append(chain.message())
    return SnapshotCheck(not problems, snap.content_hash, snap.audit_head, problems)
