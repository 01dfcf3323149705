"""A small hand-made scheme, units and rounds for the rounds-area tests."""

from __future__ import annotations

from assess.demo import builders
from assess.foundation.roles import Actor
from assess.rounds import lifecycle as rounds
from assess.workflow import advance as workflow

# Leaves for 政府部门: A1, A2, B1, B2, B3 (C1 is for 乡镇街道 only).
# A1 points max 10; A2 deduct max 10; B1 ratio max 20 (target 100 %); B2 bonus max 5; B3 veto;
# C1 points max 10 (乡镇街道 only). Tolerance for 虚报: 1.0 point.
SCHEME = {
    "code": "test-scheme",
    "name": "测试考核方案",
    "categories": ["政府部门", "乡镇街道"],
    "indicators": [
        {
            "code": "A",
            "name": "组织领导",
            "children": [
                {"code": "A1", "name": "领导重视", "method": "points", "max": 10, "evidence": "会议纪要"},
                {"code": "A2", "name": "制度执行", "method": "deduct", "max": 10, "per_item": 1},
            ],
        },
        {
            "code": "B",
            "name": "公开内容",
            "children": [
                {"code": "B1", "name": "按时公开率", "method": "ratio", "max": 20, "target": 100},
                {"code": "B2", "name": "创新加分", "method": "bonus", "max": 5},
                {"code": "B3", "name": "=严重违纪", "method": "veto"},
            ],
        },
        {
            "code": "C",
            "name": "基层公开",
            "categories": ["乡镇街道"],
            "children": [
                {"code": "C1", "name": "村务公开栏", "method": "points", "max": 10},
            ],
        },
    ],
    "weights": {"indicators": 60, "appraisal": 30, "adjustment": 10},
    "bands": [
        {"grade": "优秀", "min": 90, "max": 100, "include_max": True},
        {"grade": "良好", "min": 80, "max": 90},
        {"grade": "一般", "min": 60, "max": 80},
        {"grade": "较差", "min": 0, "max": 60},
    ],
    "forms": [
        {
            "code": "mzpy",
            "kind": "unit",
            "name": "民主评议表",
            "options": [
                {"label": "满意", "points": 100, "satisfied": True},
                {"label": "不满意", "points": 30},
            ],
            "voter_groups": [{"code": "cadre", "name": "干部职工", "weight": 1.0}],
        }
    ],
    "appraisal_form": "mzpy",
    "spotcheck": {"sample_size": 2, "tolerance": 1.0},
}

GOV_LEAVES = ["A1", "A2", "B1", "B2", "B3"]
TOWN_LEAVES = [*GOV_LEAVES, "C1"]
UNITS = [
    ("G01", "财政局", "政府部门"),
    ("G02", "教育局", "政府部门"),
    ("G03", "民政局", "政府部门"),
    ("G04", "审计局", "政府部门"),
    ("X01", "城关镇", "乡镇街道"),
    ("X02", "南山镇", "乡镇街道"),
]
# RFC 3797 section 6: the example's three public sources.
RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]
# A complete, valid self-check for a unit of 政府部门 (乡镇街道 adds C1).
GOOD = {"A1": 9, "A2": 1, "B1": 95, "B2": 3, "B3": 0, "C1": 8}


def store_scheme(db, scheme: dict | None = None, actor_name: str = "admin") -> int:
    return builders.scheme(db, Actor(actor_name, "admin"), scheme or SCHEME)


def add_units(db, actors, units=UNITS) -> None:
    builders.units(db, actors["admin"], units)


def make_round(db, actors, *, units=UNITS, name="2026年第三季度考核", period="2026-Q3", **kw) -> int:
    builders.units(db, actors["admin"], units)
    vid = builders.scheme(db, actors["admin"], SCHEME)
    return builders.round_(db, actors["admin"], vid, name, period, **kw)


def fill_and_submit(db, actors, round_id: int, codes=None, values=GOOD) -> None:
    """Import a complete self-check for the units (one transaction), then submit each."""
    from assess.org.units import list_units

    cats = {u.code: u.category for u in list_units(db)}
    codes = codes or [c for c, _n, _k in UNITS]
    scores = {}
    for code in codes:
        leaves = TOWN_LEAVES if cats[code] == "乡镇街道" else GOV_LEAVES
        scores[code] = {ind: values[ind] for ind in leaves}
    builders.self_check(db, actors["clerk"], round_id, scores)


def round_at_selfcheck_closed(db, actors, **kw) -> int:
    rid = make_round(db, actors, **kw)
    workflow.advance(db, actors["admin"], rid)
    fill_and_submit(db, actors, rid, codes=[c for c, *_ in kw.get("units", UNITS)])
    workflow.advance(db, actors["admin"], rid)
    return rid


def publish_directly(db, round_id: int) -> None:
    with db.write() as s:
        r = rounds.get_round(s, round_id)
        rounds.set_stage(s, "admin", r, "published", {"test": True})


def write_csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path
