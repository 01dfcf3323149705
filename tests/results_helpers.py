"""Building rounds with known inputs directly in the database, for the results tests."""

from __future__ import annotations

import contextlib
import copy
import io
from datetime import UTC, date, datetime

BANDS = [
    {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
    {"grade": "良好", "min": 80, "max": 90},
    {"grade": "一般", "min": 60, "max": 80},
    {"grade": "较差", "min": 0, "max": 60},
]

UNIT_FORM = {
    "code": "mzpy",
    "kind": "unit",
    "name": "民主评议表",
    "options": [
        {"label": "满意", "points": 100, "satisfied": True},
        {"label": "基本满意", "points": 70, "satisfied": True},
        {"label": "不满意", "points": 30},
        {"label": "不了解"},
    ],
    "voter_groups": [
        {"code": "ld", "name": "领导", "weight": 0.5},
        {"code": "fw", "name": "服务对象", "weight": 0.5},
    ],
}

CADRE_FORM = {
    "code": "qlss",
    "kind": "cadre",
    "name": "勤廉双述测评表",
    "options": [
        {"label": "优秀", "points": 100, "satisfied": True},
        {"label": "称职", "points": 80, "satisfied": True},
        {"label": "基本称职", "points": 60},
        {"label": "不称职", "points": 0},
    ],
    "voter_groups": [{"code": "zg", "name": "干部职工", "weight": 1.0}],
    "cadre_rules": {
        "bands": [
            {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
            {"grade": "称职", "min": 70, "max": 90},
            {"grade": "基本称职", "min": 50, "max": 70},
            {"grade": "不称职", "min": 0, "max": 50},
        ]
    },
}


def scheme_dict(**over) -> dict:
    d = {
        "code": "kt",
        "name": "测试方案",
        "categories": ["甲类", "乙类"],
        "indicators": [
            {"code": "I1", "name": "制度建设", "method": "points", "max": 40},
            {"code": "I2", "name": "公开情况", "method": "deduct", "max": 30},
            {"code": "I3", "name": "办结率", "method": "ratio", "max": 30},
            {"code": "B1", "name": "创新加分", "method": "bonus", "max": 5},
            {"code": "V1", "name": "重大违纪", "method": "veto"},
        ],
        "weights": {"indicators": 60, "appraisal": 30, "adjustment": 10},
        "bands": copy.deepcopy(BANDS),
        "forms": [copy.deepcopy(UNIT_FORM), copy.deepcopy(CADRE_FORM)],
        "appraisal_form": "mzpy",
        "spotcheck": {"tolerance": 0.5, "penalty": 2, "penalty_cap": 3},
        "precision": 2,
    }
    d.update(over)
    return d


def store_scheme(db, d: dict) -> int:
    from assess.schemes.definition import from_dict
    from assess.schemes.store import store_version

    with db.write() as s:
        v, _ = store_version(s, "admin", from_dict(d), "test.toml", "")
        return v.id


def ensure_units(db, units: list[tuple[str, str, str]]) -> dict[str, int]:
    from sqlmodel import select

    from assess.models import Unit

    out = {}
    with db.write() as s:
        for code, name, cat in units:
            u = s.exec(select(Unit).where(Unit.code == code)).first()
            if u is None:
                u = Unit(code=code, name=name, category=cat)
                s.add(u)
                s.flush()
            out[code] = u.id
    return out


def make_round(
    db,
    version_id: int,
    units: list[tuple[str, str, str]],
    period: str = "2026-Q1",
    stage: str = "appraisal_certified",
    name: str | None = None,
) -> tuple[int, dict[str, int]]:
    from assess.models import Round, RoundUnit

    ids = ensure_units(db, units)
    with db.write() as s:
        r = Round(
            name=name or f"测试轮次 {period}",
            period=period,
            scheme_version_id=version_id,
            stage=stage,
            created_by="admin",
        )
        s.add(r)
        s.flush()
        for code, *_ in units:
            s.add(RoundUnit(round_id=r.id, unit_id=ids[code]))
        return r.id, ids


def add_scores(
    db, round_id: int, ids: dict[str, int], rows: list[tuple[str, str, float]], verified: bool = False
) -> None:
    from assess.models import SelfCheckScore, SpotCheckScore

    with db.write() as s:
        for code, ind, value in rows:
            if verified:
                s.add(
                    SpotCheckScore(
                        round_id=round_id,
                        unit_id=ids[code],
                        indicator_code=ind,
                        value=value,
                        inspector="inspector",
                    )
                )
            else:
                s.add(SelfCheckScore(round_id=round_id, unit_id=ids[code], indicator_code=ind, value=value))


def full_marks(
    codes: list[str], i1: float = 40, i2: float = 0, i3: float = 100
) -> list[tuple[str, str, float]]:
    rows = []
    for c in codes:
        rows += [(c, "I1", i1), (c, "I2", i2), (c, "I3", i3), (c, "V1", 0)]
    return rows


def add_draw(db, round_id: int, codes: list[str], focus: list[str] = ()) -> None:
    """An active unit draw shaped like the one ``spotcheck.draw`` stores (``focus``: 重点 units)."""
    from assess.models import SpotCheckDraw

    with db.write() as s:
        s.add(
            SpotCheckDraw(
                round_id=round_id,
                count=len(codes),
                pool=[{"n": n, "code": c} for n, c in enumerate(sorted(codes), start=1)],
                selected=[{"n": n, "code": c} for n, c in enumerate(codes, start=1)],
                extras={"focus": [{"code": c, "reason": "有未整改问题"} for c in focus]},
                created_by="inspector",
            )
        )


def add_adjustment(db, round_id: int, unit_id: int, points: float) -> None:
    from assess.models import Adjustment

    with db.write() as s:
        s.add(
            Adjustment(round_id=round_id, unit_id=unit_id, points=points, reason="测试", created_by="admin")
        )


def add_discipline(
    db, round_id: int, kind: str, unit_id: int | None = None, cadre_id: int | None = None
) -> None:
    from assess.models import DisciplineAction

    with db.write() as s:
        s.add(
            DisciplineAction(
                round_id=round_id, unit_id=unit_id, cadre_id=cadre_id, kind=kind, created_by="admin"
            )
        )


def add_session(
    db,
    round_id: int,
    kind: str,
    form_code: str,
    targets: list[int],
    counts: dict[str, dict[int, list[int]]],
    weights: dict[str, float],
    expected: int = 30,
    present: int = 30,
    status: str = "certified",
) -> int:
    """A session with one certified batch per voter group; ``counts[group][target_id]`` = votes
    per option (form order)."""
    from assess.appraisal.reconcile import add_session_sums
    from assess.models import AppraisalSession, AppraisalTarget, BallotBatch, SessionVoterGroup, TallyCount

    with db.write() as s:
        sess = AppraisalSession(
            round_id=round_id,
            kind=kind,
            form_code=form_code,
            name=f"{form_code} 会议",
            expected=expected,
            present=present,
            status=status,
        )
        s.add(sess)
        s.flush()
        pos = {}
        for i, t in enumerate(targets, start=1):
            pos[t] = i
            s.add(
                AppraisalTarget(
                    session_id=sess.id,
                    position=i,
                    unit_id=t if kind == "unit" else None,
                    cadre_id=t if kind == "cadre" else None,
                )
            )
        for g, w in weights.items():
            s.add(SessionVoterGroup(session_id=sess.id, code=g, name=g, weight=w))
        for g, per_target in counts.items():
            batch = BallotBatch(
                session_id=sess.id,
                voter_group=g,
                label=f"{g}-1",
                source="tally",
                status="open",
                issued=100,
                returned=100,
            )
            s.add(batch)
            s.flush()
            cells = [
                (pos[t], choice, n)
                for t, votes in per_target.items()
                for choice, n in enumerate(votes, start=1)
                if n
            ]
            for p, choice, n in cells:
                s.add(TallyCount(batch_id=batch.id, position=p, choice=choice, count=n))
            s.flush()
            add_session_sums(s, sess.id, g, cells)  # as certification does
            batch.status = "certified"
            s.add(batch)
        return sess.id


def add_cadres(db, unit_id: int, codes: list[str]) -> dict[str, int]:
    from assess.models import Cadre

    out = {}
    with db.write() as s:
        for c in codes:
            cadre = Cadre(code=c, name=f"干部{c}", unit_id=unit_id, position="局长")
            s.add(cadre)
            s.flush()
            out[c] = cadre.id
    return out


def add_rectification(
    db, round_id: int, unit_id: int, notice_no: str, deadline: date, statuses: list[str] = ()
) -> None:
    from assess.models import Finding, Rectification, RectificationEvent

    with db.write() as s:
        f = Finding(round_id=round_id, unit_id=unit_id, description="问题", created_by="inspector")
        s.add(f)
        s.flush()
        rect = Rectification(finding_id=f.id, notice_no=notice_no, deadline=deadline, issued_by="inspector")
        s.add(rect)
        s.flush()
        for i, st in enumerate(statuses):
            s.add(
                RectificationEvent(
                    rectification_id=rect.id,
                    status=st,
                    by_user="inspector",
                    at=datetime(2026, 1, 1 + i, tzinfo=UTC),
                )
            )


def add_prior_round(
    db,
    version_id: int,
    period: str,
    results: list[tuple[str, str, float, int, str]],
    stage: str = "published",
    extra_units: list[tuple[str, str, str]] = (),
) -> int:
    """An earlier round with stored results: (unit code, category, composite, rank, grade)."""
    from assess.models import UnitResult

    units = [(c, c, cat) for c, cat, *_ in results] + list(extra_units)
    rid, ids = make_round(db, version_id, units, period=period, stage="computed")
    with db.write() as s:
        for code, cat, comp, rank, grade in results:
            s.add(
                UnitResult(
                    round_id=rid,
                    unit_id=ids[code],
                    category=cat,
                    composite=comp,
                    rank=rank,
                    grade=grade,
                    components={"indicators": comp, "appraisal": comp, "adjustment": 100.0, "penalty": 0.0},
                )
            )
    if stage != "computed":
        from sqlalchemy import text

        with db.write() as s:
            s.connection().execute(
                text("UPDATE round SET stage = :st WHERE id = :r"), {"st": stage, "r": rid}
            )
    return rid


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, standard output, standard error) of ``assess argv…`` run in this process."""
    from assess.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()
