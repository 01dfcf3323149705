"""Appraisal sessions (民主评议 of units, 勤廉双述 of cadres): the meeting, its form, the targets in
ballot order, attendance (应到/实到) per session and per voter group, and for cadre sessions the
述职述廉 summaries and the 询问质询 questions and answers.

The form comes from the round's scheme (``FormDef``). Targets are fixed once any ballot of the
session has been keyed or imported: every ballot's marks are one character per target position.
A reviewer certifies the session (``certify_session``) once every batch is certified or void and
the quorum is met; it then takes no more batches. Reading sessions: ``assess.appraisal.session_info``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from assess.appraisal.forms import KINDS, form_for, get_session, session_not_found
from assess.appraisal.session_info import load_targets
from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound
from assess.foundation.roles import Actor
from assess.foundation.thresholds import quorum_met, quorum_text
from assess.foundation.vocabulary import BatchStatus, SessionStatus
from assess.foundation.write_guards import ensure_round_writable, refuse_frozen, round_not_found

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlmodel import Session

    from assess.foundation.db import Database, Reader
    from assess.models import AppraisalSession, Cadre
    from assess.schemes.definition import FormDef, VoterGroupDef

MAX_TARGETS = 512  # the width of the marks column
MAX_OPTIONS = 9  # keys 1–9


@dataclass
class StatementRow:
    cadre_code: str
    cadre_name: str
    summary: str
    questions: list[tuple[int, str, str | None]] = field(default_factory=list)  # (id, question, answer)


# -- helpers ----------------------------------------------------------------------------------------


def session_groups(form: FormDef, target_categories: set[str]) -> list[VoterGroupDef]:
    """The form's voter groups that vote for units of these categories (a group without
    ``categories`` votes for all; e.g. 居民代表 for 社区, 村民代表 for 村)."""
    return [g for g in form.voter_groups if not g.categories or set(g.categories) & target_categories]


def _target_categories(session: Session, targets: list[tuple[int | None, int | None, str]]) -> set[str]:
    """The unit categories of a session's targets (a cadre's: its unit's)."""
    from sqlmodel import col, select

    from assess.models import Cadre, Unit

    unit_ids = {u for u, _c, _code in targets if u is not None}
    cadre_ids = [c for _u, c, _code in targets if c is not None]
    if cadre_ids:
        unit_ids |= set(session.exec(select(Cadre.unit_id).where(col(Cadre.id).in_(cadre_ids))).all())
    if not unit_ids:
        return set()
    return set(session.exec(select(Unit.category).where(col(Unit.id).in_(unit_ids))).all())


def _resolve_targets(
    session: Session, round_id: int, kind: str, codes: list[str] | None
) -> list[tuple[int | None, int | None, str]]:
    """(unit_id, cadre_id, code) in ballot order. Without codes: the round's units by code (unit
    sessions) or the active cadres of the round's units by code (cadre sessions)."""
    from sqlmodel import col, select

    from assess.models import Cadre, RoundUnit, Unit

    if codes is None:
        round_units = select(RoundUnit.unit_id).where(RoundUnit.round_id == round_id)
        if kind == "unit":
            rows = session.exec(
                select(Unit.id, Unit.code).where(col(Unit.id).in_(round_units)).order_by(Unit.code)
            ).all()
            out: list[tuple[int | None, int | None, str]] = [(uid, None, code) for uid, code in rows]
        else:
            rows = session.exec(
                select(Cadre.id, Cadre.code)
                .where(col(Cadre.unit_id).in_(round_units), Cadre.active)
                .order_by(Cadre.code)
            ).all()
            out = [(None, cid, code) for cid, code in rows]
        if not out:
            raise Conflict("未指定评议对象，且本轮次没有参评单位可作为默认：请按票面顺序列出单位或干部编码。")
        return out
    clean = [c.strip() for c in codes if c.strip()]
    if not clean:
        raise Conflict("评议对象不能为空。")
    dupes = sorted({c for c in clean if clean.count(c) > 1})
    if dupes:
        raise Conflict(f"评议对象重复：{'、'.join(dupes)}。")
    model = Unit if kind == "unit" else Cadre
    found = {
        code: (rid, active)
        for rid, code, active in session.exec(
            select(model.id, model.code, model.active).where(col(model.code).in_(clean))
        ).all()
    }
    missing = [c for c in clean if c not in found]
    if missing:
        what = "单位" if kind == "unit" else "干部"
        raise NotFound(f"{what}不存在：{'、'.join(missing)}。")
    inactive = [c for c in clean if not found[c][1]]
    if inactive:
        raise Conflict(f"已停用，不能列入选票：{'、'.join(inactive)}。")
    if kind == "unit":
        return [(found[c][0], None, c) for c in clean]
    return [(None, found[c][0], c) for c in clean]


