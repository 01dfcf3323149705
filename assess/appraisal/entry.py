"""Ballot batches and keyboard entry passes (blind double entry).

A batch is one stack of paper ballots of one voter group, with the counts of ballots issued and
returned. Each of two different clerks keys the whole batch in an entry pass of their own
(``EntryPass`` 1 and 2); a clerk sees only their own pass. Every ballot is stored by its own
durable transaction. A pass is audited when it is opened and closed (with counts and a digest of
its content); single ballots are never audited, so no record ties a ballot's marks to a time.

What a ballot may contain and how its status is derived: ``assess.appraisal.marks``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.appraisal.forms import get_session, session_form
from assess.appraisal.marks import MarkRules, cached_rules, normalise
from assess.appraisal.session_info import load_groups, load_targets
from assess.appraisal.sessions import ballot_bounds, ensure_session_open
from assess.foundation import audit, plain_sql
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, FrozenError, NotFound, PermissionDenied
from assess.foundation.roles import Actor
from assess.foundation.users import display_names
from assess.foundation.vocabulary import BATCH_STATUS_LABELS, BatchStatus, PassStatus, Stage
from assess.foundation.write_guards import ensure_round_writable

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import TextClause
    from sqlmodel import Session

    from assess.appraisal.session_info import TargetRow
    from assess.foundation.db import Database
    from assess.models import AppraisalSession, BallotBatch, EntryPass

SOURCE_LABELS = {"paper": "纸质录入", "import": "导入选票", "tally": "导入汇总"}
MAX_BALLOT_NO = 1_000_000


# -- rows returned to callers -----------------------------------------------------------------------


@dataclass
class PassRow:
    id: int
    pass_no: int
    clerk: str
    status: str
    entered: int
    clerk_name: str = ""  # the name people read (assess.foundation.users.display_names)


@dataclass
class BatchRow:
    id: int
    session_id: int
    label: str
    voter_group: str
    source: str
    issued: int
    returned: int
    status: str
    void_reason: str | None
    certified_by: str | None
    passes: list[PassRow] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    def pass_text(self) -> str:
        if not self.passes:
            return "—"
        return " ".join(
            f"{p.pass_no}:{p.clerk_name or p.clerk}{'✓' if p.status == PassStatus.CLOSED else '…'}{p.entered}" for p in self.passes
        )


@dataclass
class PassCounts:
    entered: int = 0
    valid: int = 0
    void: int = 0
    blank: int = 0


@dataclass
class StoredBallot:
    ballot_no: int
    status: str
    marks: str
    counts: PassCounts | None = None


@dataclass
class EntryContext:
    """Everything the entry screen needs for one clerk's pass over one batch."""

    pass_id: int
    pass_no: int
    clerk: str
    batch_id: int
    batch_label: str
    voter_group: str
    group_name: str
    session_id: int
    session_name: str
    issued: int
    returned: int
    options: list[str]
    targets: list[TargetRow]
    rules: MarkRules
    ballots: dict[int, tuple[str, str]]  # own pass only: ballot_no → (status, marks)
    counts: PassCounts
    clerk_name: str = ""  # the name people read (assess.foundation.users.display_names)

    def next_ballot_no(self) -> int:
        n = 1
        while n in self.ballots:
            n += 1
        return n


# -- helpers ----------------------------------------------------------------------------------------


def locked_batch(s: Session, batch_id: int, lock: bool = False) -> BallotBatch:
    """The batch row; ``lock`` takes a row lock on PostgreSQL (SQLite's IMMEDIATE transaction
    already serialises writers) so that concurrent passes, resolutions and certification queue."""
    from assess.models import BallotBatch

    b = s.get(BallotBatch, batch_id, with_for_update=lock)
    if b is None:
        raise NotFound(f"选票批次 #{batch_id} 不存在。")
    return b


def writable_batch(s: Session, batch_id: int) -> tuple[BallotBatch, AppraisalSession]:
    b = locked_batch(s, batch_id, lock=True)
    sess = get_session(s, b.session_id)
    ensure_round_writable(s, sess.round_id)
    if b.status == BatchStatus.CERTIFIED:
        raise FrozenError(f"选票批次“{b.label}”已核定，不能再修改。")
    if b.status == BatchStatus.VOID:
        raise FrozenError(f"选票批次“{b.label}”已作废，不能再修改。")
    return b, sess


