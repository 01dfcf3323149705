"""Moving a round on: what blocks its next stage (asking each area: self-checks, the spot-check
draw and verified scores, appraisal sessions) and advancing it when nothing does. This sits above
the areas it asks, so none of them imports it (docs/architecture.md, "领域分区")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assess.appraisal.sessions import session_blockers
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import Stage
from assess.foundation.write_guards import get_round
from assess.results.objections import finalize_problems
from assess.rounds.department_scoring import stage_blockers as scorer_blockers
from assess.rounds.lifecycle import (
    RoundRow,
    lock_round,
    next_stage,
    round_rows,
    round_scheme,
    rounds_in,
    set_stage,
    stage_label,
)
from assess.rounds.scoring_rows import inspected_codes
from assess.rounds.spotcheck import active_draw
from assess.rounds.verified import missing_verified

if TYPE_CHECKING:
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round


# The stages ``advance`` may move into; later ones belong to computing, review and publication.
ADVANCE_STAGES = (Stage.SELFCHECK_OPEN, Stage.SELFCHECK_CLOSED, Stage.SPOTCHECK_DONE, Stage.APPRAISAL_CERTIFIED)


@dataclass
class RoundStatus:
    round: RoundRow
    next_stage: str | None
    next_label: str | None
    blockers: list[str] = field(default_factory=list)
    drawn: list[str] = field(default_factory=list)


def round_status(db: Database, round_id: int) -> RoundStatus:
    with db.read() as s:
        r = get_round(s, round_id)
        row = round_rows(s, [round_id])[0]
        nxt = next_stage(r.stage)
        drawn = inspected_codes(active_draw(s, round_id))
        return RoundStatus(row, nxt, stage_label(nxt) if nxt else None, stage_blockers(s, r), drawn)


def blockers(db: Database, round_id: int) -> list[str]:
    """What must happen before the round can move to its next stage, in words."""
    with db.read() as s:
        return stage_blockers(s, get_round(s, round_id))


def stage_blockers(s: Session, r: Round) -> list[str]:
    """``blockers`` inside the caller's transaction (``advance`` checks them under its write lock)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import AppraisalSession, RoundUnit

    if r.stage == Stage.DRAFT:
        n = s.exec(select(func.count()).select_from(RoundUnit).where(RoundUnit.round_id == r.id)).one()
        return [] if n else ["轮次没有参加单位"]
    if r.stage == Stage.SELFCHECK_OPEN:
        pending = s.exec(
            select(func.count())
            .select_from(RoundUnit)
            .where(RoundUnit.round_id == r.id, col(RoundUnit.submitted_at).is_(None))
        ).one()
        return [f"{pending} 个单位未提交自查"] if pending else []
    if r.stage == Stage.SELFCHECK_CLOSED:
        if round_scheme(s, r).spotcheck.sample_size == 0:
            return []  # the scheme has no spot-check: the next stage needs no draw
        return ["未抽取核查单位"]
    if r.stage == Stage.SPOTCHECK_DRAWN:
        missing = missing_verified(s, r)
        return (
            [
                f"{len(missing)} 个核查单位缺核查得分（{'、'.join(missing[:5])}{'…' if len(missing) > 5 else ''}）"
            ]
            if missing
            else []
        ) + scorer_blockers(s, r)  # 职能部门评分: “财政局：12 项未评分”
    if r.stage == Stage.SPOTCHECK_DONE:
        out = []
        sessions = s.exec(select(AppraisalSession).where(AppraisalSession.round_id == r.id)).all()
        scheme = round_scheme(s, r)
        if not sessions and scheme.appraisal_form and scheme.weights.get("appraisal", 0) > 0:
            out.append(f"未设立民主评议会议（方案中评议占 {scheme.weights['appraisal']:g}%）")

        # Every session certified (all batches certified or void, one at least, quorum met).
        assert r.id is not None  # a stored row has its id
        out.extend(session_blockers(s, r.id))
        return out
    if r.stage == Stage.PUBLICITY:  # 定稿 waits for the end of the 公示 and every objection answered
        return finalize_problems(s, r)[0]
    return []


def advance(db: Database, actor: Actor, round_id: int, to_stage: str | None = None) -> str:
    """Move the round one stage forward (draft → 自查中 → 自查结束; 核查完成; 评议票已核定).
    Refused while ``blockers`` lists anything. Returns the new stage."""
    authorize(actor, "round.advance")
    with db.write() as s:
        r = lock_round(s, round_id)
        nxt = next_stage(r.stage)
        if to_stage is not None and to_stage != nxt:
            raise Conflict(
                f"只能逐级推进：“{r.name}”当前阶段为“{stage_label(r.stage)}”，下一阶段是“{stage_label(nxt) if nxt else '无'}”，"
                f"不能直接进入“{stage_label(to_stage)}”。"
            )
        if nxt == Stage.SPOTCHECK_DRAWN and round_scheme(s, r).spotcheck.sample_size == 0:
            set_stage(s, actor.username, r, nxt, {"by": "advance", "spotcheck": "none in scheme"})
            return nxt
        if nxt == Stage.SPOTCHECK_DRAWN:
            raise Conflict(
                "进入“已抽取核查单位”阶段需要进行随机抽取：请在“抽查核查”中抽取（或 assess spotcheck draw），抽取后自动进入该阶段。"
            )
        if nxt not in ADVANCE_STAGES:
            raise Conflict(
                f"“{r.name}”已到“{stage_label(r.stage)}”：计算综合得分、初审、审核、复核、审议票决和公示"
                "请在“排名与审核”中按审核流程进行，不能在此直接推进。"
            )
        problems = stage_blockers(s, r)
        if problems:
            raise Conflict(f"不能进入“{stage_label(nxt)}”：{'；'.join(problems)}。")
        set_stage(s, actor.username, r, nxt, {"by": "advance"})
        return nxt


def rounds_with_blockers(db: Database, include_published: bool = True) -> list[RoundRow]:
    """Rounds, newest period first, each with what blocks its next stage (the rounds screen)."""
    from assess.models import Round

    with db.read() as s:
        rows = rounds_in(s, include_published)
        for row in rows:
            rnd = s.get(Round, row.id)
            assert rnd is not None  # listed in this same read transaction
            row.blockers = stage_blockers(s, rnd)
    return rows