def _session_has_entries(session: Session, session_id: int) -> bool:
    from sqlalchemy import exists, or_
    from sqlmodel import col, select

    from assess.models import BallotBatch, EntryPass, TallyCount

    batches = select(BallotBatch.id).where(BallotBatch.session_id == session_id)
    q = select(
        or_(
            exists().where(col(EntryPass.batch_id).in_(batches)),
            exists().where(col(TallyCount.batch_id).in_(batches)),
        )
    )
    return bool(session.exec(q).one())


# -- sessions ---------------------------------------------------------------------------------------


def create_session(
    db: Database,
    actor: Actor,
    round_id: int,
    kind: str,
    name: str,
    *,
    form_code: str | None = None,
    target_codes: list[str] | None = None,
    held_on: date | None = None,
    expected: int = 0,
    present: int = 0,
    group_expected: dict[str, int] | None = None,
    notes: str | None = None,
    group_present: dict[str, int] | None = None,
) -> int:
    """Create a session with its targets (in ballot order) and the form's voter groups, with each
    group's 应到 (``group_expected``) and 实到 (``group_present``) as ``set_attendance`` records them."""
    from sqlalchemy import insert

    from assess.models import AppraisalSession, AppraisalTarget, SessionVoterGroup

    authorize(actor, "appraisal.session")
    if kind not in KINDS:
        raise Conflict(f"评议类型“{kind}”无效：应为 unit（民主评议）或 cadre（勤廉双述）。")
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise Conflict("会议名称不能为空，且不超过 128 个字符。")
    _check_counts(expected, present)
    with db.write() as s:
        ensure_round_writable(s, round_id)
        form = form_for(s, round_id, kind, form_code)
        if len(form.options) > MAX_OPTIONS:
            raise Conflict(
                f"评议表“{form.code}”有 {len(form.options)} 个选项，录入键最多支持 {MAX_OPTIONS} 个。"
            )
        targets = _resolve_targets(s, round_id, kind, target_codes)
        if len(targets) > MAX_TARGETS:
            raise Conflict(f"一张选票最多 {MAX_TARGETS} 个评议对象，现有 {len(targets)} 个。")
        groups = session_groups(form, _target_categories(s, targets))
        group_expected = dict(group_expected or {})
        group_present = dict(group_present or {})
        named = set(group_expected) | set(group_present)
        unknown = sorted(named - {g.code for g in form.voter_groups})
        if unknown:
            raise NotFound(f"评议表“{form.code}”没有投票人类别：{'、'.join(unknown)}。")
        elsewhere = sorted(named - {g.code for g in groups})
        if elsewhere:
            raise Conflict(f"投票人类别 {'、'.join(elsewhere)} 不评议本次对象所在类别的单位。")
        for code, n in group_expected.items():
            _check_counts(n, 0, what=f"类别 {code} 应到人数")
        for code, n in group_present.items():
            _check_counts(n, 0, what=f"类别 {code} 实到人数")
        if not expected and group_expected:
            expected = sum(group_expected.values())
        if not present and group_present:
            present = sum(group_present.values())
        row = AppraisalSession(
            round_id=round_id,
            kind=kind,
            form_code=form.code,
            name=name,
            held_on=held_on,
            expected=expected,
            present=present,
            notes=notes,
        )
        s.add(row)
        s.flush()
        assert row.id is not None  # flushed: the row has its id
        s.execute(
            insert(AppraisalTarget),
            [
                {"session_id": row.id, "position": i, "unit_id": uid, "cadre_id": cid}
                for i, (uid, cid, _c) in enumerate(targets, start=1)
            ],
        )
        s.execute(
            insert(SessionVoterGroup),
            [
                {
                    "session_id": row.id,
                    "code": g.code,
                    "name": g.name,
                    "weight": g.weight,
                    "expected": int(group_expected.get(g.code, 0)),
                    "present": int(group_present.get(g.code, 0)),
                }
                for g in groups
            ],
        )
        ballot_bounds(s, row.id).check()
        audit.append(
            s,
            actor.username,
            "appraisal.session",
            {
                "session": row.id,
                "round": round_id,
                "kind": kind,
                "form": form.code,
                "name": name,
                "targets": [c for _u, _c, c in targets],
                "expected": expected,
                "present": present,
                **({"groups_present": group_present} if group_present else {}),
            },
        )
        return row.id


