"""Review and approval of a round's results, publication (公示) and the frozen snapshot.

The chain follows seed 004: 初审 (clerk) → 审核 (reviewer) → 复核 (a reviewer other than the one
who did 审核) → 审议 (committee 票决; seed 003: passes only when 赞成票 > half of 应到会人数).
Stages: computed → under_review (初审 passed) → approved (vote passed) → published. Any step may
return the round (退回, with a note): it goes back to ``computed`` and the chain starts again.

Publication and the snapshot live in ``assess.results.publication``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.roles import Actor
from assess.foundation.settings import local_time
from assess.foundation.users import display_names
from assess.foundation.vocabulary import DECISION_LABELS, AccountabilityStatus, Decision, Stage
from assess.foundation.write_guards import ensure_round_writable, get_round
from assess.results import round_view
from assess.results.accountability import undecided_count
from assess.results.objections import settle_objections
from assess.results.round_view import current_cycle
from assess.rounds.lifecycle import set_stage, stage_label

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database

STEPS = {
    "first": ("review.first", "初审"),
    "audit": ("review.audit", "审核"),
    "recheck": ("review.recheck", "复核"),
}
ORDER = ("first", "audit", "recheck")
# Labels of every step a chain shows: the three above and the 退回 of an upheld objection (assess/publicity.py)
STEP_LABELS = {**{k: v[1] for k, v in STEPS.items()}, "objection": "异议采纳"}


def current_chain(session: Session, round_id: int) -> list:
    """The review steps of the current cycle (after the last 退回), oldest first."""
    from sqlmodel import col, select

    from assess.models import ReviewStep

    steps = session.exec(
        select(ReviewStep).where(ReviewStep.round_id == round_id).order_by(col(ReviewStep.id))
    ).all()
    return current_cycle(steps, [s.decision for s in steps])




def _passed(chain: list) -> dict[str, Any]:
    return {s.step: s for s in chain if s.decision == Decision.PASS}



def review(
    db: Database, actor: Actor, round_id: int, step: str, decision: str = Decision.PASS, note: str | None = None
) -> str:
    """Record 初审/审核/复核 (``step`` first|audit|recheck) as passed or returned. Returns the stage."""
    from assess.models import ReviewStep

    if step not in STEPS:
        raise Conflict(f"未知的审核步骤“{step}”：应为 first（初审）、audit（审核）或 recheck（复核）。")
    action, label = STEPS[step]
    authorize(actor, action)
    if decision not in DECISION_LABELS:
        raise Conflict(f"未知的审核意见“{decision}”：应为通过（pass）或退回（return）。")
    note = (note or "").strip() or None
    if decision == Decision.RETURN and not note:
        raise Conflict("退回时必须写明理由。")
    with db.write() as s:
        r = ensure_round_writable(s, round_id)
        chain = current_chain(s, round_id)
        passed = _passed(chain)
        if step == "first":
            if r.stage != Stage.COMPUTED:
                raise Conflict(
                    f"{label}只能在“已计算”阶段进行；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
                )
        else:
            if r.stage == Stage.COMPUTED:
                raise Conflict(f"请先完成初审，再进行{label}。")
            if r.stage != Stage.UNDER_REVIEW:
                raise Conflict(
                    f"{label}只能在“审核中”阶段进行；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
                )
            before = ORDER[ORDER.index(step) - 1]
            if before not in passed:
                raise Conflict(f"请先完成{STEPS[before][1]}，再进行{label}。")
            if step in passed:
                raise Conflict(f"本轮{label}已由 {passed[step].by_user} 完成。")
            if step == "recheck" and passed["audit"].by_user == actor.username:
                raise Conflict(f"复核须由审核人（{actor.username}）以外的另一名审核员进行。")
        s.add(ReviewStep(round_id=round_id, step=step, by_user=actor.username, decision=decision, note=note))
        s.flush()
        audit.append(
            s,
            actor.username,
            action,
            {"round_id": round_id, "step": step, "decision": decision, "note": note},
        )
        if decision == Decision.RETURN and r.stage != Stage.COMPUTED:
            set_stage(s, actor.username, r, Stage.COMPUTED, {"by": action, "returned": True})
        elif decision == Decision.PASS and step == "first":
            set_stage(s, actor.username, r, Stage.UNDER_REVIEW, {"by": action})
        return r.stage


@dataclass
class VoteResult:
    passed: bool
    expected: int
    yes: int
    needed: int  # the least number of yes votes that passes
    stage: str

    def message(self) -> str:
        verdict = "通过" if self.passed else "未通过"
        return (
            f"票决{verdict}：赞成 {self.yes} 票，应到会 {self.expected} 人，通过需至少 {self.needed} 票赞成。"
        )


def votes_needed(expected: int) -> int:
    """Least yes votes with yes > expected / 2: 应到 9 → 5, 应到 10 → 6."""
    return expected // 2 + 1


def vote(
    db: Database, actor: Actor, round_id: int, expected: int, present: int, yes: int, no: int, abstain: int
) -> VoteResult:
    """审议票决. Passes only when yes > half of 应到会人数 (``expected``); then the round is approved."""
    from sqlmodel import col, select

    from assess.models import ApprovalVote

    authorize(actor, "review.vote")
    nums = {"应到会人数": expected, "实到人数": present, "赞成": yes, "反对": no, "弃权": abstain}
    for k, v in nums.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise Conflict(f"{k}必须是非负整数。")
    if expected < 1:
        raise Conflict("应到会人数至少为 1。")
    if present > expected:
        raise Conflict(f"实到人数（{present}）不能多于应到会人数（{expected}）。")
    if yes + no + abstain > present:
        raise Conflict(f"赞成、反对、弃权合计 {yes + no + abstain} 票，多于实到人数 {present}。")
    with db.write() as s:
        r = ensure_round_writable(s, round_id)
        if r.stage != Stage.UNDER_REVIEW:
            raise Conflict(
                f"票决只能在“审核中”阶段进行；考核轮次“{r.name}”当前阶段为“{stage_label(r.stage)}”。"
            )
        if "recheck" not in _passed(current_chain(s, round_id)):
            raise Conflict("请先完成复核，再提交审议票决。")
        pending = undecided_count(s, round_id)
        if pending:
            raise Conflict(f"问责名单还有 {pending} 条未确认或免予问责，不能提交审议。")
        passed = 2 * yes > expected
        s.add(
            ApprovalVote(
                round_id=round_id,
                expected_members=expected,
                present=present,
                yes=yes,
                no=no,
                abstain=abstain,
                passed=passed,
                recorded_by=actor.username,
            )
        )
        s.flush()
        audit.append(
            s,
            actor.username,
            "review.vote",
            {
                "round_id": round_id,
                "expected": expected,
                "present": present,
                "yes": yes,
                "no": no,
                "abstain": abstain,
                "passed": passed,
            },
        )
        if passed:

            vote_id = s.exec(
                select(ApprovalVote.id).where(col(ApprovalVote.round_id) == round_id).order_by(col(ApprovalVote.id).desc())
            ).first()
            assert vote_id is not None  # the vote flushed above
            settled = settle_objections(s, round_id, vote_id)
            set_stage(s, actor.username, r, Stage.APPROVED, {"by": "review.vote", **({"objections": settled} if settled else {})})
        return VoteResult(passed, expected, yes, votes_needed(expected), r.stage)


# -- status for the screens and the CLI --------------------------------------------------------------


@dataclass
class StepRow:
    step: str
    label: str
    by_user: str
    decision: str
    note: str | None
    at: str  # in the office's time zone
    by_name: str = ""  # the reviewer's display name


@dataclass
class ReviewStatus:
    round_id: int
    round_name: str
    period: str
    stage: str
    stage_label: str
    chain: list[StepRow]
    next_step: str | None  # first | audit | recheck | vote | publish | None
    next_label: str
    undecided: int
    entries: int
    last_vote: dict[str, Any] | None
    content_hash: str | None
    audit_head: str | None


def status(db: Database, round_id: int) -> ReviewStatus:
    """The review state of a round (a published round's steps and vote from its snapshot:
    ``assess.results.round_view``)."""
    from sqlmodel import select

    from assess.models import Snapshot

    with db.read() as s:
        r = get_round(s, round_id)
        chain = [SimpleNamespace(**st) for st in round_view.current_chain(s, round_id)]
        listed = round_view.accountability(s, round_id)
        undecided = sum(1 for e in listed if e["status"] == AccountabilityStatus.PROPOSED)
        entries = len(listed)
        votes = round_view.votes(s, round_id)
        v = SimpleNamespace(**votes[-1]) if votes else None
        snap = s.exec(select(Snapshot).where(Snapshot.round_id == round_id)).first()
        people = display_names(s)
    passed = {st.step for st in chain if st.decision == Decision.PASS}
    if r.stage == Stage.COMPUTED:
        nxt = "first"
    elif r.stage == Stage.UNDER_REVIEW:
        nxt = next((st for st in ORDER if st not in passed), "vote")
    elif r.stage == Stage.APPROVED:
        nxt = "publish"
    elif r.stage == Stage.PUBLICITY:
        nxt = "finalize"
    else:
        nxt = None
    labels = {
        "first": "初审（录入员）",
        "audit": "审核（审核员）",
        "recheck": "复核（另一名审核员）",
        "vote": "审议票决（评审委员）",
        "publish": "公示或定稿（管理员）",
        "finalize": "公示期满、异议答复后定稿（管理员）",
    }
    rows = [
        StepRow(
            st.step,
            STEP_LABELS.get(st.step, st.step),
            st.by_user,
            DECISION_LABELS.get(st.decision, st.decision),
            st.note,
            local_time(st.at).strftime("%Y-%m-%d %H:%M"),
            people.get(st.by_user, st.by_user),
        )
        for st in chain
    ]
    last_vote = None
    if v is not None:
        last_vote = {
            "expected": v.expected,
            "present": v.present,
            "yes": v.yes,
            "no": v.no,
            "abstain": v.abstain,
            "passed": v.passed,
            "recorded_by": v.recorded_by,
        }
    return ReviewStatus(
        round_id,
        r.name,
        r.period,
        r.stage,
        stage_label(r.stage),
        rows,
        nxt,
        labels.get(nxt, "无"),
        undecided,
        entries,
        last_vote,
        snap.content_hash if snap else None,
        snap.audit_head if snap else None,
    )