def _counts_from_rows(rows: Iterable[tuple[str, Any]]) -> PassCounts:
    c = PassCounts()
    for status, n in rows:
        setattr(c, status, int(n))
    c.entered = c.valid + c.void + c.blank
    return c


def _pass_counts(s: Session, pass_id: int) -> PassCounts:
    """The pass's running counts as stored on its row (kept by every store and removal)."""
    from sqlalchemy import text

    row = s.connection().execute(text(_STORED_COUNTS_SQL), {"pass_id": pass_id}).first()
    return _counts_from_rows([] if row is None else zip(("valid", "void", "blank"), row, strict=True))


def count_pass_ballots(s: Session, pass_id: int) -> PassCounts:
    """The pass's counts recounted from its ballots (``GROUP BY status``, a scan of the pass)."""
    from sqlalchemy import text

    return _counts_from_rows(s.connection().execute(text(_COUNTS_SQL), {"pass_id": pass_id}).all())


def recount_pass(s: Session, pass_id: int) -> PassCounts:
    """Set the pass's running counts from a recount of its ballots (after rows were written in
    bulk, as an import does) and return them."""
    from sqlalchemy import text

    c = count_pass_ballots(s, pass_id)
    s.connection().execute(
        text("UPDATE entrypass SET valid = :valid, void = :void, blank = :blank WHERE id = :pass_id"),
        {"valid": c.valid, "void": c.void, "blank": c.blank, "pass_id": pass_id},
    )
    return c


def pass_digest(rows: list[tuple[int, str, str]]) -> str:
    """SHA-256 over a pass's ballots in ballot-number order: lets the audit log vouch for a
    pass's content without holding any ballot's marks."""
    h = hashlib.sha256()
    ordered = sorted(rows)
    for at in range(0, len(ordered), 10_000):  # the same bytes as one update per ballot, fewer calls
        h.update("".join([f"{no}|{status}|{marks}\n" for no, status, marks in ordered[at : at + 10_000]]).encode())
    return h.hexdigest()


# -- batches ----------------------------------------------------------------------------------------


def _check_label(label: str) -> str:
    label = (label or "").strip()
    if not label or len(label) > 32:
        raise Conflict("批次编号不能为空，且不超过 32 个字符。")
    return label


def _check_issued_returned(issued: int, returned: int) -> None:
    for what, v in (("发出", issued), ("收回", returned)):
        if not isinstance(v, int) or v < 0:
            raise Conflict(f"{what}张数必须是不小于 0 的整数。")


def create_batch(
    db: Database, actor: Actor, session_id: int, voter_group: str, label: str, issued: int, returned: int
) -> int:
    """Register a stack of paper ballots of one voter group (ballots issued and returned)."""
    from sqlmodel import select

    from assess.models import BallotBatch, SessionVoterGroup

    authorize(actor, "batch.create")
    label = _check_label(label)
    _check_issued_returned(issued, returned)
    with db.write() as s:
        ensure_session_open(s, session_id)
        groups = s.exec(
            select(SessionVoterGroup.code).where(SessionVoterGroup.session_id == session_id)
        ).all()
        if voter_group not in groups:
            raise NotFound(f"本会议没有投票人类别“{voter_group}”；可用：{'、'.join(groups)}。")
        if s.exec(
            select(BallotBatch.id).where(BallotBatch.session_id == session_id, BallotBatch.label == label)
        ).first():
            raise Conflict(f"批次编号“{label}”在本会议中已存在。")
        b = BallotBatch(
            session_id=session_id,
            voter_group=voter_group,
            label=label,
            source="paper",
            issued=issued,
            returned=returned,
        )
        s.add(b)
        s.flush()
        ballot_bounds(s, session_id).check()
        audit.append(
            s,
            actor.username,
            "batch.create",
            {
                "batch": b.id,
                "session": session_id,
                "label": label,
                "voter_group": voter_group,
                "issued": issued,
                "returned": returned,
            },
        )
        assert b.id is not None  # flushed: the row has its id
        return b.id


