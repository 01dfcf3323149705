"""An appraisal session's targets, counts and batches in the JSON form a snapshot holds: from the
snapshot for a published round, from the live tables otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assess.foundation import plain_sql
from assess.rounds.snapshots import published_content

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from assess.foundation.db import Reader


def live_targets(s: Reader, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The appraisal targets of the round's sessions (or of one session), by session and ballot
    position: code, name and the line shown under it (a unit's category; a cadre's unit and
    position)."""
    from sqlalchemy import select

    from assess.models import tables as t

    at, unit, cadre, sess = t.appraisaltarget, t.unit, t.cadre, t.appraisalsession
    # Columns, not objects: a 2,000-unit round reads thousands of targets on every ranking.
    q = (
        select(
            at.c.session_id,
            at.c.position,
            at.c.unit_id,
            at.c.cadre_id,
            unit.c.id,
            unit.c.code,
            unit.c.name,
            unit.c.category,
            cadre.c.code,
            cadre.c.name,
            cadre.c.unit_id,
            cadre.c.position,
        )
        .join(sess, sess.c.id == at.c.session_id)
        .join(unit, unit.c.id == at.c.unit_id, isouter=True)
        .join(cadre, cadre.c.id == at.c.cadre_id, isouter=True)
        .where(sess.c.round_id == round_id)
        .order_by(at.c.session_id, at.c.position)
    )
    if session_id is not None:
        q = q.where(at.c.session_id == session_id)
    rows = s.execute(q).all()
    cadre_unit_ids = {r[10] for r in rows if r[4] is None and r[10] is not None}
    unit_names = (
        {
            uid: name
            for uid, name in s.execute(select(unit.c.id, unit.c.name).where(unit.c.id.in_(cadre_unit_ids)))
        }
        if cadre_unit_ids
        else {}
    )
    out = []
    for sid, position, unit_id, cadre_id, u_id, u_code, u_name, u_cat, c_code, c_name, c_unit, c_pos in rows:
        row = {"session_id": sid, "position": position, "unit_id": unit_id, "cadre_id": cadre_id}
        if u_id is not None:
            row.update(code=u_code, name=u_name, cadre_unit_id=None, detail=u_cat)
        else:
            row.update(
                code=c_code, name=c_name, cadre_unit_id=c_unit, detail=f"{unit_names.get(c_unit, '')} {c_pos}"
            )
        out.append(row)
    return out


def live_session_counts(s: Reader, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """Counts of the certified batches of the round's sessions (or of one session), summed per
    session × voter group × target position × option: what a tally sheet counts. Read from the
    session sums kept at certification (``TallySum``), which ``audit verify`` checks against the
    batches recounted from their ballots. Read through the driver as plain tuples (32,000 rows at
    2,000 units; integers and strings)."""
    one = "" if session_id is None else " AND ts.session_id = :s"
    rows = plain_sql.fetchall(
        s,
        "SELECT ts.session_id, ts.voter_group, ts.position, ts.choice, ts.count FROM tallysum ts"
        f" JOIN appraisalsession a ON a.id = ts.session_id WHERE a.round_id = :r{one}"
        " ORDER BY ts.session_id, ts.voter_group, ts.position, ts.choice",
        {"r": round_id, "s": session_id},
    )
    return [
        {"session_id": sid, "voter_group": g, "position": p, "choice": c, "count": int(n)}
        for sid, g, p, c, n in rows
    ]


def live_batches(s: Reader, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The ballot batches of the round's sessions (or of one session) with their valid, void and
    blank ballot counts."""
    from sqlalchemy import func, select

    from assess.models import tables as t

    bb, sess, ballot = t.ballotbatch, t.appraisalsession, t.ballot
    q = (
        select(
            bb.c.session_id,
            bb.c.id,
            bb.c.label,
            bb.c.voter_group,
            bb.c.source,
            bb.c.status,
            bb.c.issued,
            bb.c.returned,
        )
        .join(sess, sess.c.id == bb.c.session_id)
        .where(sess.c.round_id == round_id)
        .order_by(bb.c.session_id, bb.c.id)
    )
    if session_id is not None:
        q = q.where(bb.c.session_id == session_id)
    batches = s.execute(q).all()
    stat: dict[int, dict[str, int]] = {}
    if batches:
        counted: list[Any] = list(
            s.execute(
                select(ballot.c.batch_id, ballot.c.status, func.count())
                .where(ballot.c.batch_id.in_([b.id for b in batches]))
                .group_by(ballot.c.batch_id, ballot.c.status)
            ).all()
        )
        for bid, status, n in counted:
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
    s: Reader, session_id: int, key: str, live: Callable[[Reader, int, int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    sess = t.appraisalsession
    round_id = s.execute(select(sess.c.round_id).where(sess.c.id == session_id)).scalar()
    if round_id is None:
        return []
    content = published_content(s, round_id)
    if content is None or key not in content:
        return live(s, round_id, session_id)
    return [r for r in content[key] if r["session_id"] == session_id]


def session_counts(s: Reader, session_id: int) -> list[dict[str, Any]]:
    """``live_session_counts`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "session_counts", live_session_counts)


def session_batches(s: Reader, session_id: int) -> list[dict[str, Any]]:
    """``live_batches`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "batches", live_batches)


def session_targets(s: Reader, session_id: int) -> list[dict[str, Any]]:
    """``live_targets`` of one session, from the snapshot when its round is published."""
    return _session_rows(s, session_id, "targets", live_targets)


def target_cells(s: Reader, session_ids: list[int], target_col: str) -> list[tuple[int, str, int, int, int]]:
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


def cadre_grades(s: Reader, round_id: int) -> list[tuple[int, int, str | None]]:
    """(session id, cadre id, grade) of a round's cadre results: as its snapshot holds them for a
    published round, from the stored results otherwise (``assess.results.round_view`` reads the whole
    of them; a tally sheet needs only the grades of earlier rounds)."""
    from sqlalchemy import select

    from assess.models import tables as t

    content = published_content(s, round_id)
    if content is not None:
        return [
            (int(c["session_id"]), int(c["cadre_id"]), c.get("grade"))
            for c in content.get("cadre_results", [])
        ]
    cr = t.cadreresult
    rows: Sequence[Any] = s.execute(
        select(cr.c.session_id, cr.c.cadre_id, cr.c.grade).where(cr.c.round_id == round_id)
    ).all()
    return [(int(sid), int(cid), grade) for sid, cid, grade in rows]
