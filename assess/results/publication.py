"""Publication (公示): the frozen snapshot of a round and its verification.

Publishing (admin) needs approval, every accountability entry decided, and the inputs unchanged
since the results were computed (the ``inputs_hash`` of the last ``results.compute`` record). It
stores a Snapshot (format 2, ``assess.results.round_view.live_content``) — the round, the inputs and the
rules (the scheme), the unit and cadre results, the accountability list, the review steps and the
votes, the appraisal tallies, every field the outputs print, names as they were — whose content
hash and the audit chain head (after the publication record) are printed on everything exported,
then moves the round to ``published``: from then on every output reads the snapshot
(``assess.results.round_view``), and the services (``guards.ensure_round_writable``) and the database
triggers (migrations k001, p001) refuse any change to the round's data. ``verify_snapshot``
(``results.snapshot_check``) recomputes the results from the snapshot's inputs, compares every
field of the snapshot with the live rows that back it, and checks the hash and the audit chain
(docs/reliability.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assess.foundation import audit, jsontext
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import ensure_round_writable
from assess.results.accountability import undecided_count
from assess.results.objections import finalize_problems
from assess.results.round_view import live_content
from assess.rounds.lifecycle import set_stage, stage_label

if TYPE_CHECKING:
    from datetime import date

    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round


def snapshot_content(session: Session, db: Database, r: Round) -> dict[str, Any]:
    """What publication freezes: everything the round's outputs show (``round_view.live_content``,
    snapshot format 2)."""

    assert r.id is not None  # a stored round has its id
    return live_content(session, r.id)


@dataclass
class PublishResult:
    round_id: int
    content_hash: str
    audit_seq: int
    audit_head: str

    def message(self) -> str:
        return f"已定稿并冻结。快照哈希 {self.content_hash}；审计链头 #{self.audit_seq} {self.audit_head}"


def approved_content(session: Session, db: Database, r: Round, doing: str = "公示") -> dict[str, Any]:
    """The snapshot content of an approved round, or refuse: every accountability entry decided
    and the inputs unchanged since the results were computed. Shared by the 公示
    (``publicity.open_publicity``) and the final freeze (``publish``)."""

    assert r.id is not None  # a stored round has its id
    pending = undecided_count(session, r.id)
    if pending:
        raise Conflict(f"问责名单还有 {pending} 条未确认或免予问责，不能{doing}。")
    content = snapshot_content(session, db, r)
    computed = content.get("compute") or {}
    if computed.get("inputs_hash") != jsontext.content_hash(content["inputs"]):
        raise Conflict("计算结果之后，得分、评议或加减分等数据有变动：请退回并重新计算后再审核。")
    return content


def publish(db: Database, actor: Actor, round_id: int, today: date | None = None) -> PublishResult:
    """定稿: freeze the round (the one implementation of freezing). From 已批准 (no 公示 yet, or
    after an upheld objection was settled) or from 公示中; once a 公示 was opened, not before its
    end date has passed nor while an objection is unanswered (``publicity.finalize_problems``)."""
    from assess.models import Snapshot

    authorize(actor, "round.publish")
    with db.write() as s:
        r = ensure_round_writable(s, round_id)
        if r.stage not in (Stage.APPROVED, Stage.PUBLICITY):
            raise Conflict(
                f"只有审议票决通过（已批准）或公示中的轮次才能定稿；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
            )
        problems, period_id = finalize_problems(s, r, today)
        if problems:
            raise Conflict("不能定稿：" + "；".join(problems) + "。")
        content = approved_content(s, db, r, "定稿")
        digest = jsontext.content_hash(content)
        payload = {"round_id": round_id, "content_hash": digest}
        if period_id is not None:
            payload["publicity_period_id"] = period_id
        seq, head = audit.append(s, actor.username, "round.publish", payload)
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
        set_stage(s, actor.username, r, Stage.PUBLISHED, {"by": "round.publish", "content_hash": digest})
        return PublishResult(round_id, digest, seq, head)