def group_counts(values: list[str] | str | None, what: str = "投票人类别") -> dict[str, int]:
    """Counts per voter group written as ``代码=人数`` items (a list, or one text separated by
    commas), as the command line and the attendance form take them."""
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    out: dict[str, int] = {}
    for item in values or []:
        code, sep, n = item.partition("=")
        if not sep or not code.strip():
            raise Conflict(f"{what}“{item}”格式应为 类别名称（或代码）=人数，例如 领导=12。")
        try:
            out[code.strip()] = int(n)
        except ValueError:
            raise Conflict(f"{what}“{item}”中的人数不是整数。") from None
    return out


def _check_counts(expected: int, present: int, what: str = "人数") -> None:
    for v in (expected, present):
        if not isinstance(v, int) or v < 0:
            raise Conflict(f"{what}必须是不小于 0 的整数。")


def set_targets(db: Database, actor: Actor, session_id: int, codes: list[str]) -> int:
    """Replace the targets (ballot order) while no ballot of the session has been entered."""
    from sqlalchemy import delete, insert
    from sqlmodel import col

    from assess.models import AppraisalTarget

    authorize(actor, "appraisal.session")
    with db.write() as s:
        sess = ensure_session_open(s, session_id)
        if _session_has_entries(s, session_id):
            raise Conflict("本会议已有选票录入或导入，评议对象（票面顺序）不能再改。")
        targets = _resolve_targets(s, sess.round_id, sess.kind, codes)
        if len(targets) > MAX_TARGETS:
            raise Conflict(f"一张选票最多 {MAX_TARGETS} 个评议对象。")
        s.execute(delete(AppraisalTarget).where(col(AppraisalTarget.session_id) == session_id))
        s.execute(
            insert(AppraisalTarget),
            [
                {"session_id": session_id, "position": i, "unit_id": uid, "cadre_id": cid}
                for i, (uid, cid, _c) in enumerate(targets, start=1)
            ],
        )
        audit.append(
            s,
            actor.username,
            "appraisal.targets",
            {"session": session_id, "targets": [c for _u, _c, c in targets]},
        )
        return len(targets)


