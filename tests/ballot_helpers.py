"""Building blocks for the ballot and tally tests: a scheme with a unit form and a cadre form, a
round inserted directly, units and cadres, sessions and keyed batches."""

from __future__ import annotations

from assess.schemes import definition, store

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
        {"code": "ld", "name": "领导", "weight": 0.2},
        {"code": "rd", "name": "人大代表政协委员", "weight": 0.2},
        {"code": "fw", "name": "服务对象", "weight": 0.4},
        {"code": "zg", "name": "干部职工", "weight": 0.2},
    ],
    "limited_option": "满意",
    "max_limited": 2,
    "quorum": 0.5,
    "publication_threshold": 5,
}

CADRE_FORM = {
    "code": "qlss",
    "kind": "cadre",
    "name": "勤廉双述测评表",
    "options": [
        {"label": "优秀", "points": 95, "satisfied": True},
        {"label": "称职", "points": 80, "satisfied": True},
        {"label": "基本称职", "points": 60},
        {"label": "不称职", "points": 30},
    ],
    "voter_groups": [
        {"code": "dy", "name": "党员", "weight": 0.5},
        {"code": "cm", "name": "村民代表", "weight": 0.5},
    ],
    "quorum": 2 / 3,
    "publication_threshold": 5,
    "cadre_rules": {
        "unfit_option": "不称职",
        "unfit_share": 1 / 3,
        "excellent_min_fit_share": 0.9,
        "consecutive_unfit": 2,
    },
}


def scheme_dict(**form_overrides) -> dict:
    unit_form = {**UNIT_FORM, **form_overrides}
    return {
        "code": "test-scheme",
        "name": "测试方案",
        "categories": ["政府部门"],
        "indicators": [{"code": "A", "name": "公开", "method": "points", "max": 100}],
        "weights": {"indicators": 60, "appraisal": 30, "adjustment": 10},
        "bands": [
            {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
            {"grade": "一般", "min": 0, "max": 90},
        ],
        "forms": [unit_form, CADRE_FORM],
        "appraisal_form": "mzpy",
    }


def make_round(
    db, actor_name: str = "admin", period: str = "2026", name: str | None = None, **form_overrides
) -> int:
    from assess.models import Round

    with db.write() as s:
        version, _created = store.store_version(
            s, actor_name, definition.from_dict(scheme_dict(**form_overrides)), "test.toml", ""
        )
        r = Round(
            name=name or f"{period} 年度考核",
            period=period,
            scheme_version_id=version.id,
            stage="draft",
            created_by=actor_name,
        )
        s.add(r)
        s.flush()
        return r.id


def make_units(db, admin, n: int, prefix: str = "U") -> list[str]:
    from assess.org.units import add_unit

    codes = [f"{prefix}{i:02d}" for i in range(1, n + 1)]
    for i, code in enumerate(codes, start=1):
        add_unit(db, admin, code, f"第{i}局", "政府部门")
    return codes


def make_cadres(db, admin, n: int, unit_code: str = "U01") -> list[str]:
    from assess.org.units import add_cadre

    codes = [f"C{i:02d}" for i in range(1, n + 1)]
    for i, code in enumerate(codes, start=1):
        add_cadre(db, admin, code, f"干部{i}", unit_code, "村委委员")
    return codes


def key_pass(db, clerk, batch_id: int, ballots: list[tuple[int, str, str]], close: bool = True) -> int:
    """Key ballots [(ballot_no, marks, kind)] in the clerk's pass; returns the pass id."""
    from assess.appraisal import entry as svc

    ctx = svc.open_pass(db, clerk, batch_id)
    for no, marks, kind in ballots:
        svc.store_ballot(db, clerk, ctx.pass_id, no, marks, kind)
    if close:
        svc.close_pass(db, clerk, ctx.pass_id)
    return ctx.pass_id


def certified_batch(
    db, actors, session_id: int, group: str, label: str, ballots: list[str], issued: int | None = None
) -> int:
    """A batch keyed identically by clerk and clerk2 and certified by reviewer. ``ballots`` are
    marks strings, or ``void``/``blank`` for a ballot voided/blanked with one key."""
    from assess.appraisal import entry as svc
    from assess.appraisal import reconcile as ballot_review

    n = len(ballots)
    batch = svc.create_batch(
        db, actors["clerk"], session_id, group, label, issued if issued is not None else n, n
    )
    rows = []
    for i, m in enumerate(ballots, start=1):
        if m in ("void", "blank"):
            rows.append((i, "", m))
        else:
            rows.append((i, m, "marks"))
    key_pass(db, actors["clerk"], batch, rows)
    key_pass(db, actors["clerk2"], batch, rows)
    ballot_review.certify(db, actors["reviewer"], batch)
    return batch