def set_batch_counts(
    db: Database, actor: Actor, batch_id: int, *, issued: int | None = None, returned: int | None = None
) -> None:
    """Correct the ballots issued/returned of a batch that is not yet certified."""

    authorize(actor, "batch.create")
    with db.write() as s:
        b, _sess = writable_batch(s, batch_id)
        new_issued = b.issued if issued is None else issued
        new_returned = b.returned if returned is None else returned
        _check_issued_returned(new_issued, new_returned)
        if (new_issued, new_returned) == (b.issued, b.returned):
            return
        b.issued, b.returned = new_issued, new_returned
        s.add(b)
        s.flush()
        ballot_bounds(s, b.session_id).check()
        audit.append(
            s,
            actor.username,
            "batch.counts",
            {"batch": batch_id, "issued": new_issued, "returned": new_returned},
        )


def void_batch(db: Database, actor: Actor, batch_id: int, reason: str) -> None:
    """Void a batch (e.g. more ballots returned than issued): it is never counted."""
    authorize(actor, "batch.void")
    reason = (reason or "").strip()
    if not reason:
        raise Conflict("作废批次必须写明理由。")
    with db.write() as s:
        b, _sess = writable_batch(s, batch_id)
        b.status = BatchStatus.VOID
        b.void_reason = reason
        s.add(b)
        audit.append(
            s,
            actor.username,
            "batch.void",
            {
                "batch": batch_id,
                "label": b.label,
                "reason": reason,
                "issued": b.issued,
                "returned": b.returned,
            },
        )


def list_batches(db: Database, session_id: int) -> list[BatchRow]:
    from sqlmodel import col, select

    from assess.models import BallotBatch, EntryPass

    with db.read() as s:
        batches = s.exec(
            select(BallotBatch).where(BallotBatch.session_id == session_id).order_by(col(BallotBatch.id))
        ).all()
        ids = [b.id for b in batches]
        passes: dict[int, list[PassRow]] = {}
        names = display_names(s)
        if ids:
            for p in s.exec(
                select(EntryPass).where(col(EntryPass.batch_id).in_(ids)).order_by(col(EntryPass.batch_id), col(EntryPass.pass_no))
            ).all():
                assert p.id is not None  # a stored row has its id
                entered = p.valid + p.void + p.blank
                passes.setdefault(p.batch_id, []).append(PassRow(p.id, p.pass_no, p.clerk, p.status, entered,
                                                                   names.get(p.clerk, p.clerk)))
    return [
        BatchRow(
            b.id,
            b.session_id,
            b.label,
            b.voter_group,
            b.source,
            b.issued,
            b.returned,
            b.status,
            b.void_reason,
            b.certified_by,
            passes.get(b.id, []),
        )
        for b in batches
    ]


def get_batch(db: Database, batch_id: int) -> BatchRow:
    with db.read() as s:
        b = locked_batch(s, batch_id)
    for row in list_batches(db, b.session_id):
        if row.id == batch_id:
            return row
    raise NotFound(f"选票批次 #{batch_id} 不存在。")  # pragma: no cover - removed concurrently


# -- entry passes -----------------------------------------------------------------------------------


def open_pass(db: Database, actor: Actor, batch_id: int) -> EntryContext:
    """Continue the actor's open pass over a batch, or start the next pass (1, then 2). The same
    clerk can never key the same batch twice."""
    from sqlmodel import col, select

    from assess.models import EntryPass

    authorize(actor, "ballot.enter")
    with db.write() as s:
        b, sess = writable_batch(s, batch_id)
        if b.source != "paper":
            raise Conflict(f"批次“{b.label}”来自导入，不用键盘录入。")
        passes = s.exec(
            select(EntryPass).where(EntryPass.batch_id == batch_id).order_by(col(EntryPass.pass_no))
        ).all()
        mine = next((p for p in passes if p.clerk == actor.username), None)
        if mine is not None and mine.status != PassStatus.OPEN:
            raise Conflict(
                f"你已完成批次“{b.label}”的第 {mine.pass_no} 遍录入；同一录入员不能录入同一批次两遍。"
            )
        if mine is None:
            if len(passes) >= 2:
                names = display_names(s)
                first, second = (names.get(p.clerk, p.clerk) for p in passes[:2])
                raise Conflict(f"批次“{b.label}”已由 {first} 和 {second} 两人录入，不能再开第三遍。")
            mine = EntryPass(batch_id=batch_id, pass_no=len(passes) + 1, clerk=actor.username)
            s.add(mine)
            s.flush()
            audit.append(
                s,
                actor.username,
                "ballot.pass.open",
                {"batch": batch_id, "label": b.label, "pass_no": mine.pass_no},
            )
        return _context(s, mine, b, sess)


