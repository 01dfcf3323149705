"""The ballot and tally tests' scheme (a unit form and a cadre form) and its round; units,
cadres, keyed passes and certified batches come from ``assess.demo.builders``."""

from __future__ import annotations

from assess.demo import builders
from assess.foundation.roles import Actor

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
    db,
    actor_name: str = "admin",
    period: str = "2026",
    name: str | None = None,
    scheme: dict | None = None,
    **form_overrides,
) -> int:
    """The scheme (``scheme``, or ``scheme_dict(**form_overrides)``) stored through
    ``builders.scheme`` and a round in 草稿 without participants,
    inserted directly: the ballot tests name their targets themselves, before or after adding
    the units, which ``rounds.create_round`` (participants required) would not allow."""
    from assess.models import Round

    vid = builders.scheme(db, Actor(actor_name, "admin"), scheme or scheme_dict(**form_overrides))
    with db.write() as s:
        r = Round(
            name=name or f"{period} 年度考核",
            period=period,
            scheme_version_id=vid,
            stage="draft",
            created_by=actor_name,
        )
        s.add(r)
        s.flush()
        return r.id
