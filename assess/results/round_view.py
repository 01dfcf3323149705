"""One reader for what is shown or exported about a round: for a published round, its publication
snapshot; for any other round, the live tables.

Every output of a round — rankings and the unit explanation, cadre results, the accountability
list, the review and vote record, the appraisal tallies, notices, reports and workbooks, and the
screens that show them — reads its rows through the functions here, so that a published round
shows exactly what was frozen, names as they were at publication, whatever happens to the live
rows afterwards (see docs/reliability.md, "已公示轮次"). ``live_content`` is also what
``publication.publish`` freezes (snapshot format 2) and what ``snapshot_check.verify_snapshot``
compares the snapshot with, field by field.

Snapshots written before format 2 (no ``format`` key) hold the inputs, the results and the
accountability statuses but not every printed field; for those rounds the readers fall back to
the live tables (the freeze triggers still protect them) and verification checks what they hold.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from assess.appraisal.records import live_batches, live_session_counts, live_targets
from assess.appraisal.unit_tallies import TALLY_COLUMNS, tally_rows, unit_tallies
from assess.foundation import jsontext
from assess.foundation.vocabulary import Decision
from assess.foundation.write_guards import round_not_found
from assess.results.inputs import load_round_inputs
from assess.results.objections import snapshot_parts
from assess.results.stored import live_results, snapshot_or_live
from assess.rounds.scoring_rows import dept_frame, exemption_frame, inspected_unit_ids
from assess.rounds.snapshots import SNAPSHOT_FORMAT, from_iso, iso, plain_number, published_content
from assess.schemes.store import load_definition
from assess.scoring.serial import inputs_from_json, inputs_to_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from sqlmodel import Session

    from assess.foundation.db import Database, Reader
    from assess.schemes.definition import SchemeDef
    from assess.scoring.engine import RoundInputs


# -- the snapshot of a published round -------------------------------------------------------------


# -- live rows, in the JSON form a snapshot holds -----------------------------------------------------

# ``last_compute`` reads the audit records of computations this many at a time, newest first.
COMPUTE_PAGE = 64


def live_cadre_results(s: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    cr, cadre, unit = t.cadreresult, t.cadre, t.unit
    rows = s.execute(
        select(
            cr,
            cadre.c.code.label("cadre_code"),
            cadre.c.name.label("cadre_name"),
            cadre.c.position.label("cadre_position"),
            cadre.c.unit_id.label("cadre_unit_id"),
            unit.c.code.label("unit_code"),
            unit.c.name.label("unit_name"),
        )
        .join(cadre, cadre.c.id == cr.c.cadre_id)
        .join(unit, unit.c.id == cadre.c.unit_id, isouter=True)
        .where(cr.c.round_id == round_id)
        .order_by(cr.c.session_id, cadre.c.code)
    ).all()
    return [
        {
            "session_id": r.session_id,
            "cadre_id": r.cadre_id,
            "code": r.cadre_code,
            "name": r.cadre_name,
            "position": r.cadre_position,
            "unit_id": r.cadre_unit_id,
            "unit_code": r.unit_code,
            "unit_name": r.unit_name,
            "score": plain_number(r.score),
            "grade": r.grade,
            "counts": r.counts,
            "flags": list(r.flags or []),
        }
        for r in rows
    ]


def live_accountability(s: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    e, cadre = t.accountabilityentry, t.cadre
    u, cu = t.unit.alias("u"), t.unit.alias("cu")  # the entry's unit; the cadre's unit
    rows = s.execute(
        select(
            e,
            u.c.code.label("unit_code"),
            u.c.name.label("unit_name"),
            u.c.category.label("unit_category"),
            cadre.c.code.label("cadre_code"),
            cadre.c.name.label("cadre_name"),
            cadre.c.position.label("cadre_position"),
            cu.c.name.label("cadre_unit_name"),
        )
        .join(u, u.c.id == e.c.unit_id, isouter=True)
        .join(cadre, cadre.c.id == e.c.cadre_id, isouter=True)
        .join(cu, cu.c.id == cadre.c.unit_id, isouter=True)
        .where(e.c.round_id == round_id)
        .order_by(e.c.id)
    ).all()
    return [
        {
            "id": r.id,
            "unit_id": r.unit_id,
            "unit_code": r.unit_code,
            "unit_name": r.unit_name,
            "category": r.unit_category,
            "cadre_id": r.cadre_id,
            "cadre_code": r.cadre_code,
            "cadre_name": r.cadre_name,
            "position": r.cadre_position,
            "cadre_unit_name": r.cadre_unit_name,
            "rule_code": r.rule_code,
            "rule_text": r.rule_text,
            "figures": r.figures,
            "proposed_action": r.proposed_action,
            "robust_share": plain_number(r.robust_share),
            "status": r.status,
            "decided_by": r.decided_by,
            "decided_at": iso(r.decided_at),
            "reason": r.reason,
        }
        for r in rows
    ]


def live_review(s: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    st = t.reviewstep
    rows: Sequence[Any] = s.execute(
        select(st.c.id, st.c.step, st.c.by_user, st.c.decision, st.c.note, st.c.at)
        .where(st.c.round_id == round_id)
        .order_by(st.c.id)
    ).all()
    return [
        {"id": i, "step": step, "by_user": by_user, "decision": decision, "note": note, "at": iso(at)}
        for i, step, by_user, decision, note, at in rows
    ]


def live_votes(s: Reader, round_id: int) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from assess.models import tables as t

    v = t.approvalvote
    rows: Sequence[Any] = s.execute(
        select(
            v.c.id,
            v.c.expected_members,
            v.c.present,
            v.c.yes,
            v.c.no,
            v.c.abstain,
            v.c.passed,
            v.c.recorded_by,
            v.c.at,
        )
        .where(v.c.round_id == round_id)
        .order_by(v.c.id)
    ).all()
    return [
        {
            "id": i,
            "expected": expected,
            "present": present,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "passed": passed,
            "recorded_by": recorded_by,
            "at": iso(at),
        }
        for i, expected, present, yes, no, abstain, passed, recorded_by, at in rows
    ]


def live_tallies(s: Reader, round_id: int, scheme: SchemeDef) -> list[dict[str, Any]]:
    return tally_rows(s, round_id, scheme)[0]


def last_compute(s: Reader, round_id: int) -> dict[str, Any] | None:
    """The payload of the latest ``results.compute`` audit record of the round: the records read
    newest first, a page at a time, until one is the round's."""
    from sqlalchemy import select

    from assess.models import tables as t

    a = t.auditrecord
    query = select(a.c.seq, a.c.payload).where(a.c.action == "results.compute").order_by(a.c.seq.desc())
    before = None
    while True:
        page: Sequence[Any] = s.execute(
            (query if before is None else query.where(a.c.seq < before)).limit(COMPUTE_PAGE)
        ).all()
        for _seq, payload in page:
            if (payload or {}).get("round_id") == round_id:
                return dict(payload)
        if len(page) < COMPUTE_PAGE:
            return None
        before = page[-1][0]