def _context(s: Session, p: EntryPass, b: BallotBatch, sess: AppraisalSession) -> EntryContext:
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import PassBallot

    assert p.id is not None and b.id is not None and sess.id is not None  # stored rows have their ids
    form = session_form(s, sess.id)
    targets = load_targets(s, sess.id)
    groups = {g.code: g.name for g in load_groups(s, sess.id)}
    rows: Sequence[Any] = s.execute(
        select(col(PassBallot.ballot_no), col(PassBallot.status), col(PassBallot.marks)).where(
            col(PassBallot.pass_id) == p.id
        )
    ).all()
    return EntryContext(
        pass_id=p.id,
        pass_no=p.pass_no,
        clerk=p.clerk,
        batch_id=b.id,
        batch_label=b.label,
        voter_group=b.voter_group,
        group_name=groups.get(b.voter_group, b.voter_group),
        session_id=sess.id,
        session_name=sess.name,
        issued=b.issued,
        returned=b.returned,
        options=[o.label for o in form.options],
        targets=targets,
        rules=MarkRules.from_form(form, len(targets)),
        ballots={no: (st, mk) for no, st, mk in rows},
        counts=_pass_counts(s, p.id),
        clerk_name=display_names(s).get(p.clerk, p.clerk),
    )


_PASS_COLUMNS = """ep.clerk, ep.status, ep.batch_id, bb.status, bb.label, se.id, se.form_code, rd.stage,
       rd.scheme_version_id, (SELECT COUNT(*) FROM appraisaltarget t WHERE t.session_id = se.id),
       ep.valid, ep.void, ep.blank"""
_PASS_JOINS = """FROM entrypass ep
JOIN ballotbatch bb ON bb.id = ep.batch_id
JOIN appraisalsession se ON se.id = bb.session_id
JOIN round rd ON rd.id = se.round_id"""
_PASS_CHECK_SQL = f"SELECT {_PASS_COLUMNS}\n{_PASS_JOINS}\nWHERE ep.id = :pass_id"
# SQLite only: the same row and the stored status of the ballot being keyed, in one query (the
# IMMEDIATE transaction already holds the write lock, so nothing changes after this read). On
# PostgreSQL the status is read after the pass row is locked (_OLD_STATUS_SQL), so that a store
# that waited for the lock sees the ballot the one before it committed.
_STORE_CHECK_SQL = (
    f"SELECT {_PASS_COLUMNS}, pb.status\n{_PASS_JOINS}\n"
    "LEFT JOIN passballot pb ON pb.pass_id = ep.id AND pb.ballot_no = :ballot_no\nWHERE ep.id = :pass_id"
)

_UPSERT_SQL = """
INSERT INTO passballot (id, pass_id, ballot_no, status, marks) VALUES (:id, :pass_id, :ballot_no, :status, :marks)
ON CONFLICT (pass_id, ballot_no) DO UPDATE SET status = excluded.status, marks = excluded.marks
"""

_COUNTS_SQL = "SELECT status, COUNT(*) FROM passballot WHERE pass_id = :pass_id GROUP BY status"
_STORED_COUNTS_SQL = "SELECT valid, void, blank FROM entrypass WHERE id = :pass_id"
_OLD_STATUS_SQL = "SELECT status FROM passballot WHERE pass_id = :pass_id AND ballot_no = :ballot_no"
_SET_COUNTS_SQL = "UPDATE entrypass SET valid = :valid, void = :void, blank = :blank WHERE id = :pass_id"


@functools.cache
def _sql(statement: str) -> TextClause:
    """One ``text()`` per statement for the process: SQLAlchemy's compiled cache then finds it
    without parsing the string again (these run once per stored ballot)."""
    from sqlalchemy import text

    return text(statement)