def set_attendance(
    db: Database,
    actor: Actor,
    session_id: int,
    *,
    expected: int | None = None,
    present: int | None = None,
    groups: dict[str, int] | None = None,
    groups_present: dict[str, int] | None = None,
) -> None:
    """Record 应到/实到 of the session and 应到 (``groups``) and 实到 (``groups_present``) per voter
    group; refused when a count exceeds what bounds it (``ballot_bounds``)."""
    from sqlmodel import select

    from assess.models import SessionVoterGroup

    authorize(actor, "appraisal.session")
    with db.write() as s:
        sess = ensure_session_open(s, session_id)
        changes: dict[str, object] = {}
        rows = {
            g.code: g
            for g in s.exec(select(SessionVoterGroup).where(SessionVoterGroup.session_id == session_id))
        }
        unknown = sorted((set(groups or {}) | set(groups_present or {})) - set(rows))
        if unknown:
            raise NotFound(f"本会议没有投票人类别：{'、'.join(unknown)}。")
        if groups:
            for code, n in groups.items():
                _check_counts(n, 0, what=f"类别 {code} 应到人数")
                rows[code].expected = n
                s.add(rows[code])
            changes["groups"] = dict(groups)
            if expected is None and not sess.expected:
                expected = sum(g.expected for g in rows.values())
        if groups_present:
            for code, n in groups_present.items():
                _check_counts(n, 0, what=f"类别 {code} 实到人数")
                rows[code].present = n
                s.add(rows[code])
            changes["groups_present"] = dict(groups_present)
        if expected is not None:
            _check_counts(expected, 0, what="应到人数")
            sess.expected = expected
            changes["expected"] = expected
        if present is not None:
            _check_counts(present, 0, what="实到人数")
            sess.present = present
            changes["present"] = present
        if not changes:
            return
        s.add(sess)
        ballot_bounds(s, session_id).check()
        audit.append(s, actor.username, "appraisal.attendance", {"session": session_id, **changes})


# -- ballots bounded by the meeting (docs/reliability.md, 选票数以会议记录为界) -------------------------


@dataclass
class BallotBounds:
    """The meeting's record against the ballots of a session: ``problems`` (each names the numbers)
    and, per voter group, the papers not yet accounted for by a batch (None: nothing recorded)."""

    problems: list[str] = field(default_factory=list)
    papers_left: dict[str, int | None] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    group_record: dict[str, str] = field(default_factory=dict)  # "应到 17 人，已入批 16 张"

    def check(self) -> BallotBounds:
        """Refuse (Conflict) when any count exceeds the meeting's record."""
        if self.problems:
            raise Conflict("；".join(self.problems) + "。")
        return self

    def tally_papers(self, group: str, most: int) -> int:
        """The papers a tallies-only batch of ``group`` stands for, from the meeting's record (never
        from the file): the group's papers not yet in a batch. Refuses when nothing is recorded for
        the group or when one target has more votes (``most``) than those papers."""
        self.check()
        name = self.group_names.get(group, group)
        left = self.papers_left.get(group)
        if left is None:
            raise Conflict(
                f"{name}组未登记应到、实到人数：汇总的发出张数取自会议记录，请先登记出席人数（appraisal attendance）。"
            )
        if most > left:
            raise Conflict(
                f"{name}组{self.group_record[group]}，尚未入批的选票 {left} 张；本批汇总中单个对象有 {most} 票，"
                "超过会议记录，未导入任何数据。"
            )
        return left


