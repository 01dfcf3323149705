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
from typing import TYPE_CHECKING, Any, NamedTuple

from assess.appraisal.records import live_batches, live_session_counts, live_targets
from assess.appraisal.unit_tallies import TALLY_COLUMNS, unit_tallies
from assess.foundation import audit
from assess.foundation.vocabulary import Decision
from assess.results.inputs import load_round_inputs
from assess.results.objections import snapshot_parts
from assess.results.stored import live_results, snapshot_or_live
from assess.rounds.department_scoring import dept_frame, exemption_frame
from assess.rounds.snapshots import SNAPSHOT_FORMAT, from_iso, iso, plain_number, published_content
from assess.rounds.spotcheck import inspected_unit_ids
from assess.schemes.definition import from_dict
from assess.scoring.serial import inputs_from_json, inputs_to_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.models import Round
    from assess.schemes.definition import SchemeDef
    from assess.scoring.engine import RoundInputs










# -- the snapshot of a published round -------------------------------------------------------------




# -- live rows, in the JSON form a snapshot holds -----------------------------------------------------


def live_cadre_results(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from assess.models import Cadre, CadreResult, Unit

    rows = s.exec(
        select(CadreResult, Cadre, Unit)
        .join(Cadre, col(Cadre.id) == CadreResult.cadre_id)
        .join(Unit, col(Unit.id) == Cadre.unit_id, isouter=True)
        .where(CadreResult.round_id == round_id)
        .order_by(col(CadreResult.session_id), col(Cadre.code))
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
            "score": plain_number(c.score),
            "grade": c.grade,
            "counts": c.counts,
            "flags": list(c.flags or []),
        }
        for c, cadre, u in rows
    ]


def live_accountability(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from assess.models import AccountabilityEntry, Cadre, Unit

    entries = s.exec(
        select(AccountabilityEntry)
        .where(AccountabilityEntry.round_id == round_id)
        .order_by(col(AccountabilityEntry.id))
    ).all()
    units = {u.id: u for u in s.exec(select(Unit))}
    cadre_ids = {e.cadre_id for e in entries if e.cadre_id}
    cadres = {c.id: c for c in s.exec(select(Cadre).where(col(Cadre.id).in_(cadre_ids)))} if cadre_ids else {}
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
                "robust_share": plain_number(e.robust_share),
                "status": e.status,
                "decided_by": e.decided_by,
                "decided_at": iso(e.decided_at),
                "reason": e.reason,
            }
        )
    return out


def live_review(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from assess.models import ReviewStep

    return [
        {
            "id": st.id,
            "step": st.step,
            "by_user": st.by_user,
            "decision": st.decision,
            "note": st.note,
            "at": iso(st.at),
        }
        for st in s.exec(select(ReviewStep).where(ReviewStep.round_id == round_id).order_by(col(ReviewStep.id)))
    ]


def live_votes(s: Session, round_id: int) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from assess.models import ApprovalVote

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
            select(ApprovalVote).where(ApprovalVote.round_id == round_id).order_by(col(ApprovalVote.id))
        )
    ]


def live_tallies(s: Session, round_id: int, scheme: SchemeDef) -> list[dict[str, Any]]:
    frame, _options = unit_tallies(s, round_id, scheme)
    return [{k: plain_number(v) for k, v in rec.items()} for rec in frame.to_dict("records")]
















def live_content(s: Session, db: Database, r: Round) -> dict[str, Any]:
    """Everything a published round shows, read from the live tables, in snapshot form (format 2):
    what ``publish`` freezes and what verification compares the snapshot with."""
    from assess.models import Scheme, SchemeVersion

    assert r.id is not None  # a stored row has its id
    version = s.get(SchemeVersion, r.scheme_version_id)
    assert version is not None  # the round's scheme version (a foreign key)
    scheme_row = s.get(Scheme, version.scheme_id)
    assert scheme_row is not None  # the version's scheme (a foreign key)
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
        "inputs": inputs_to_json(load_round_inputs(s, r.id)),
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


def cadre_results(s: Session, round_id: int) -> list[dict[str, Any]]:
    return snapshot_or_live(s, round_id, "cadre_results", live_cadre_results)


def accountability(s: Session, round_id: int) -> list[dict[str, Any]]:
    return snapshot_or_live(s, round_id, "accountability", live_accountability)