def _shift_counts(
    conn: Connection, pass_id: int, counts: PassCounts, old: str | None, new: str | None, *, plain: bool = False
) -> PassCounts:
    """Move one ballot between statuses in the pass's running counts (``None``: absent) and store
    them in the caller's transaction (``plain``: on the driver's connection, as ``store_ballot``
    runs its statements); returns the counts after the change."""
    if old == new:
        return counts
    if old is not None:
        setattr(counts, old, getattr(counts, old) - 1)
    if new is not None:
        setattr(counts, new, getattr(counts, new) + 1)
    counts.entered = counts.valid + counts.void + counts.blank
    values = {"valid": counts.valid, "void": counts.void, "blank": counts.blank, "pass_id": pass_id}
    if plain:
        plain_sql.run(conn, _SET_COUNTS_SQL, values)
    else:
        conn.execute(_sql(_SET_COUNTS_SQL), values)
    return counts


def _checked_pass(s: Session | Connection, actor: Actor, row: Any) -> tuple[int, int, MarkRules, PassCounts]:
    """Refuse unless the pass (a row of ``_PASS_CHECK_SQL``) is the actor's own and open, its batch
    open and its round not frozen; returns batch id, session id, mark rules and running counts."""
    clerk, pstatus, batch_id, bstatus, label, session_id, form_code, stage, version_id, n, *stored = row[:13]
    if clerk != actor.username:
        raise PermissionDenied("只能录入、查看自己的录入遍次（双人背靠背录入）。")
    if stage == Stage.PUBLISHED:
        raise FrozenError("该考核轮次已公示冻结，不能再修改。")
    if bstatus != BatchStatus.OPEN:
        raise FrozenError(f"选票批次“{label}”已{BATCH_STATUS_LABELS.get(bstatus, bstatus)}，不能再修改。")
    if pstatus != PassStatus.OPEN:
        raise Conflict("本遍录入已完成，不能再修改。")
    counts = _counts_from_rows(zip(("valid", "void", "blank"), stored, strict=True))
    return batch_id, session_id, cached_rules(s, session_id, version_id, form_code, n), counts


def _own_open_pass(s: Session, actor: Actor, pass_id: int) -> tuple[int, int, MarkRules, PassCounts]:
    """The pass row joined with what the per-ballot checks need, in one query (plain SQL: this
    runs once per stored ballot and must stay cheap): batch id, session id, mark rules and the
    pass's running counts."""
    sql = _PASS_CHECK_SQL
    if s.get_bind().dialect.name == "postgresql":
        sql += " FOR UPDATE OF ep"  # a pass takes one write at a time (closing it waits for a store)
    row: Any = s.connection().execute(_sql(sql), {"pass_id": pass_id}).first()  # plain SQL: untyped columns
    if row is None:
        raise NotFound(f"录入遍次 #{pass_id} 不存在。")
    return _checked_pass(s, actor, row)


def store_ballot(
    db: Database, actor: Actor, pass_id: int, ballot_no: int, marks: str, kind: str = "marks"
) -> StoredBallot:
    """Store (or re-key) one ballot of the actor's own pass in one durable transaction. Returns the
    ballot as stored (status derived from its marks) and the pass's running counts.

    The hot path of keying: a Core connection (``Database.write_connection``: BEGIN IMMEDIATE, the
    actor re-checked, durable commit), statements on the driver's connection
    (``assess.foundation.plain_sql``) and, on SQLite, three of them — the pass checks with the
    ballot's stored status, the upsert, the running counts."""
    from assess.models.base import random_id

    authorize(actor, "ballot.enter")
    if not isinstance(ballot_no, int) or not 1 <= ballot_no <= MAX_BALLOT_NO:
        raise Conflict(f"票号必须是 1 到 {MAX_BALLOT_NO} 之间的整数。")
    with db.write_connection() as conn:
        keys = {"pass_id": pass_id, "ballot_no": ballot_no}
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # a pass takes one write at a time (closing it waits for a store)
            row = plain_sql.fetchone(conn, _PASS_CHECK_SQL + " FOR UPDATE OF ep", keys)
        else:
            row = plain_sql.fetchone(conn, _STORE_CHECK_SQL, keys)
        if row is None:
            raise NotFound(f"录入遍次 #{pass_id} 不存在。")
        _batch_id, _session_id, rules, counts = _checked_pass(conn, actor, row)
        status, marks = normalise(rules, marks, kind)
        old = (plain_sql.fetchone(conn, _OLD_STATUS_SQL, keys) or (None,))[0] if postgres else row[13]
        plain_sql.run(
            conn,
            _UPSERT_SQL,
            {"id": random_id(), "pass_id": pass_id, "ballot_no": ballot_no, "status": status, "marks": marks},
        )
        counts = _shift_counts(conn, pass_id, counts, old, status, plain=True)
    return StoredBallot(ballot_no, status, marks, counts)