def ballot_bounds(s: Session, session_id: int, pending: Iterable[tuple[str, int]] = ()) -> BallotBounds:
    """Ballot counts bounded by the meeting: 实到 ≤ 应到 for the session and each voter group (a
    group's 实到 in total not above the session's); the papers issued to a group's batches (void
    ones excepted) not above the group's 实到 (its 应到 while 实到 is not recorded), and of all
    groups not above the session's 实到 (应到). A batch's returned ≤ issued and entered = returned
    are checked by its reconciliation (``assess.appraisal.reconcile``), so no certified batch holds more
    ballots than its group was issued. Called by batch creation and correction, attendance entry,
    batch and session certification and both imports; 0 means "not recorded". ``pending``: (voter
    group, papers) of batches about to be added (an import checks before it writes anything)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import BallotBatch, SessionVoterGroup

    sess = get_session(s, session_id)
    groups = s.exec(
        select(SessionVoterGroup)
        .where(SessionVoterGroup.session_id == session_id)
        .order_by(col(SessionVoterGroup.id))
    ).all()
    issued = dict(
        s.exec(
            select(BallotBatch.voter_group, func.sum(BallotBatch.issued))
            .where(BallotBatch.session_id == session_id, BallotBatch.status != BatchStatus.VOID)
            .group_by(BallotBatch.voter_group)
        ).all()
    )
    return _bounds(sess, groups, issued, pending)


def read_ballot_bounds(s: Reader, session_id: int, pending: Iterable[tuple[str, int]] = ()) -> BallotBounds:
    """``ballot_bounds`` as a reader of plain statements (no table classes), for a write that holds
    no pending ORM changes to the session or its groups: the same rows, the same rule."""
    from sqlalchemy import text

    key = {"id": session_id}
    sess = s.execute(text("SELECT expected, present FROM appraisalsession WHERE id = :id"), key).first()
    if sess is None:
        raise session_not_found(session_id)
    groups = s.execute(
        text(
            "SELECT code, name, expected, present FROM sessionvotergroup WHERE session_id = :id ORDER BY id"
        ),
        key,
    ).all()
    issued: dict[str, Any] = {
        str(g): n
        for g, n in s.execute(
            text(
                "SELECT voter_group, sum(issued) FROM ballotbatch WHERE session_id = :id AND status != :void"
                " GROUP BY voter_group"
            ),
            {**key, "void": str(BatchStatus.VOID)},
        )
    }
    return _bounds(sess, groups, issued, pending)


def _bounds(
    sess: Any, groups: Sequence[Any], issued: dict[str, Any], pending: Iterable[tuple[str, int]]
) -> BallotBounds:
    """The rule of ``ballot_bounds`` over the rows read: the session's ``expected`` and ``present``,
    its groups' ``code``, ``name``, ``expected`` and ``present`` (in order), the papers issued per
    group."""
    for code, n in pending:
        issued[code] = int(issued.get(code) or 0) + n
    out = BallotBounds(group_names={g.code: g.name for g in groups})
    if sess.present > sess.expected:
        out.problems.append(f"会议应到 {sess.expected} 人，实到 {sess.present} 人，超过应到人数")
    group_present = sum(g.present for g in groups)
    if sess.present and group_present > sess.present:
        out.problems.append(
            f"会议实到 {sess.present} 人，各类别实到合计 {group_present} 人，超过会议实到人数"
        )
    total = sum(int(v or 0) for v in issued.values())
    session_bound = sess.present or sess.expected
    session_what = "实到" if sess.present else "应到"
    if session_bound and total > session_bound:
        out.problems.append(
            f"会议{session_what} {session_bound} 人，各批次发出选票合计 {total} 张，超过{session_what}人数"
        )
    for g in groups:
        n = int(issued.get(g.code) or 0)
        if g.present > g.expected:
            out.problems.append(f"{g.name}组应到 {g.expected} 人，实到 {g.present} 人，超过应到人数")
        bound = g.present or g.expected
        what = "实到" if g.present else "应到"
        if bound and n > bound:
            out.problems.append(f"{g.name}组{what} {bound} 人，本组选票 {n} 张，超过{what}人数")
        left = [b - used for b, used in ((bound, n), (session_bound, total)) if b]
        out.papers_left[g.code] = max(0, min(left)) if bound else None
        out.group_record[g.code] = f"{what} {bound} 人，已入批 {n} 张"
    return out


# -- 述职述廉 and 询问质询 ----------------------------------------------------------------------------


def _cadre_target(s: Session, session_id: int, cadre_code: str) -> Cadre:
    from sqlmodel import select

    from assess.models import AppraisalTarget, Cadre

    sess = get_session(s, session_id)
    if sess.kind != "cadre":
        raise Conflict("述职述廉与询问质询只用于勤廉双述会议。")
    ensure_round_writable(s, sess.round_id)
    cadre = s.exec(select(Cadre).where(Cadre.code == cadre_code.strip())).first()
    if cadre is None:
        raise NotFound(f"干部“{cadre_code}”不存在。")
    on_ballot = s.exec(
        select(AppraisalTarget.id).where(
            AppraisalTarget.session_id == session_id, AppraisalTarget.cadre_id == cadre.id
        )
    ).first()
    if on_ballot is None:
        raise Conflict(f"干部“{cadre.code} {cadre.name}”不在本次会议的评议对象中。")
    return cadre


def set_statement(db: Database, actor: Actor, session_id: int, cadre_code: str, summary: str) -> None:
    """Record (or replace) the summary of a cadre's 述职述廉 report to the meeting."""
    from sqlmodel import select

    from assess.models import CadreStatement

    authorize(actor, "appraisal.statement")
    summary = (summary or "").strip()
    if not summary:
        raise Conflict("述职述廉摘要不能为空。")
    with db.write() as s:
        cadre = _cadre_target(s, session_id, cadre_code)
        assert cadre.id is not None  # a stored row has its id
        row = s.exec(
            select(CadreStatement).where(
                CadreStatement.session_id == session_id, CadreStatement.cadre_id == cadre.id
            )
        ).first()
        if row is None:
            row = CadreStatement(session_id=session_id, cadre_id=cadre.id, summary=summary)
        else:
            row.summary = summary
        s.add(row)
        audit.append(
            s,
            actor.username,
            "appraisal.statement",
            {"session": session_id, "cadre": cadre.code, "summary": summary},
        )


