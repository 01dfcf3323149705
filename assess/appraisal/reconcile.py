"""Comparing the two entry passes of a batch, resolving mismatches against the paper, reconciling
the counts and certifying the batch.

Mismatches are listed by ballot number and target. Position 0 stands for the ballot as a whole:
present in one pass only, or voided with one key by one clerk and marked by the other. A reviewer
who keyed neither pass reads the paper ballot and records the true value; certification (by such a
reviewer) needs zero open mismatches and a reconciled batch (returned ≤ issued, entered = returned,
returned = valid + void + blank). It then writes the agreed ballots to ``Ballot`` in a random order
with random ids and fills ``TallyCount`` in the same transaction. Certified batches never change
(the database refuses it too, see migration b001).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.appraisal.entry import PassRow, get_batch, locked_batch, pass_digest, writable_batch
from assess.appraisal.forms import session_form
from assess.appraisal.marks import MarkRules, session_rules
from assess.appraisal.readings import (
    Merged,
    ballot_statuses,
    batch_resolutions,
    marks_array,
    merge_passes,
    tally_digest,
)
from assess.appraisal.session_info import load_targets
from assess.appraisal.sessions import ballot_bounds
from assess.foundation import audit
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, NotFound, PermissionDenied
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import BatchStatus, PassStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import BallotBatch

KIND_LABELS = {"absent": "无此票", "void": "整张作废", "marks": "已录标记"}
WHOLE_CHOICES = {"absent": "无此票", "void": "整张作废", "pass1": "以第1遍为准", "pass2": "以第2遍为准"}


def whole_ballot_choices(first: str, second: str) -> list[str]:
    """The readings a reviewer may record for a whole-ballot mismatch between two passes whose
    kinds (``absent``/``void``/``marks``) are ``first`` and ``second``."""
    choices = [k for k in ("absent", "void") if k in (first, second)]
    return choices + [f"pass{i}" for i, k in ((1, first), (2, second)) if k == "marks"]


def whole_ballot_reading(value: str, first: str, second: str) -> str:
    """``pass1``/``pass2`` mean "as that pass read it": a pass that read the ballot as absent or void
    gives that reading. Raises Conflict naming the valid choices in Chinese otherwise."""
    kinds = {"pass1": first, "pass2": second}
    if value in kinds and kinds[value] != "marks":
        value = kinds[value]
    allowed = whole_ballot_choices(first, second)
    if value not in allowed:
        named = "、".join(WHOLE_CHOICES[k] for k in allowed)
        raise Conflict(f"处理结果“{WHOLE_CHOICES.get(value, value)}”不适用于这张选票：可选 {named}。")
    return value


@dataclass
class Mismatch:
    ballot_no: int
    position: int  # 0: the ballot as a whole
    target_code: str
    target_name: str
    first: str  # pass 1's reading (mark character, or a KIND_LABELS key for position 0)
    second: str
    resolution: str | None
    choices: list[str]

    @property
    def open(self) -> bool:
        return self.resolution is None


@dataclass
class Reconciliation:
    issued: int
    returned: int
    entered: int
    valid: int
    void: int
    blank: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Comparison:
    batch_id: int
    label: str
    source: str
    options: list[str]
    passes: list[PassRow]
    mismatches: list[Mismatch]
    reconciliation: Reconciliation

    @property
    def open_count(self) -> int:
        return sum(1 for m in self.mismatches if m.open)


@dataclass
class CertifyResult:
    batch_id: int
    ballots: int
    valid: int
    void: int
    blank: int
    tally_rows: int
    tally_digest: str


# -- loading ---------------------------------------------------------------------------------------


def _passes(s: Session, batch_id: int) -> list:
    from sqlmodel import col, select

    from assess.models import EntryPass

    return list(
        s.exec(select(EntryPass).where(EntryPass.batch_id == batch_id).order_by(col(EntryPass.pass_no))).all()
    )


def _pass_rows(s: Session, pass_id: int) -> dict[int, tuple[str, str]]:
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import PassBallot

    rows: Sequence[Any] = s.execute(
        select(col(PassBallot.ballot_no), col(PassBallot.status), col(PassBallot.marks)).where(col(PassBallot.pass_id) == pass_id)
    ).all()
    return {no: (st, mk) for no, st, mk in rows}


def _reading(s: Session, b: BallotBatch, require_closed: bool = True) -> tuple[MarkRules, list, Merged]:
    """(rules, passes, merged) for a batch of keyed or imported ballots."""
    assert b.id is not None  # a stored row has its id
    rules = session_rules(s, b.session_id)
    passes = _passes(s, b.id)
    needed = 2 if b.source == "paper" else 1
    if len(passes) < needed:
        raise Conflict(f"批次“{b.label}”需要 {needed} 遍录入，现有 {len(passes)} 遍。")
    if require_closed:
        still_open = [p for p in passes if p.status != PassStatus.CLOSED]
        if still_open:
            raise Conflict(
                f"批次“{b.label}”第 {still_open[0].pass_no} 遍（{still_open[0].clerk}）尚未完成，不能比对。"
            )
    one = _pass_rows(s, passes[0].id)
    two = _pass_rows(s, passes[1].id) if needed == 2 else None
    return rules, passes, merge_passes(rules, one, two, batch_resolutions(s, b.id))


def _tally_max(s: Session, batch_id: int) -> int:
    from sqlalchemy import func, select
    from sqlmodel import col

    from assess.models import TallyCount

    per_target = (
        select(func.sum(TallyCount.count).label("n"))
        .where(col(TallyCount.batch_id) == batch_id)
        .group_by(col(TallyCount.position))
        .subquery()
    )
    return int(s.execute(select(func.coalesce(func.max(per_target.c.n), 0))).scalar() or 0)


def _reconcile(b: BallotBatch, statuses: list[str] | None, tally_max: int = 0) -> Reconciliation:
    if statuses is None:  # a tallies-only batch: no ballots, only counts
        rec = Reconciliation(b.issued, b.returned, 0, 0, 0, 0)
        if tally_max > b.returned:
            rec.problems.append(f"汇总中单个对象的票数 {tally_max} 多于收回 {b.returned} 张")
    else:
        rec = Reconciliation(
            b.issued,
            b.returned,
            len(statuses),
            statuses.count("valid"),
            statuses.count("void"),
            statuses.count("blank"),
        )
        if rec.entered != b.returned:
            rec.problems.append(f"录入 {rec.entered} 张与收回 {b.returned} 张不符")
        if rec.valid + rec.void + rec.blank != b.returned:
            rec.problems.append(f"有效 {rec.valid} + 废票 {rec.void} + 空白 {rec.blank} ≠ 收回 {b.returned}")
    if b.returned > b.issued:
        rec.problems.insert(0, f"收回 {b.returned} 张多于发出 {b.issued} 张：本批次应作废")
    return rec


# -- compare and resolve ----------------------------------------------------------------------------


def compare(db: Database, batch_id: int) -> Comparison:
    """Every mismatch between the two passes of a batch (both must be finished), with the
    resolutions recorded so far and the reconciliation of the agreed ballots."""

    with db.read() as s:
        b = locked_batch(s, batch_id)
        options = [o.label for o in session_form(s, b.session_id).options]
        if b.source == "tally":
            rec = _reconcile(b, None, _tally_max(s, batch_id))
            mismatches: list[Mismatch] = []
        else:
            rules, _p, merged = _reading(s, b)
            targets = {t.position: t for t in load_targets(s, b.session_id)}
            mismatches = []
            for no, pos, first, second, res in merged.mismatches:
                if pos == 0:
                    choices = whole_ballot_choices(first, second)
                    mismatches.append(Mismatch(no, 0, "", "整张选票", first, second, res, choices))
                else:
                    t = targets[pos]
                    mismatches.append(
                        Mismatch(no, pos, t.code, t.name, first, second, res, list(rules.allowed))
                    )
            statuses = (
                None
                if any(m.open for m in mismatches)
                else ballot_statuses(rules, merged.marks, merged.explicit_void)
            )
            rec = (
                _reconcile(b, statuses)
                if statuses is not None
                else Reconciliation(
                    b.issued, b.returned, len(merged.ballot_nos), 0, 0, 0, ["尚有未处理的不一致"]
                )
            )
    row = get_batch(db, batch_id)
    return Comparison(batch_id, b.label, b.source, options, row.passes, mismatches, rec)


def _check_reviewer(s: Session, actor: Actor, b: BallotBatch, what: str) -> None:
    assert b.id is not None  # a stored row has its id
    clerks = [p.clerk for p in _passes(s, b.id)]
    if actor.username in clerks:
        raise PermissionDenied(f"{what}须由未参与本批次录入的审核员进行；你录入（或导入）了批次“{b.label}”。")


def resolve(db: Database, actor: Actor, batch_id: int, items: list[tuple[int, int, str]]) -> int:
    """Record the paper's reading for mismatches: (ballot_no, position, value). Position 0 takes
    ``absent``, ``void``, ``pass1`` or ``pass2``; a target position takes a mark (0, 1–9, X).
    Returns the number of mismatches still open."""
    from sqlalchemy import delete, insert, select
    from sqlmodel import col

    from assess.models.appraisal import BallotResolution

    authorize(actor, "batch.resolve")
    if not items:
        raise Conflict("没有要处理的不一致。")
    with db.write() as s:
        b, _sess = writable_batch(s, batch_id)
        _check_reviewer(s, actor, b, "处理不一致")
        if b.source != "paper":
            raise Conflict(f"批次“{b.label}”只有一遍数据，没有需要比对处理的不一致。")
        rules, _p, merged = _reading(s, b)
        current = {(no, pos): (first, second) for no, pos, first, second, _r in merged.mismatches}
        rows: list[dict[str, Any]] = []
        for no, pos, value in items:
            value = str(value).strip()
            key = (int(no), int(pos))
            if key not in current:
                where = "整张" if pos == 0 else f"第 {pos} 项"
                raise NotFound(f"第 {no} 张选票{where}没有不一致。")
            if pos == 0:
                first, second = current[key]
                try:
                    value = whole_ballot_reading(value, first, second)
                except Conflict as e:
                    raise Conflict(f"第 {no} 张选票：{e}") from None
            else:
                value = value.upper()
                if len(value) != 1 or value not in rules.allowed:
                    raise Conflict(
                        f"第 {no} 张第 {pos} 项的标记“{value}”无效：可为 0、1–{rules.n_options} 或 X。"
                    )
            rows.append(
                {
                    "batch_id": batch_id,
                    "ballot_no": key[0],
                    "position": key[1],
                    "value": value,
                    "resolved_by": actor.username,
                }
            )
        keys = {(r["ballot_no"], r["position"]) for r in rows}
        if len(keys) != len(rows):
            raise Conflict("同一处不一致给出了多个处理结果。")
        # Another reviewer's reading is never overwritten silently (two reviewers resolving the
        # same mismatch at once: the first stands, the second is told).
        earlier: Sequence[Any] = s.execute(
            select(
                col(BallotResolution.ballot_no),
                col(BallotResolution.position),
                col(BallotResolution.value),
                col(BallotResolution.resolved_by),
            ).where(col(BallotResolution.batch_id) == batch_id)
        ).all()
        for no, pos, value, by in earlier:
            mine = next((r for r in rows if (r["ballot_no"], r["position"]) == (no, pos)), None)
            if mine is not None and by != actor.username and value != mine["value"]:
                where = "整张" if pos == 0 else f"第 {pos} 项"
                raise Conflict(
                    f"第 {no} 张选票{where}已由 {by} 按原始选票处理为“{value}”，与你的“{mine['value']}”不同："
                    f"请两人共同核对原始选票，由 {by} 更正。"
                )
        for no, pos in keys:
            s.execute(
                delete(BallotResolution).where(
                    col(BallotResolution.batch_id) == batch_id,
                    col(BallotResolution.ballot_no) == no,
                    col(BallotResolution.position) == pos,
                )
            )
        s.execute(insert(BallotResolution), rows)
        resolutions = batch_resolutions(s, batch_id)
        remaining = sum(1 for k in current if k not in resolutions)
        audit.append(
            s,
            actor.username,
            "batch.resolve",
            {"batch": batch_id, "label": b.label, "resolved": len(rows), "open": remaining},
        )
        return remaining


# -- certification ----------------------------------------------------------------------------------


def reconciliation(db: Database, batch_id: int) -> Reconciliation:
    with db.read() as s:
        b = locked_batch(s, batch_id)
        if b.source == "tally":
            return _reconcile(b, None, _tally_max(s, batch_id))
        if b.status == BatchStatus.CERTIFIED:
            from sqlalchemy import select
            from sqlmodel import col

            from assess.models import Ballot

            stored: Sequence[Any] = s.execute(select(col(Ballot.status)).where(col(Ballot.batch_id) == batch_id)).all()
            statuses = [st for (st,) in stored]
            return _reconcile(b, statuses)
        rules, _p, merged = _reading(s, b, require_closed=False)
        if any(m[4] is None for m in merged.mismatches):
            return Reconciliation(
                b.issued, b.returned, len(merged.ballot_nos), 0, 0, 0, ["尚有未处理的不一致"]
            )
        return _reconcile(b, ballot_statuses(rules, merged.marks, merged.explicit_void))


_ADD_SUM_SQL = """
INSERT INTO tallysum (session_id, voter_group, position, choice, count)
VALUES (:session_id, :voter_group, :position, :choice, :count)
ON CONFLICT (session_id, voter_group, position, choice) DO UPDATE SET count = tallysum.count + excluded.count
"""


def add_session_sums(s: Session, session_id: int, voter_group: str, counts: list[tuple[int, int, int]]) -> None:
    """Add a certified batch's counts [(position, choice, count)] to its session's sums
    (``TallySum``), in the certifying transaction."""
    from sqlalchemy import text

    if counts:
        s.connection().execute(
            text(_ADD_SUM_SQL),
            [
                {"session_id": session_id, "voter_group": voter_group, "position": p, "choice": c, "count": n}
                for p, c, n in counts
            ],
        )


def certify(db: Database, actor: Actor, batch_id: int) -> CertifyResult:
    """Certify a batch: zero open mismatches, reconciled counts, by a reviewer who keyed neither
    pass. Writes the agreed ballots (random order, random ids) and the tally counts."""
    return certify_batches(db, actor, [batch_id])[0]


def certify_batches(
    db: Database, actor: Actor, batch_ids: list[int] | None, session_id: int | None = None
) -> list[CertifyResult]:
    """Certify several batches in one transaction, all or none, each as ``certify`` (its own
    checks and its own ``batch.certify`` audit record); ``batch_ids=None``: every batch of
    ``session_id`` not yet certified or void (any of them not ready refuses the whole command)."""
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import BallotBatch

    authorize(actor, "batch.certify")
    if batch_ids is not None and len(set(batch_ids)) != len(batch_ids):
        raise Conflict("同一批次在本次核定中出现了不止一次。")
    with db.write() as s:
        if batch_ids is None:
            if session_id is None:
                raise Conflict("请指定评议会议，或逐个给出批次。")
            batch_ids = list(s.execute(
                select(col(BallotBatch.id))
                .where(col(BallotBatch.session_id) == session_id, col(BallotBatch.status).not_in((BatchStatus.CERTIFIED, BatchStatus.VOID)))
                .order_by(col(BallotBatch.id))
            ).scalars())
        return [_certify_in(s, actor, batch_id) for batch_id in batch_ids]


def _certify_in(s: Session, actor: Actor, batch_id: int) -> CertifyResult:
    """One batch's certification inside the caller's write transaction."""
    import numpy as np
    from sqlalchemy import insert, select
    from sqlmodel import col

    from assess.models import Ballot, TallyCount
    from assess.models.base import random_id, utcnow

    b, _sess = writable_batch(s, batch_id)
    _check_reviewer(s, actor, b, "核定")
    if b.source == "tally":
        if not _passes(s, batch_id):
            raise Conflict(f"批次“{b.label}”没有导入记录。")
        rec = _reconcile(b, None, _tally_max(s, batch_id))
        if not rec.ok:
            raise Conflict(f"批次“{b.label}”对账不符：{'；'.join(rec.problems)}。")
        tally_rows: Sequence[Any] = s.execute(
            select(col(TallyCount.position), col(TallyCount.choice), col(TallyCount.count)).where(
                col(TallyCount.batch_id) == batch_id
            )
        ).all()
        counts = [(pos, choice, n) for pos, choice, n in tally_rows]
        result = CertifyResult(batch_id, 0, 0, 0, 0, len(counts), tally_digest(counts))
    else:
        rules, _p, merged = _reading(s, b)
        open_n = sum(1 for m in merged.mismatches if m[4] is None)
        if open_n:
            raise Conflict(f"批次“{b.label}”还有 {open_n} 处两遍录入不一致未处理，不能核定。")
        statuses = ballot_statuses(rules, merged.marks, merged.explicit_void)
        rec = _reconcile(b, statuses)
        if not rec.ok:
            raise Conflict(f"批次“{b.label}”对账不符：{'；'.join(rec.problems)}。")
        # Stored order and ids reveal nothing about entry order.
        ballots: list[dict[str, Any]] = [
            {"id": random_id(), "batch_id": batch_id, "ballot_no": no, "status": st, "marks": mk}
            for no, st, mk in zip(merged.ballot_nos, statuses, merged.marks, strict=True)
        ]
        secrets.SystemRandom().shuffle(ballots)
        # The certified ballots' digest goes into the audit record (checked by audit verify).
        ballots_sha = pass_digest([(r["ballot_no"], r["status"], r["marks"]) for r in ballots])
        if ballots:
            s.execute(insert(Ballot), ballots)
        valid = [m for m, st in zip(merged.marks, statuses, strict=True) if st == "valid"]
        arr = marks_array(valid, rules.n_targets)
        counts = []
        for k in range(1, rules.n_options + 1):
            per_target = (arr == ord(str(k))).sum(axis=0)
            for pos in np.nonzero(per_target)[0].tolist():
                counts.append((pos + 1, k, int(per_target[pos])))
        if counts:
            s.execute(
                insert(TallyCount),
                [{"batch_id": batch_id, "position": p, "choice": c, "count": n} for p, c, n in counts],
            )
        result = CertifyResult(
            batch_id, len(ballots), rec.valid, rec.void, rec.blank, len(counts), tally_digest(counts)
        )
    ballot_bounds(s, b.session_id).check()
    add_session_sums(s, b.session_id, b.voter_group, counts)
    b.status = BatchStatus.CERTIFIED
    b.certified_by = actor.username
    b.certified_at = utcnow()
    s.add(b)
    audit.append(
        s,
        actor.username,
        "batch.certify",
        {
            "batch": batch_id,
            "label": b.label,
            "voter_group": b.voter_group,
            "source": b.source,
            "issued": b.issued,
            "returned": b.returned,
            "ballots": result.ballots,
            "valid": result.valid,
            "void": result.void,
            "blank": result.blank,
            "tally_digest": result.tally_digest,
            **({} if b.source == "tally" else {"ballots_digest": ballots_sha}),
        },
    )
    return result




def verify_certified(db: Database, session_id: int | None = None) -> list[str]:
    """Recompute every certified batch (of a session, or all) from its stored ballots and compare
    with its ``TallyCount`` rows and with the tally digest its certification wrote to the audit
    log. Returns the problems found, in words (empty: all consistent)."""

    import numpy as np
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import AuditRecord, Ballot, BallotBatch, TallyCount

    problems: list[str] = []
    with db.read() as s:
        q = select(BallotBatch).where(col(BallotBatch.status) == BatchStatus.CERTIFIED)
        if session_id is not None:
            q = q.where(col(BallotBatch.session_id) == session_id)
        batches: Sequence[BallotBatch] = s.execute(q.order_by(col(BallotBatch.id))).scalars().all()
        digests: dict[int, str] = {}
        certified: Sequence[Any] = s.execute(
            select(col(AuditRecord.payload)).where(col(AuditRecord.action) == "batch.certify")
        ).all()
        for (payload,) in certified:
            p = json.loads(payload) if isinstance(payload, str) else payload
            digests[int(p.get("batch", 0))] = p.get("tally_digest", "")
        for b in batches:
            assert b.id is not None  # a stored row has its id
            counted: Sequence[Any] = s.execute(
                select(col(TallyCount.position), col(TallyCount.choice), col(TallyCount.count)).where(
                    col(TallyCount.batch_id) == b.id
                )
            ).all()
            stored = sorted((pos, choice, n) for pos, choice, n in counted)
            if digests.get(b.id) != tally_digest(stored):
                problems.append(f"批次“{b.label}”（#{b.id}）的计票与核定时审计记录的摘要不符")
            if b.source == "tally":
                continue
            rules = session_rules(s, b.session_id)
            rows: Sequence[Any] = s.execute(
                select(col(Ballot.status), col(Ballot.marks)).where(col(Ballot.batch_id) == b.id)
            ).all()
            if len(rows) != b.returned:
                problems.append(f"批次“{b.label}”（#{b.id}）存有 {len(rows)} 张选票，收回为 {b.returned} 张")
            arr = marks_array([m for st, m in rows if st == "valid"], rules.n_targets)
            recomputed = []
            for k in range(1, rules.n_options + 1):
                per_target = (arr == ord(str(k))).sum(axis=0)
                recomputed += [
                    (pos + 1, k, int(per_target[pos])) for pos in np.nonzero(per_target)[0].tolist()
                ]
            if sorted(recomputed) != stored:
                problems.append(f"批次“{b.label}”（#{b.id}）的计票与所存选票重新计数不符")
    return problems
