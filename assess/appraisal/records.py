"""An appraisal session's targets, counts and batches in the JSON form a snapshot holds: from the
snapshot for a published round, from the live tables otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.rounds.snapshots import published_content

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session


def live_targets(s: Session, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The appraisal targets of the round's sessions (or of one session), by session and ballot
    position: code, name and the line shown under it (a unit's category; a cadre's unit and
    position)."""
    from sqlmodel import col, select

    from assess.models import AppraisalSession, AppraisalTarget, Cadre, Unit

    # Columns, not ORM objects: a 2,000-unit round reads thousands of targets on every ranking.
    q = (
        select(
            AppraisalTarget.session_id,
            AppraisalTarget.position,
            AppraisalTarget.unit_id,
            AppraisalTarget.cadre_id,
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.category,
            Cadre.code,
            Cadre.name,
            Cadre.unit_id,
            Cadre.position,
        )
        .join(AppraisalSession, AppraisalSession.id == AppraisalTarget.session_id)
        .join(Unit, Unit.id == AppraisalTarget.unit_id, isouter=True)
        .join(Cadre, Cadre.id == AppraisalTarget.cadre_id, isouter=True)
        .where(AppraisalSession.round_id == round_id)
        .order_by(col(AppraisalTarget.session_id), col(AppraisalTarget.position))
    )
    if session_id is not None:
        q = q.where(AppraisalTarget.session_id == session_id)
    rows = s.exec(q).all()
    cadre_unit_ids = {r[10] for r in rows if r[4] is None and r[10] is not None}
    unit_names = (
        dict(s.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(cadre_unit_ids))).all())
        if cadre_unit_ids
        else {}
    )
    out = []
    for sid, position, unit_id, cadre_id, u_id, u_code, u_name, u_cat, c_code, c_name, c_unit, c_pos in rows:
        row = {"session_id": sid, "position": position, "unit_id": unit_id, "cadre_id": cadre_id}
        if u_id is not None:
            row.update(code=u_code, name=u_name, cadre_unit_id=None, detail=u_cat)
        else:
            row.update(code=c_code, name=c_name, cadre_unit_id=c_unit, detail=f"{unit_names.get(c_unit, '')} {c_pos}")
        out.append(row)
    return out


def session_targets(s: Session, session_id: int) -> list[dict[str, Any]]:
    """``live_targets`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "targets", live_targets)


def live_session_counts(s: Session, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """Counts of the certified batches of the round's sessions (or of one session), summed per
    session × voter group × target position × option: what a tally sheet counts. Read from the
    session sums kept at certification (``TallySum``), which ``audit verify`` checks against the
    batches recounted from their ballots."""
    from sqlalchemy import select
    from sqlmodel import col

    from assess.models import AppraisalSession, TallySum

    q = (
        select(
            col(TallySum.session_id), col(TallySum.voter_group), col(TallySum.position), col(TallySum.choice),
            col(TallySum.count),
        )
        .join(AppraisalSession, col(AppraisalSession.id) == col(TallySum.session_id))
        .where(col(AppraisalSession.round_id) == round_id)
        .order_by(col(TallySum.session_id), col(TallySum.voter_group), col(TallySum.position), col(TallySum.choice))
    )
    if session_id is not None:
        q = q.where(col(TallySum.session_id) == session_id)
    return [  # through the connection: plain rows, without the ORM's per-row loading (32,000 at 2,000 units)
        {"session_id": sid, "voter_group": g, "position": p, "choice": c, "count": int(n)}
        for sid, g, p, c, n in s.connection().execute(q).all()
    ]


def live_batches(s: Session, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The ballot batches of the round's sessions (or of one session) with their valid, void and
    blank ballot counts."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from assess.models import AppraisalSession, Ballot, BallotBatch

    q = (
        select(BallotBatch)
        .join(AppraisalSession, col(AppraisalSession.id) == BallotBatch.session_id)
        .where(AppraisalSession.round_id == round_id)
        .order_by(col(BallotBatch.session_id), col(BallotBatch.id))
    )
    if session_id is not None:
        q = q.where(BallotBatch.session_id == session_id)
    batches = s.exec(q).all()
    stat: dict[int, dict[str, int]] = {}
    if batches:
        for bid, status, n in s.exec(
            select(Ballot.batch_id, Ballot.status, func.count())
            .where(col(Ballot.batch_id).in_([b.id for b in batches]))
            .group_by(col(Ballot.batch_id), col(Ballot.status))
        ).all():
            stat.setdefault(bid, {})[status] = int(n)
    return [
        {
            "session_id": b.session_id,
            "batch_id": b.id,
            "label": b.label,
            "group": b.voter_group,
            "source": b.source,
            "status": b.status,
            "issued": b.issued,
            "returned": b.returned,
            **{k: stat.get(b.id, {}).get(k, 0) for k in ("valid", "void", "blank")},
        }
        for b in batches
    ]


def _session_rows(
    s: Session, session_id: int, key: str, live: Callable[[Session, int, int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    from sqlmodel import select

    from assess.models import AppraisalSession

    round_id = s.exec(select(AppraisalSession.round_id).where(AppraisalSession.id == session_id)).first()
    if round_id is None:
        return []
    content = published_content(s, round_id)
    if content is None or key not in content:
        return live(s, round_id, session_id)
    return [r for r in content[key] if r["session_id"] == session_id]


def session_counts(s: Session, session_id: int) -> list[dict[str, Any]]:
    """``live_session_counts`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "session_counts", live_session_counts)


def session_batches(s: Session, session_id: int) -> list[dict[str, Any]]:
    """``live_batches`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "batches", live_batches)


def target_cells(s: Session, session_ids: list[int], target_col: str) -> list[tuple[int, str, int, int, int]]:
    """(session_id, voter_group, unit or cadre id, choice, count) of the sessions' certified batches:
    the one aggregation (``session_counts``, the sums kept at certification), each ballot position read
    as its target's ``unit_id`` or ``cadre_id`` (``target_col``). Positions without one are left out."""
    out = []
    for sid in session_ids:
        target = {t["position"]: t[target_col] for t in session_targets(s, sid)}
        for r in session_counts(s, sid):
            tid = target.get(r["position"])
            if tid is not None:
                out.append((sid, r["voter_group"], int(tid), int(r["choice"]), int(r["count"])))
    return sorted(out)


def cadre_grades(s: Session, round_id: int) -> list[tuple[int, int, str | None]]:
    """(session id, cadre id, grade) of a round's cadre results: as its snapshot holds them for a
    published round, from the stored results otherwise (``assess.results.round_view`` reads the whole
    of them; a tally sheet needs only the grades of earlier rounds)."""
    from sqlmodel import select

    from assess.models import CadreResult

    content = published_content(s, round_id)
    if content is not None:
        return [(int(c["session_id"]), int(c["cadre_id"]), c.get("grade")) for c in content.get("cadre_results", [])]
    rows = s.exec(
        select(CadreResult.session_id, CadreResult.cadre_id, CadreResult.grade).where(CadreResult.round_id == round_id)
    ).all()
    return [(int(sid), int(cid), grade) for sid, cid, grade in rows]