def review_steps(s: Session, round_id: int) -> list[dict[str, Any]]:
    """All review steps, oldest first (``at`` as an aware datetime)."""
    rows = snapshot_or_live(s, round_id, "review", live_review)
    return [{**st, "at": from_iso(st["at"])} for st in rows]


def current_chain(s: Session, round_id: int) -> list[dict[str, Any]]:
    """The review steps of the current cycle (after the last 退回), oldest first."""
    steps = review_steps(s, round_id)
    return current_cycle(steps, [st["decision"] for st in steps])


def votes(s: Session, round_id: int) -> list[dict[str, Any]]:
    rows = snapshot_or_live(s, round_id, "votes", live_votes)
    return [{**v, "at": from_iso(v["at"])} for v in rows]


def tallies(s: Session, round_id: int, scheme: SchemeDef) -> pd.DataFrame:
    """The certified appraisal tallies per session × voter group × unit × option
    (``reports.tallies.unit_tallies`` columns)."""
    import pandas as pd


    content = published_content(s, round_id)
    if content is None:
        return unit_tallies(s, round_id, scheme)[0]
    frame = pd.DataFrame.from_records(content.get("tallies") or [], columns=TALLY_COLUMNS)
    if len(frame):
        frame["count"] = frame["count"].astype(int)
    return frame


def round_inputs(s: Session, db: Database, round_id: int) -> RoundInputs:
    """The scoring inputs (``RoundInputs``): frozen ones for a published round."""

    content = published_content(s, round_id)
    if content is None:
        return load_round_inputs(s, round_id)
    return inputs_from_json(content["inputs"])


class IndicatorValues(NamedTuple):
    """A round's raw indicator values, each frame unit_id, indicator_code, value (``exempt``:
    unit_id, indicator_code of the approved 合理缺项)."""

    selfcheck: pd.DataFrame
    verified: pd.DataFrame
    drawn: list[int]  # units drawn for the spot check
    dept: pd.DataFrame  # 职能部门评分: the value the engine scores for an indicator with a scorer
    exempt: pd.DataFrame


def indicator_values(s: Session, round_id: int) -> IndicatorValues:
    """(self-check values, verified values, units drawn for the spot check, department scores,
    approved exemptions) of a round — frozen ones for a published round."""
    import pandas as pd
    from sqlmodel import select

    from assess.models import SelfCheckScore, SpotCheckScore

    cols = ["unit_id", "indicator_code", "value"]
    content = published_content(s, round_id)
    if content is not None:
        inputs = content["inputs"]
        return IndicatorValues(
            pd.DataFrame(inputs.get("selfcheck") or [], columns=cols),
            pd.DataFrame(inputs.get("spotcheck") or [], columns=cols),
            [int(x) for x in inputs.get("drawn") or []],
            pd.DataFrame(inputs.get("deptscores") or [], columns=cols),
            pd.DataFrame(inputs.get("exemptions") or [], columns=cols[:2]),
        )
    frames = []
    for model in (SelfCheckScore, SpotCheckScore):
        rows = s.exec(
            select(model.unit_id, model.indicator_code, model.value).where(model.round_id == round_id)
        )
        frames.append(pd.DataFrame([tuple(r) for r in rows.all()], columns=cols))
    return IndicatorValues(
        frames[0], frames[1], list(inspected_unit_ids(s, round_id)), dept_frame(s, round_id),
        exemption_frame(s, round_id),
    )


def last_compute(session: Session, round_id: int) -> dict[str, Any] | None:
    """The payload of the latest ``results.compute`` audit record of the round."""
    from sqlmodel import col, select

    from assess.models import AuditRecord

    for rec in session.exec(
        select(AuditRecord).where(AuditRecord.action == "results.compute").order_by(col(AuditRecord.seq).desc())
    ).all():
        if (rec.payload or {}).get("round_id") == round_id:
            return dict(rec.payload)
    return None


def current_cycle(steps: Sequence[Any], decisions: list[str]) -> list[Any]:
    """The steps after the last 退回 (``decisions`` gives each step's decision), oldest first."""
    last_return = max((i for i, d in enumerate(decisions) if d == Decision.RETURN), default=-1)
    return list(steps[last_return + 1 :])
