"""One reader for what is shown or exported about a round: for a published round, its publication
snapshot; for any other round, the live tables.

Every output of a round — rankings and the unit explanation, cadre results, the accountability
list, the review and vote record, the appraisal tallies, notices, reports and workbooks, and the
screens that show them — reads its rows through the functions here, so that a published round
shows exactly what was frozen, names as they were at publication, whatever happens to the live
rows afterwards (see docs/reliability.md, "已公示轮次"). ``live_content`` is also what
``publication.publish`` freezes (snapshot format 2) and what ``publication.verify_snapshot``
compares the snapshot with, field by field.

Snapshots written before format 2 (no ``format`` key) hold the inputs, the results and the
accountability statuses but not every printed field; for those rounds the readers fall back to
the live tables (the freeze triggers still protect them) and verification checks what they hold.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from .db import Database
    from .schemes.definition import SchemeDef

SNAPSHOT_FORMAT = 2

# Fields of a format-2 snapshot taken from the master data (unit and cadre names, positions, a
# unit's current category and a cadre's current unit): shown as they were at publication, and
# legitimately edited afterwards, so verification does not compare them with the live rows; the
# content hash and the ``round.publish`` audit record protect them.
MASTER_FIELDS = {
    "inputs.units": ("name", "category"),
    "results": ("name",),
    "cadre_results": ("name", "position", "unit_id", "unit_code", "unit_name"),
    "accountability": ("unit_name", "category", "cadre_name", "position", "cadre_unit_name"),
    "tallies": ("unit_name",),
    "targets": ("name", "cadre_unit_id", "detail"),
}


def iso(value: datetime | None) -> str | None:
    """A stored instant as ISO text in UTC (naive values are UTC), the form snapshots hold."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _num(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


# -- the snapshot of a published round -------------------------------------------------------------


def published_content(s: Session, round_id: int) -> dict[str, Any] | None:
    """The snapshot content of a published round in format 2 or later, else None (the live
    tables are read)."""
    from sqlmodel import select

    from .models import Round, Snapshot

    stage = s.exec(select(Round.stage).where(Round.id == round_id)).first()
    if stage == "publicity":  # 公示中: the 公示 snapshot (assess/publicity.py)
        from .publicity import publicity_content

        return publicity_content(s, round_id)
    if stage != "published":
        return None
    cache = s.info.setdefault("published_content", {})  # one read per session: the snapshot never changes
    if round_id not in cache:
        cache[round_id] = s.exec(select(Snapshot.content).where(Snapshot.round_id == round_id)).first()
    content = cache[round_id]
    if not content or int(content.get("format") or 1) < SNAPSHOT_FORMAT:
        return None
    return content


# -- live rows, in the JSON form a snapshot holds -----------------------------------------------------