def add_question(
    db: Database, actor: Actor, session_id: int, cadre_code: str, question: str, answer: str | None = None
) -> int:
    """Record a 询问质询 question put to a cadre at the meeting, with the answer given."""
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import CadreQuestion

    authorize(actor, "appraisal.statement")
    question = (question or "").strip()
    if not question:
        raise Conflict("询问质询的问题不能为空。")
    with db.write() as s:
        cadre = _cadre_target(s, session_id, cadre_code)
        assert cadre.id is not None  # a stored row has its id
        last = s.exec(
            select(func.max(CadreQuestion.position)).where(
                CadreQuestion.session_id == session_id, CadreQuestion.cadre_id == cadre.id
            )
        ).one()
        row = CadreQuestion(
            session_id=session_id,
            cadre_id=cadre.id,
            position=(last or 0) + 1,
            question=question,
            answer=(answer or "").strip() or None,
        )
        s.add(row)
        s.flush()
        audit.append(
            s,
            actor.username,
            "appraisal.question",
            {"session": session_id, "cadre": cadre.code, "question": question, "answer": row.answer},
        )
        assert row.id is not None  # flushed: the row has its id
        return row.id


def answer_question(db: Database, actor: Actor, question_id: int, answer: str) -> None:
    from assess.models import CadreQuestion

    authorize(actor, "appraisal.statement")
    with db.write() as s:
        row = s.get(CadreQuestion, question_id)
        if row is None:
            raise NotFound(f"询问质询 #{question_id} 不存在。")
        ensure_round_writable(s, get_session(s, row.session_id).round_id)
        row.answer = (answer or "").strip() or None
        s.add(row)
        audit.append(
            s,
            actor.username,
            "appraisal.answer",
            {"session": row.session_id, "question": question_id, "answer": row.answer},
        )


def statements(db: Database, session_id: int) -> list[StatementRow]:
    from sqlmodel import col, select

    from assess.models import CadreQuestion, CadreStatement

    with db.read() as s:
        get_session(s, session_id)

        targets = [t for t in load_targets(s, session_id) if t.cadre_id is not None]
        summ = dict(
            s.exec(
                select(CadreStatement.cadre_id, CadreStatement.summary).where(
                    CadreStatement.session_id == session_id
                )
            ).all()
        )
        qs: dict[int, list[tuple[int, str, str | None]]] = {}
        for q in s.exec(
            select(CadreQuestion)
            .where(CadreQuestion.session_id == session_id)
            .order_by(col(CadreQuestion.cadre_id), col(CadreQuestion.position))
        ).all():
            assert q.id is not None  # a stored row has its id
            qs.setdefault(q.cadre_id, []).append((q.id, q.question, q.answer))
    return [StatementRow(t.code, t.name, summ.get(t.cadre_id, ""), qs.get(t.cadre_id, [])) for t in targets]


# -- what blocks the round -------------------------------------------------------------------------


def appraisal_blockers(db: Database, round_id: int) -> list[str]:
    """What stands between the round's sessions and certified appraisal results, in words."""
    with db.read() as s:
        return session_blockers(s, round_id)


