"""A realistic demo database: users for every role, about 40 units in four categories with their
cadres, the 阳光工程 scheme from ``indicators/``, one finished quarter and one in progress.

Everything goes through the same service functions the application uses (role checks and audit
records included), so the demo is also an end-to-end exercise of the core. Deterministic: the same
seed gives the same database.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assess.appraisal.ballot_import import import_ballots
from assess.appraisal.entry import close_pass, create_batch, list_batches, open_pass, store_ballot
from assess.appraisal.reconcile import certify, compare, resolve
from assess.appraisal.sessions import add_question, certify_session, create_session, set_statement
from assess.demo.builders import users as add_users
from assess.foundation import users
from assess.foundation.errors import Conflict
from assess.foundation.roles import Actor
from assess.foundation.settings import default_data_dir
from assess.foundation.vocabulary import AccountabilityStatus, BatchStatus, Method
from assess.org import units
from assess.org.units import list_cadres
from assess.results import approval as review
from assess.results import publicity
from assess.results.accountability import decide, list_entries
from assess.results.compute import compute_round
from assess.rounds import findings, selfcheck, spotcheck
from assess.rounds import lifecycle as rounds
from assess.rounds.deadlines import set_deadline
from assess.rounds.rfc3797 import key_string
from assess.rounds.spotcheck import run_lottery
from assess.schemes.catalog import load_scheme
from assess.schemes.store import load_definition
from assess.workflow import advance as workflow

if TYPE_CHECKING:
    from assess.foundation.db import Database

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
    round_ids: list[int] = field(default_factory=list)


def demo_actors() -> dict[str, Actor]:
    return {u: Actor(u, r, n) for u, r, n in DEMO_USERS}


def _unit_rows() -> list[tuple[str, str, str]]:
    rows = []
    for category, names in DEMO_UNITS.items():
        for i, name in enumerate(names, start=1):
            rows.append((f"{CATEGORY_PREFIX[category]}{i:02d}", name, category))
    return rows


LEADER_TITLES = {
    "县委办公室": ("主任", "副主任"),
    "县委政法委": ("书记", "副书记"),
    "团县委": ("书记", "副书记"),
    "县总工会": ("主席", "副主席"),
    "县妇联": ("主席", "副主席"),
    "县档案馆": ("馆长", "副馆长"),
}


def _leader_title(name: str) -> tuple[str, str]:
    """The two leaders of a unit by the title each really holds (镇: 党委书记 and 镇长)."""
    if name in LEADER_TITLES:
        return LEADER_TITLES[name]
    if name.endswith("街道"):
        return "党工委书记", "办事处主任"
    if name.endswith("镇"):
        return "党委书记", "镇长"
    if name.endswith("乡"):
        return "党委书记", "乡长"
    if name.endswith("局"):
        return "局长", "副局长"
    if name.endswith("部"):
        return "部长", "副部长"
    return "主任", "副主任"


def build_demo(db: Database, progress: Callable[[str], None] | None = None, seed: int = 2026,
               annual_published: bool = False) -> DemoReport:
    """Fill an empty, migrated database with the demo data. The year's 勤廉双述 belongs to the
    year-end round (in progress in the demo); ``annual_published`` holds it in the published round
    instead, for a demo of published cadre results (the tamper tests use it)."""

    say = progress or (lambda _m: None)
    rng = random.Random(seed)
    report = DemoReport(db.url)
    if users.user_count(db):
        raise Conflict("数据库不是空的：演示数据只写入新数据库。")

    # 1. users for every role

    acts = demo_actors()
    admin = acts["admin"]
    add_users(db, DEMO_PASSWORD, [u for u in DEMO_USERS if u[0] != "admin"],
              admin_name=next(n for u, _r, n in DEMO_USERS if u == "admin"))
    say(f"用户 {len(DEMO_USERS)} 个（密码均为 {DEMO_PASSWORD}）")
    report.steps.append("users")

    # 2. units and cadres, through the importers (a real CSV each, so the import path is exercised)

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

    # 3. the 阳光工程 scheme (seed 000) from indicators/

    loaded = load_scheme(db, admin, DEMO_SCHEME)
    version_id = _version_id(db)
    say(f"考核方案：{loaded.message()}")
    report.steps.append("scheme")

    # 4. a finished quarter, published, and a quarter in progress
    quality = {code: min(0.98, max(0.5, rng.gauss(0.8, 0.09))) for code, _n, _c in _unit_rows()}
    with tempfile.TemporaryDirectory() as tmp:
        q3 = _finished_round(db, acts, version_id, quality, rng, Path(tmp), say, annual=annual_published)
        _round_in_progress(db, acts, version_id, quality, rng, Path(tmp), say, annual=not annual_published)
    report.steps.append("rounds")
    report.round_ids = [q3]
    return report


DEMO_SCHEME = "ygg_2014"
# Public random sources announced before the draw: a lottery's numbers and an index close (×100).
DRAW_SOURCES = ["3 8 14 21 27 30 11", "333650"]


def _version_id(db: Database) -> int:
    from sqlmodel import col, select

    from assess.models import Scheme, SchemeVersion

    with db.read() as s:
        return s.exec(select(SchemeVersion.id).join(Scheme, col(Scheme.id) == SchemeVersion.scheme_id)
                      .where(Scheme.code == "ygg").order_by(col(SchemeVersion.version).desc())).first()


def _scheme(db: Database, version_id: int):
    with db.read() as s:
        return load_definition(s, version_id)


def _raw_value(ind, q: float, rng: random.Random) -> float:
    """A plausible raw value for a unit of quality q (0–1) on one leaf indicator."""
    noise = rng.gauss(0, 0.06)
    if ind.method == Method.POINTS:
        return round(ind.max * min(1.0, max(0.0, q + noise)), 1)
    if ind.method == Method.DEDUCT:
        return round(ind.max * min(1.0, max(0.0, (1 - q) * 0.8 + noise / 2)), 1)
    if ind.method == Method.BONUS:
        return rng.choice([0.0, 0.0, 0.0, ind.max / 2, ind.max])
    if ind.method == Method.RATIO:
        target = ind.target or 100.0
        return round(min(target, max(40.0, target * (q + 0.08) + noise * 20)), 1)
    return 0.0  # veto: not triggered


def _write_scores(path: Path, rows: list[tuple[str, str, float, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["unit_code", "indicator_code", "score", "note"])
        w.writerows(rows)
    return path


def _self_rows(scheme, unit_rows, quality, rng, veto_unit: str | None = None, inflate: Set[str] = frozenset()):
    rows = []
    for code, _name, category in unit_rows:
        for ind in scheme.leaves_for(category):
            if ind.method == Method.VETO:
                value = 1.0 if code == veto_unit else 0.0
            else:
                q = quality[code] + (0.12 if code in inflate else 0.0)
                value = _raw_value(ind, q, rng)
            rows.append((code, ind.code, value, "见佐证材料" if rng.random() < 0.3 else ""))
    return rows


def _ballot_file(path: Path, session_targets: list[str], groups: dict[str, int], labels: list[str],
                 probs_for, rng: random.Random, prefix: str, limited: tuple[str, int] | None = None) -> Path:
    """Per-ballot CSV (one row per mark). ``probs_for(target, group)`` gives option probabilities."""

    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["batch", "ballot_no", "voter_group", "target_code", "choice"])
        for group, count in groups.items():
            batch = f"{prefix}-{group}"
            for no in range(1, count + 1):
                top_left = limited[1] if limited else None
                for target in session_targets:
                    choice = rng.choices(labels, weights=probs_for(target, group))[0]
                    if limited and choice == limited[0]:
                        if top_left == 0:
                            choice = labels[1]
                        else:
                            top_left -= 1
                    if rng.random() < 0.01:
                        choice = ""  # the voter left this target unmarked
                    w.writerow([batch, no, group, target, choice])
    return path


def _certify_batches(db: Database, acts: dict[str, Actor], session_id: int) -> None:
    for b in list_batches(db, session_id):
        if b.status == BatchStatus.OPEN:
            certify(db, acts["reviewer1"], b.id)


def _keyed_batch(db: Database, acts, session_id: int, group: str, targets: int, rng: random.Random) -> None:
    """One small batch keyed twice by two clerks (blind double entry) with one keying slip that the
    reviewer resolves against the paper, then certified."""

    def paper() -> str:
        # Mostly 称职 (2), some 基本称职 (3), at most three 优秀 (1) as the form allows.
        marks = [rng.choice("22223") for _ in range(targets)]
        for pos in rng.sample(range(targets), k=min(3, targets, rng.randint(0, 3))):
            marks[pos] = "1"
        return "".join(marks)

    papers = [paper() for _ in range(12)]
    batch_id = create_batch(db, acts["clerk1"], session_id, group, f"会场补录-{group}", 12, 12)
    for clerk, slip in (("clerk1", None), ("clerk2", 5)):
        ctx = open_pass(db, acts[clerk], batch_id)
        for no, marks in enumerate(papers, start=1):
            if no == slip:  # clerk2 misreads the first mark of ballot 5 (称职 ↔ 基本称职)
                marks = ("3" if marks[0] != "3" else "2") + marks[1:]
            store_ballot(db, acts[clerk], ctx.pass_id, no, marks)
        close_pass(db, acts[clerk], ctx.pass_id)
    comparison = compare(db, batch_id)
    # The reviewer reads each disputed mark off the paper ballot.
    items = [(m.ballot_no, m.position, papers[m.ballot_no - 1][m.position - 1]) for m in comparison.mismatches]
    if items:
        resolve(db, acts["reviewer2"], batch_id, items)
    certify(db, acts["reviewer1"], batch_id)


def _appraisals(db, acts, round_id, unit_rows, quality, rng, tmp: Path, say, label: str, held_on=None) -> None:
    clerk = acts["clerk1"]
    codes = [c for c, _n, _cat in unit_rows]
    groups = {"ld": 15, "rd": 24, "fw": 40, "zg": 36}
    sid = create_session(db, clerk, round_id, "unit", f"{label}民主评议大会", form_code="mzpy", target_codes=codes,
                         expected=130, present=sum(groups.values()) + 12, held_on=held_on,
                         group_expected={"ld": 17, "rd": 28, "fw": 45, "zg": 40})

    def unit_probs(code, group):
        q = quality[code] + (0.04 if group == "ld" else 0.0)
        sat = max(0.05, min(0.95, (q - 0.55) * 2.2))
        return [sat, (1 - sat) * 0.7, (1 - sat) * 0.2, (1 - sat) * 0.1]

    path = _ballot_file(tmp / f"{label}-mzpy.csv", codes, groups, ["满意", "基本满意", "不满意", "不了解"],
                        unit_probs, rng, f"{label}民主评议")
    import_ballots(db, clerk, sid, path)
    _certify_batches(db, acts, sid)
    certify_session(db, acts["reviewer1"], sid)
    say(f"{label}民主评议：{sum(groups.values())} 张选票，已核定")


def _annual_statements(db, acts, round_id, rng, tmp: Path, say, year: int) -> None:
    """The annual 勤廉双述 of the township leaders, held at the year end with the fourth quarter."""


    clerk = acts["clerk1"]
    label = f"{year}年度"

    cadres = [c for c in list_cadres(db) if c.unit_code.startswith("XZ")]
    cgroups = {"ld": 9, "zg": 30}
    cid = create_session(db, clerk, round_id, "cadre", f"{label}乡镇（街道）党政正职勤廉双述", form_code="qlss",
                         target_codes=[c.code for c in cadres], expected=55, present=sum(cgroups.values()) + 12,
                         held_on=date(year, 12, 1), group_expected={"ld": 10, "rd": 13, "zg": 32})
    for c in cadres:
        set_statement(db, clerk, cid, c.code, f"{c.name}同志报告了{year}年度履行“一岗双责”、推进重点工作和廉洁自律情况。")
    add_question(db, clerk, cid, cadres[0].code, "村级工程项目招投标如何接受群众监督？",
                 "项目全部进入镇公共资源交易平台，结果在村务公开栏公示七天。")
    weak = cadres[-1].code

    def cadre_probs(code, group):
        if code == weak:
            return [0.02, 0.25, 0.23, 0.5]  # over 1/3 不称职: the override and Q01 show
        return [0.25, 0.6, 0.12, 0.03]

    path = _ballot_file(tmp / f"{label}-qlss.csv", [c.code for c in cadres], cgroups, ["优秀", "称职", "基本称职", "不称职"],
                        cadre_probs, rng, f"{label}勤廉双述", limited=("优秀", 3))
    import_ballots(db, clerk, cid, path)
    _certify_batches(db, acts, cid)
    _keyed_batch(db, acts, cid, "rd", len(cadres), rng)
    certify_session(db, acts["reviewer1"], cid)
    say(f"{label}勤廉双述：{len(cadres)} 名干部，{sum(cgroups.values()) + 12} 张选票（含一批双人录入），已核定")


def _finished_round(db, acts, version_id, quality, rng, tmp: Path, say, annual: bool = False) -> int:
    admin = acts["admin"]
    scheme = _scheme(db, version_id)
    unit_rows = _unit_rows()
    rid = rounds.create_round(db, admin, "2026年第三季度阳光工程考核", "2026-Q3", version_id)
    workflow.advance(db, admin, rid)  # → 自查中
    # The draw is public and repeatable: knowing the sources, pick two units that will be drawn to
    # have over-reported (虚报) in their self-check, so the demo shows the flag and its penalty.

    pool = [{"n": n, "code": c, "name": nm, "category": cat} for n, (c, nm, cat) in enumerate(sorted(unit_rows), start=1)]
    picked = run_lottery(pool, 8, key_string(DRAW_SOURCES), scheme.spotcheck.min_per_category, list(scheme.categories))
    inflated = {picked[1]["code"], picked[4]["code"]}
    self_rows = _self_rows(scheme, unit_rows, quality, rng, veto_unit="ZX06", inflate=inflated)
    selfcheck.import_scores(db, acts["clerk1"], rid, _write_scores(tmp / "q3-self.csv", self_rows))
    for code, _n, _c in unit_rows:
        selfcheck.submit(db, acts["clerk1"], rid, code)
    workflow.advance(db, admin, rid)  # → 自查结束
    say("2026-Q3：40 个单位自查已提交")
    # Public random sources announced in advance: a lottery draw's numbers and an index close.
    view = spotcheck.draw(db, acts["inspector"], rid, 8, DRAW_SOURCES)
    drawn_set = {d["code"] for d in view.selected} | {d["code"] for d in view.focus}
    # Inspectors confirm honest self-checks; the two inflated ones are re-scored at their true level.
    verified_rows = []
    for code, indicator, value, _note in self_rows:
        if code not in drawn_set:
            continue
        if code in inflated:
            ind = scheme.indicator(indicator)
            value = 0.0 if ind.method == Method.VETO else _raw_value(ind, quality[code], rng)
        verified_rows.append((code, indicator, value, "现场核查"))
    selfcheck.import_scores(db, acts["inspector"], rid, _write_scores(tmp / "q3-verified.csv", verified_rows), kind="verified")
    say(f"2026-Q3：按 RFC 3797 抽取 {len(drawn_set)} 个单位核查，核查得分已录入")
    fid = findings.add_finding(db, acts["inspector"], rid, sorted(drawn_set)[0], "政务公开栏未按季度更新，部分办事指南已过期。",
                               "一般")
    rect = findings.issue_rectification(db, acts["inspector"], fid, date(2026, 10, 31), "十五个工作日内完成整改并报送整改报告。",
                                        today=date(2026, 10, 10))
    findings.update_rectification(db, acts["clerk1"], rect, "rectified", "已更新公开栏并建立季度更新台账。")
    findings.close_rectification(db, acts["inspector"], rect, "复查属实，予以销号。")
    fid2 = findings.add_finding(db, acts["inspector"], rid, sorted(drawn_set)[-1], "工程项目五率监测数据未按月报送。", "严重")
    findings.issue_rectification(db, acts["inspector"], fid2, date(2026, 11, 15), "按月报送五率监测数据，补报 7—9 月数据。",
                                 today=date(2026, 10, 10))
    workflow.advance(db, admin, rid)  # → 核查完成
    _appraisals(db, acts, rid, unit_rows, quality, rng, tmp, say, "2026年第三季度", held_on=date(2026, 10, 16))
    if annual:
        _annual_statements(db, acts, rid, rng, tmp, say, 2026)
    workflow.advance(db, admin, rid)  # → 评议票已核定
    summary = compute_round(db, admin, rid, today=date(2026, 11, 20))
    say(f"2026-Q3：{summary.message()}")
    for entry in list_entries(db, rid):
        if getattr(entry, "status", AccountabilityStatus.PROPOSED) != AccountabilityStatus.PROPOSED:
            continue
        waive = getattr(entry, "robust_share", 1.0) is not None and (getattr(entry, "robust_share", 1.0) or 1.0) < 0.8
        decide(db, acts["reviewer1"], entry.id, "waive" if waive else "confirm",
               "排名区间跨越阈值，结果不稳健，本期免予问责。" if waive else "经审核，触发条件属实，按规定提出处理意见。")
    review.review(db, acts["clerk1"], rid, "first", note="数据核对无误")
    review.review(db, acts["reviewer1"], rid, "audit", note="同意")
    review.review(db, acts["reviewer2"], rid, "recheck", note="复核无误")
    review.vote(db, acts["committee"], rid, expected=9, present=8, yes=7, no=0, abstain=1)

    # 公示 five working days (Mon 23 – Fri 27 November), one objection answered, then 定稿.
    opened = publicity.open_publicity(db, admin, rid, date(2026, 11, 23), contact="县纪委监委考核办（电话 0000-1234567）")
    first = unit_rows[0][0]
    oid = publicity.add_objection(
        db, acts["clerk1"], rid, f"对单位 {first} 的民主评议得分有疑问，请核查计票。", date(2026, 11, 24),
        "anonymous", contact="来电登记", unit_code=first, figure="民主评议得分",
    )
    publicity.answer_objection(db, acts["reviewer1"], oid, "maintain", "经调阅原始测评票和计票单复核，计票无误，维持原结果。")
    publicity.finalize(db, admin, rid, today=date(2026, 11, 30))
    say(f"2026-Q3：初审、审核、复核、审议票决（应到 9 人，赞成 7 票）通过；公示 {opened.starts_on} 至 "
        f"{opened.ends_on}，异议 1 件已答复（维持），已定稿冻结")
    return rid


def _round_in_progress(db, acts, version_id, quality, rng, tmp: Path, say, annual: bool = True) -> int:
    admin = acts["admin"]
    scheme = _scheme(db, version_id)
    unit_rows = _unit_rows()
    rid = rounds.create_round(db, admin, "2026年第四季度阳光工程考核", "2026-Q4", version_id)
    workflow.advance(db, admin, rid)  # → 自查中
    started = unit_rows[:28]
    q4 = {c: min(0.99, quality[c] + rng.gauss(0.01, 0.03)) for c in quality}
    selfcheck.import_scores(db, acts["clerk2"], rid, _write_scores(tmp / "q4-self.csv", _self_rows(scheme, started, q4, rng)))
    for code, _n, _c in started[:22]:
        selfcheck.submit(db, acts["clerk2"], rid, code)
    say("2026-Q4：自查中，28 个单位已录入，22 个已提交")
    # The 自查 window (seed 001 八 dates the windows) closed on 2026-11-30 with 12 units not yet
    # submitted: the dashboard and the 通报 show the stage as overdue.

    set_deadline(db, admin, rid, "selfcheck", date(2026, 11, 30), starts_on=date(2026, 11, 16))
    say("2026-Q4：自查期限 2026-11-16 至 2026-11-30（已逾期）")
    # The Q4 民主评议 meeting has been held: its boxes are registered and clerk1 has begun keying one.

    codes = [c for c, _n, _cat in unit_rows]
    sid = create_session(db, acts["clerk1"], rid, "unit", "2026年第四季度民主评议大会", form_code="mzpy",
                         target_codes=codes, expected=130, present=118, held_on=date(2026, 11, 27),
                         group_expected={"ld": 17, "rd": 28, "fw": 45, "zg": 40})
    for group, issued, returned in (("ld", 16, 16), ("rd", 25, 25), ("fw", 41, 41), ("zg", 36, 36)):
        create_batch(db, acts["clerk1"], sid, group, f"第四季度-{group}", issued, returned)

    first = next(b for b in list_batches(db, sid) if b.voter_group == "fw")
    ctx = open_pass(db, acts["clerk1"], first.id)
    for no in range(1, 11):
        marks = "".join(rng.choices("1234", weights=[6, 3, 1, 0.5])[0] for _ in codes)
        store_ballot(db, acts["clerk1"], ctx.pass_id, no, marks)
    say("2026-Q4：民主评议大会已登记 4 个票箱，clerk1 已录入服务对象票箱的前 10 张")
    if annual:
        _annual_statements(db, acts, rid, rng, tmp, say, 2026)
    return rid


def demo_db_path() -> Path:
    return default_data_dir() / "demo.db"