def live_results(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import Unit, UnitResult

    rows = s.exec(
        select(UnitResult, Unit.code, Unit.name)
        .join(Unit, Unit.id == UnitResult.unit_id)
        .where(UnitResult.round_id == round_id)
        .order_by(UnitResult.category, UnitResult.rank, Unit.code)
    ).all()
    return [
        {
            "unit_id": int(r.unit_id),
            "code": code,
            "name": name,
            "category": r.category,
            "composite": float(r.composite),
            "components": {k: _num(v) for k, v in sorted((r.components or {}).items())},
            "rank": int(r.rank),
            "rank_low": None if r.rank_low is None else int(r.rank_low),
            "rank_high": None if r.rank_high is None else int(r.rank_high),
            "grade": r.grade,
            "flags": list(r.flags or []),
        }
        for r, code, name in rows
    ]


def live_cadre_results(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import Cadre, CadreResult, Unit

    rows = s.exec(
        select(CadreResult, Cadre, Unit)
        .join(Cadre, Cadre.id == CadreResult.cadre_id)
        .join(Unit, Unit.id == Cadre.unit_id, isouter=True)
        .where(CadreResult.round_id == round_id)
        .order_by(CadreResult.session_id, Cadre.code)
    ).all()
    return [
        {
            "session_id": c.session_id,
            "cadre_id": c.cadre_id,
            "code": cadre.code,
            "name": cadre.name,
            "position": cadre.position,
            "unit_id": cadre.unit_id,
            "unit_code": u.code if u else None,
            "unit_name": u.name if u else None,
            "score": _num(c.score),
            "grade": c.grade,
            "counts": c.counts,
            "flags": list(c.flags or []),
        }
        for c, cadre, u in rows
    ]


def live_accountability(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import AccountabilityEntry, Cadre, Unit

    entries = s.exec(
        select(AccountabilityEntry)
        .where(AccountabilityEntry.round_id == round_id)
        .order_by(AccountabilityEntry.id)
    ).all()
    units = {u.id: u for u in s.exec(select(Unit))}
    cadre_ids = {e.cadre_id for e in entries if e.cadre_id}
    cadres = {c.id: c for c in s.exec(select(Cadre).where(Cadre.id.in_(cadre_ids)))} if cadre_ids else {}
    out = []
    for e in entries:
        u = units.get(e.unit_id)
        c = cadres.get(e.cadre_id)
        cu = units.get(c.unit_id) if c else None
        out.append(
            {
                "id": e.id,
                "unit_id": e.unit_id,
                "unit_code": u.code if u else None,
                "unit_name": u.name if u else None,
                "category": u.category if u else None,
                "cadre_id": e.cadre_id,
                "cadre_code": c.code if c else None,
                "cadre_name": c.name if c else None,
                "position": c.position if c else None,
                "cadre_unit_name": cu.name if cu else None,
                "rule_code": e.rule_code,
                "rule_text": e.rule_text,
                "figures": e.figures,
                "proposed_action": e.proposed_action,
                "robust_share": _num(e.robust_share),
                "status": e.status,
                "decided_by": e.decided_by,
                "decided_at": iso(e.decided_at),
                "reason": e.reason,
            }
        )
    return out


def live_review(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import ReviewStep

    return [
        {
            "id": st.id,
            "step": st.step,
            "by_user": st.by_user,
            "decision": st.decision,
            "note": st.note,
            "at": iso(st.at),
        }
        for st in s.exec(select(ReviewStep).where(ReviewStep.round_id == round_id).order_by(ReviewStep.id))
    ]


def live_votes(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import ApprovalVote

    return [
        {
            "id": v.id,
            "expected": v.expected_members,
            "present": v.present,
            "yes": v.yes,
            "no": v.no,
            "abstain": v.abstain,
            "passed": v.passed,
            "recorded_by": v.recorded_by,
            "at": iso(v.at),
        }
        for v in s.exec(
            select(ApprovalVote).where(ApprovalVote.round_id == round_id).order_by(ApprovalVote.id)
        )
    ]


def live_tallies(s: Session, round_id: int, scheme: SchemeDef) -> list[dict[str, Any]]:
    from .reports.tallies import unit_tallies

    frame, _options = unit_tallies(s, round_id, scheme)
    return [{k: _num(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def live_targets(s: Session, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The appraisal targets of the round's sessions (or of one session), by session and ballot
    position: code, name and the line shown under it (a unit's category; a cadre's unit and
    position)."""
    from sqlmodel import select

    from .models import AppraisalSession, AppraisalTarget, Cadre, Unit

    q = (
        select(AppraisalTarget, Unit, Cadre)
        .join(AppraisalSession, AppraisalSession.id == AppraisalTarget.session_id)
        .join(Unit, Unit.id == AppraisalTarget.unit_id, isouter=True)
        .join(Cadre, Cadre.id == AppraisalTarget.cadre_id, isouter=True)
        .where(AppraisalSession.round_id == round_id)
        .order_by(AppraisalTarget.session_id, AppraisalTarget.position)
    )
    if session_id is not None:
        q = q.where(AppraisalTarget.session_id == session_id)
    rows = s.exec(q).all()
    cadre_unit_ids = {c.unit_id for _t, _u, c in rows if c is not None}
    unit_names = (
        dict(s.exec(select(Unit.id, Unit.name).where(Unit.id.in_(cadre_unit_ids))).all())
        if cadre_unit_ids
        else {}
    )
    out = []
    for t, u, c in rows:
        row = {
            "session_id": t.session_id,
            "position": t.position,
            "unit_id": t.unit_id,
            "cadre_id": t.cadre_id,
        }
        if u is not None:
            row.update(code=u.code, name=u.name, cadre_unit_id=None, detail=u.category)
        else:
            row.update(
                code=c.code,
                name=c.name,
                cadre_unit_id=c.unit_id,
                detail=f"{unit_names.get(c.unit_id, '')} {c.position}",
            )
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
    from sqlmodel import select

    from .models import AppraisalSession, TallySum

    q = (
        select(TallySum.session_id, TallySum.voter_group, TallySum.position, TallySum.choice, TallySum.count)
        .join(AppraisalSession, AppraisalSession.id == TallySum.session_id)
        .where(AppraisalSession.round_id == round_id)
        .order_by(TallySum.session_id, TallySum.voter_group, TallySum.position, TallySum.choice)
    )
    if session_id is not None:
        q = q.where(TallySum.session_id == session_id)
    return [
        {"session_id": sid, "voter_group": g, "position": p, "choice": c, "count": int(n)}
        for sid, g, p, c, n in s.exec(q).all()
    ]


def live_batches(s: Session, round_id: int, session_id: int | None = None) -> list[dict[str, Any]]:
    """The ballot batches of the round's sessions (or of one session) with their valid, void and
    blank ballot counts."""
    from sqlalchemy import func
    from sqlmodel import select

    from .models import AppraisalSession, Ballot, BallotBatch

    q = (
        select(BallotBatch)
        .join(AppraisalSession, AppraisalSession.id == BallotBatch.session_id)
        .where(AppraisalSession.round_id == round_id)
        .order_by(BallotBatch.session_id, BallotBatch.id)
    )
    if session_id is not None:
        q = q.where(BallotBatch.session_id == session_id)
    batches = s.exec(q).all()
    stat: dict[int, dict[str, int]] = {}
    if batches:
        for bid, status, n in s.exec(
            select(Ballot.batch_id, Ballot.status, func.count())
            .where(Ballot.batch_id.in_([b.id for b in batches]))
            .group_by(Ballot.batch_id, Ballot.status)
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


def _session_rows(s: Session, session_id: int, key: str, live) -> list[dict[str, Any]]:
    from sqlmodel import select

    from .models import AppraisalSession

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


def live_content(s: Session, db: Database, r) -> dict[str, Any]:
    """Everything a published round shows, read from the live tables, in snapshot form (format 2):
    what ``publish`` freezes and what verification compares the snapshot with."""
    from . import audit
    from .models import Scheme, SchemeVersion
    from .publication import last_compute
    from .publicity import snapshot_parts
    from .schemes.definition import from_dict
    from .scoring.load import load_round_inputs
    from .scoring.serial import inputs_to_json

    version = s.get(SchemeVersion, r.scheme_version_id)
    scheme_row = s.get(Scheme, version.scheme_id)
    votes = live_votes(s, r.id)
    content = {
        "format": SNAPSHOT_FORMAT,
        "round": {
            "id": r.id,
            "name": r.name,
            "period": r.period,
            "scheme_version_id": r.scheme_version_id,
            "scheme_hash": version.content_hash,
            "scheme_code": scheme_row.code,
            "scheme_name": scheme_row.name,
            "scheme_version": version.version,
            "corrects_round_id": r.corrects_round_id,
        },
        "inputs": inputs_to_json(load_round_inputs(s, db, r.id)),
        "results": live_results(s, r.id),
        "cadre_results": live_cadre_results(s, r.id),
        "accountability": live_accountability(s, r.id),
        "review": live_review(s, r.id),
        "votes": votes,
        "vote": ({k: v for k, v in votes[-1].items() if k not in ("id", "at")} if votes else None),
        "tallies": live_tallies(s, r.id, from_dict(version.definition)),
        "targets": live_targets(s, r.id),
        "session_counts": live_session_counts(s, r.id),
        "batches": live_batches(s, r.id),
        "compute": last_compute(s, r.id),
        **snapshot_parts(s, r.id),  # 公示 periods and objections, when the round has any
    }
    return json.loads(audit.canonical_json(content))


# -- the readers every output uses ------------------------------------------------------------------


def _pick(s: Session, round_id: int, key: str, live):
    content = published_content(s, round_id)
    return list(content.get(key) or []) if content is not None else live(s, round_id)


def results(s: Session, round_id: int) -> list[dict[str, Any]]:
    """Unit results (names as published for a published round)."""
    return _pick(s, round_id, "results", live_results)


def cadre_results(s: Session, round_id: int) -> list[dict[str, Any]]:
    return _pick(s, round_id, "cadre_results", live_cadre_results)


def accountability(s: Session, round_id: int) -> list[dict[str, Any]]:
    return _pick(s, round_id, "accountability", live_accountability)


def review_steps(s: Session, round_id: int) -> list[dict[str, Any]]:
    """All review steps, oldest first (``at`` as an aware datetime)."""
    rows = _pick(s, round_id, "review", live_review)
    return [{**st, "at": from_iso(st["at"])} for st in rows]


def current_chain(s: Session, round_id: int) -> list[dict[str, Any]]:
    """The review steps of the current cycle (after the last 退回), oldest first."""
    from .review import current_cycle

    steps = review_steps(s, round_id)
    return current_cycle(steps, [st["decision"] for st in steps])


def votes(s: Session, round_id: int) -> list[dict[str, Any]]:
    rows = _pick(s, round_id, "votes", live_votes)
    return [{**v, "at": from_iso(v["at"])} for v in rows]


def tallies(s: Session, round_id: int, scheme: SchemeDef) -> pd.DataFrame:
    """The certified appraisal tallies per session × voter group × unit × option
    (``reports.tallies.unit_tallies`` columns)."""
    import pandas as pd

    from .reports.tallies import TALLY_COLUMNS, unit_tallies

    content = published_content(s, round_id)
    if content is None:
        return unit_tallies(s, round_id, scheme)[0]
    frame = pd.DataFrame.from_records(content.get("tallies") or [], columns=TALLY_COLUMNS)
    if len(frame):
        frame["count"] = frame["count"].astype(int)
    return frame


def round_inputs(s: Session, db: Database, round_id: int):
    """The scoring inputs (``RoundInputs``): frozen ones for a published round."""
    from .scoring.load import load_round_inputs
    from .scoring.serial import inputs_from_json

    content = published_content(s, round_id)
    if content is None:
        return load_round_inputs(s, db, round_id)
    return inputs_from_json(content["inputs"])


def indicator_values(s: Session, round_id: int) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """(self-check values, verified values, units drawn for the spot check) of a round — each frame
    unit_id, indicator_code, value — frozen ones for a published round."""
    import pandas as pd
    from sqlmodel import select

    from .models import SelfCheckScore, SpotCheckScore
    from .spotcheck import inspected_unit_ids

    cols = ["unit_id", "indicator_code", "value"]
    content = published_content(s, round_id)
    if content is not None:
        inputs = content["inputs"]
        return (
            pd.DataFrame(inputs.get("selfcheck") or [], columns=cols),
            pd.DataFrame(inputs.get("spotcheck") or [], columns=cols),
            [int(x) for x in inputs.get("drawn") or []],
        )
    frames = []
    for model in (SelfCheckScore, SpotCheckScore):
        rows = s.exec(
            select(model.unit_id, model.indicator_code, model.value).where(model.round_id == round_id)
        )
        frames.append(pd.DataFrame([tuple(r) for r in rows.all()], columns=cols))
    return frames[0], frames[1], list(inspected_unit_ids(s, round_id))