def session_blockers(s: Session, round_id: int) -> list[str]:
    """``appraisal_blockers`` inside the caller's transaction (the round's stage check uses it):
    every session of the round must be certified (``certify_session``)."""
    from sqlmodel import col, select

    from assess.models import AppraisalSession

    out: list[str] = []
    sessions = s.exec(
        select(AppraisalSession)
        .where(AppraisalSession.round_id == round_id)
        .order_by(col(AppraisalSession.id))
    ).all()
    for sess in sessions:
        if sess.status == SessionStatus.CERTIFIED:
            continue
        problems = _session_problems(s, sess)
        out.extend(problems or [f"{sess.name}：各批次已核定，待审核员核定评议结果"])
    return out


def _session_problems(s: Session, sess: AppraisalSession) -> list[str]:
    """What keeps a session from being certified: open batches, no certified batch, no quorum."""
    assert sess.id is not None  # a stored row has its id
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import BallotBatch

    out: list[str] = []
    rows = dict(
        s.exec(
            select(BallotBatch.status, func.count())
            .where(BallotBatch.session_id == sess.id)
            .group_by(BallotBatch.status)
        ).all()
    )
    if rows.get(BatchStatus.OPEN):
        out.append(f"{sess.name}：{rows['open']} 个选票批次未核定")
    if not rows.get(BatchStatus.CERTIFIED):
        out.append(f"{sess.name}：没有已核定的选票批次")
    form = form_for(s, sess.round_id, sess.kind, sess.form_code)
    if not quorum_met(sess.present, sess.expected, form.quorum, form.quorum_op):
        out.append(f"{sess.name}：{quorum_text(sess.present, sess.expected, form.quorum, form.quorum_op)}")
    out.extend(f"{sess.name}：{p}" for p in ballot_bounds(s, sess.id).problems)
    return out


def _refuse_certified(name: str, status: str) -> None:
    if status == SessionStatus.CERTIFIED:
        raise Conflict(f"{name}已核定评议结果，不能再增加选票批次或修改会议记录。")


def ensure_session_open(s: Session, session_id: int) -> AppraisalSession:
    """The session, or refuse: a certified session (or a published round) takes no more ballots."""
    sess = get_session(s, session_id)
    ensure_round_writable(s, sess.round_id)
    _refuse_certified(sess.name, sess.status)
    return sess


# Plain text statements (integers and strings only): they compile in microseconds, where a Core
# select takes a millisecond or more the first time a process runs it (an import runs each once).
_OPEN_SQL = (
    "SELECT s.name, s.status, s.round_id, r.id, r.name, r.stage, s.kind, s.form_code FROM appraisalsession s"
    " LEFT JOIN round r ON r.id = s.round_id WHERE s.id = :id"
)


def check_session_open(s: Reader, session_id: int) -> tuple[int, str, str | None]:
    """``ensure_session_open`` as a reader (one query, no table classes): the same refusals in the
    same order (no session, no round, a published round, a certified session). Returns the
    session's round id, kind and form code (``forms.form_for`` takes them)."""
    from sqlalchemy import text

    row: Any = s.execute(text(_OPEN_SQL), {"id": session_id}).first()  # plain values (text SQL)
    if row is None:
        raise session_not_found(session_id)
    name, status, round_id, found_round, round_name, stage, kind, form_code = row
    if found_round is None:
        raise round_not_found(round_id)
    refuse_frozen(round_name, stage)
    _refuse_certified(name, status)
    return round_id, kind, form_code


def certify_session(db: Database, actor: Actor, session_id: int) -> None:
    """核定评议结果: a reviewer closes the session once every batch is certified or void, at least one
    is certified and the quorum is met. A certified session takes no further batches, and only its
    results count in the round."""
    authorize(actor, "batch.certify")
    with db.write() as s:
        sess = get_session(s, session_id)
        ensure_round_writable(s, sess.round_id)
        if sess.status == SessionStatus.CERTIFIED:
            raise Conflict(f"{sess.name}已核定。")
        problems = _session_problems(s, sess)
        if problems:
            raise Conflict("不能核定：" + "；".join(problems))
        sess.status = SessionStatus.CERTIFIED
        s.add(sess)
        audit.append(s, actor.username, "appraisal.certify", {"session_id": sess.id, "name": sess.name})