def live_round(s: Reader, round_id: int) -> dict[str, Any]:
    """The round and its scheme version in snapshot form (the ``round`` entry of ``live_content``)."""
    from sqlalchemy import select

    from assess.models import tables as t

    rnd, ver, scheme = t.round, t.schemeversion, t.scheme
    r = s.execute(
        select(
            rnd.c.id,
            rnd.c.name,
            rnd.c.period,
            rnd.c.scheme_version_id,
            ver.c.content_hash,
            scheme.c.code,
            scheme.c.name.label("scheme_name"),
            ver.c.version,
            rnd.c.corrects_round_id,
        )
        .join(ver, ver.c.id == rnd.c.scheme_version_id)  # the round's scheme version (a foreign key)
        .join(scheme, scheme.c.id == ver.c.scheme_id)  # the version's scheme (a foreign key)
        .where(rnd.c.id == round_id)
    ).first()
    if r is None:
        raise round_not_found(round_id)
    return {
        "id": r.id,
        "name": r.name,
        "period": r.period,
        "scheme_version_id": r.scheme_version_id,
        "scheme_hash": r.content_hash,
        "scheme_code": r.code,
        "scheme_name": r.scheme_name,
        "scheme_version": r.version,
        "corrects_round_id": r.corrects_round_id,
    }


def live_content(s: Reader, round_id: int) -> dict[str, Any]:
    """Everything a published round shows, read from the live tables, in snapshot form (format 2):
    what ``publish`` freezes and what verification compares the snapshot with."""
    return json.loads(live_content_text(s, round_id))


def live_content_text(s: Reader, round_id: int) -> str:
    """``live_content`` as canonical JSON text: the text a snapshot of it stores
    (``foundation.jsontext``), which verification compares with the stored text first."""
    head = live_round(s, round_id)
    votes = live_votes(s, round_id)
    content = {
        "format": SNAPSHOT_FORMAT,
        "round": head,
        "inputs": inputs_to_json(load_round_inputs(s, round_id)),
        "results": live_results(s, round_id),
        "cadre_results": live_cadre_results(s, round_id),
        "accountability": live_accountability(s, round_id),
        "review": live_review(s, round_id),
        "votes": votes,
        "vote": ({k: v for k, v in votes[-1].items() if k not in ("id", "at")} if votes else None),
        "tallies": live_tallies(s, round_id, load_definition(s, head["scheme_version_id"])),
        "targets": live_targets(s, round_id),
        "session_counts": live_session_counts(s, round_id),
        "batches": live_batches(s, round_id),
        "compute": last_compute(s, round_id),
        **snapshot_parts(s, round_id),  # 公示 periods and objections, when the round has any
    }
    return jsontext.canonical_json(content)


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
        frames[0],
        frames[1],
        list(inspected_unit_ids(s, round_id)),
        dept_frame(s, round_id),
        exemption_frame(s, round_id),
    )


def current_cycle(steps: Sequence[Any], decisions: list[str]) -> list[Any]:
    """The steps after the last 退回 (``decisions`` gives each step's decision), oldest first."""
    last_return = max((i for i, d in enumerate(decisions) if d == Decision.RETURN), default=-1)
    return list(steps[last_return + 1 :])