def delete_ballot(db: Database, actor: Actor, pass_id: int, ballot_no: int) -> PassCounts:
    """Remove a ballot keyed under a wrong number from the actor's own open pass."""
    from sqlalchemy import delete
    from sqlmodel import col

    from assess.models import PassBallot

    authorize(actor, "ballot.enter")
    with db.write() as s:
        batch_id, _session_id, _rules, counts = _own_open_pass(s, actor, pass_id)
        conn = s.connection()
        old = conn.execute(_sql(_OLD_STATUS_SQL), {"pass_id": pass_id, "ballot_no": ballot_no}).scalar()
        if old is None:
            raise NotFound(f"本遍没有第 {ballot_no} 张选票。")
        s.execute(delete(PassBallot).where(col(PassBallot.pass_id) == pass_id, col(PassBallot.ballot_no) == ballot_no))
        audit.append(
            s,
            actor.username,
            "ballot.pass.delete",
            {"batch": batch_id, "pass": pass_id, "ballot_no": ballot_no},
        )
        return _shift_counts(conn, pass_id, counts, old, None)


def close_pass(db: Database, actor: Actor, pass_id: int) -> PassCounts:
    """Finish the actor's pass: it can no longer change and can be compared with the other."""
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import EntryPass, PassBallot
    from assess.models.base import utcnow

    authorize(actor, "ballot.enter")
    with db.write() as s:
        batch_id, _session_id, _rules, counts = _own_open_pass(s, actor, pass_id)
        if counts.entered == 0:
            raise Conflict("本遍还没有录入任何选票。")
        rows: Sequence[Any] = s.execute(
            select(col(PassBallot.ballot_no), col(PassBallot.status), col(PassBallot.marks)).where(
                col(PassBallot.pass_id) == pass_id
            )
        ).all()
        p = s.get(EntryPass, pass_id)
        assert p is not None  # _own_open_pass found it in this transaction
        p.status = PassStatus.CLOSED
        p.closed_at = utcnow()
        s.add(p)
        audit.append(
            s,
            actor.username,
            "ballot.pass.close",
            {
                "batch": batch_id,
                "pass_no": p.pass_no,
                "entered": counts.entered,
                "valid": counts.valid,
                "void": counts.void,
                "blank": counts.blank,
                "digest": pass_digest([(no, st, mk) for no, st, mk in rows]),
            },
        )
        return counts


def pass_ballots(db: Database, actor: Actor, pass_id: int) -> list[StoredBallot]:
    """The actor's own pass, by ballot number (a clerk never sees the other pass)."""
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import EntryPass, PassBallot

    with db.read() as s:
        p = s.get(EntryPass, pass_id)
        if p is None:
            raise NotFound(f"录入遍次 #{pass_id} 不存在。")
        if p.clerk != actor.username:
            raise PermissionDenied("只能查看自己的录入遍次（双人背靠背录入）。")
        rows: Sequence[Any] = s.execute(
            select(col(PassBallot.ballot_no), col(PassBallot.status), col(PassBallot.marks))
            .where(col(PassBallot.pass_id) == pass_id)
            .order_by(col(PassBallot.ballot_no))
        ).all()
    return [StoredBallot(no, st, mk) for no, st, mk in rows]


def pass_counts(db: Database, pass_id: int) -> PassCounts:
    with db.read() as s:
        return _pass_counts(s, pass_id)
