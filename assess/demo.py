"""A realistic demo database: users for every role, about 40 units in four categories with their
cadres, the 阳光工程 scheme from ``indicators/``, one finished quarter and one in progress.

Everything goes through the same service functions the application uses (role checks and audit
records included), so the demo is also an end-to-end exercise of the core. Deterministic: the same
seed gives the same database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .roles import Actor

if TYPE_CHECKING:
    from .db import Database

DEMO_PASSWORD = "demo-pass-2026"

DEMO_USERS = [
    ("admin", "admin", "系统管理员"),
    ("clerk1", "clerk", "录入员 王静"),
    ("clerk2", "clerk", "录入员 李娜"),
    ("inspector", "inspector", "检查员 赵刚"),
    ("inspector2", "inspector", "检查员 孙丽"),
    ("reviewer1", "reviewer", "审核员 陈明"),
    ("reviewer2", "reviewer", "审核员 周洁"),
    ("committee", "committee", "评审委员 刘强"),
]

DEMO_UNITS: dict[str, list[str]] = {
    "党群部门": ["县委办公室", "县委组织部", "县委宣传部", "县委统战部", "县委政法委", "县总工会", "团县委", "县妇联", "县档案馆"],
    "政府部门": ["县政府办公室", "县发展和改革局", "县教育局", "县科学技术局", "县民政局", "县财政局", "县人力资源和社会保障局",
             "县自然资源局", "县住房和城乡建设局", "县交通运输局", "县水利局", "县农业农村局", "县卫生健康委员会", "县审计局",
             "县信访局"],
    "执法部门": ["县公安局", "县市场监督管理局", "县生态环境分局", "县应急管理局", "县城市管理综合执法局", "县司法局", "县税务局"],
    "乡镇街道": ["城关街道", "东城街道", "西湖镇", "南山镇", "北岭镇", "青石乡", "白沙镇", "桃源乡", "清溪镇"],
}
CATEGORY_PREFIX = {"党群部门": "DQ", "政府部门": "ZF", "执法部门": "ZX", "乡镇街道": "XZ"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["建国", "志强", "海燕", "卫东", "丽华", "振华", "明辉", "晓峰", "秀英", "国庆", "红梅", "永刚", "文杰", "春燕",
         "德胜", "立新", "玉兰", "建军", "宏伟", "桂芳", "学军", "俊杰", "淑珍", "长江", "金凤", "树林", "美玲", "新民"]


@dataclass
class DemoReport:
    path: str
    steps: list[str] = field(default_factory=list)


def demo_actors() -> dict[str, Actor]:
    return {u: Actor(u, r, n) for u, r, n in DEMO_USERS}


def _unit_rows() -> list[tuple[str, str, str]]:
    rows = []
    for category, names in DEMO_UNITS.items():
        for i, name in enumerate(names, start=1):
            rows.append((f"{CATEGORY_PREFIX[category]}{i:02d}", name, category))
    return rows


def _leader_title(name: str) -> tuple[str, str]:
    if name.endswith(("街道", "镇", "乡")):
        return "党（工）委书记", "镇（乡、街道）长"
    if name.endswith("局") or name.endswith("分局"):
        return "局长", "副局长"
    if name.endswith("委员会"):
        return "主任", "副主任"
    if name.startswith("县委") or name in ("团县委",):
        return "部长（主任、书记）", "副部长（副主任、副书记）"
    return "主任", "副主任"


def build_demo(db: Database, progress: Callable[[str], None] | None = None, seed: int = 2026) -> DemoReport:
    """Fill an empty, migrated database with the demo data."""
    from . import units, users

    say = progress or (lambda _m: None)
    rng = random.Random(seed)
    report = DemoReport(db.url)
    if users.user_count(db):
        from .errors import Conflict

        raise Conflict("数据库不是空的：演示数据只写入新数据库。")

    # 1. users for every role
    acts = demo_actors()
    admin = acts["admin"]
    for username, role, name in DEMO_USERS:
        users.add_user(db, None if username == "admin" else admin, username, role, DEMO_PASSWORD, name)
    say(f"用户 {len(DEMO_USERS)} 个（密码均为 {DEMO_PASSWORD}）")
    report.steps.append("users")

    # 2. units and cadres, through the importers (a real CSV each, so the import path is exercised)
    import csv
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        upath = Path(tmp) / "units.csv"
        with upath.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "category"])
            w.writerows(_unit_rows())
        units.import_units(db, admin, upath)
        cpath = Path(tmp) / "cadres.csv"
        with cpath.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "unit_code", "position", "risk_level"])
            n = 0
            used: set[str] = set()
            for code, name, _cat in _unit_rows():
                for title in _leader_title(name):
                    n += 1
                    while True:
                        person = rng.choice(SURNAMES) + rng.choice(GIVEN)
                        if person not in used:
                            used.add(person)
                            break
                    w.writerow([f"GB{n:03d}", person, code, f"{name}{title}", rng.choice("AABBBCC")])
        units.import_cadres(db, admin, cpath)
    say(f"单位 {len(_unit_rows())} 个，干部 {n} 名")
    report.steps.append("units")
    return report


def demo_db_path() -> Path:
    from .settings import default_data_dir

    return default_data_dir() / "demo.db"
