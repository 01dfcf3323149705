"""A small, fully known round for the report tests, inserted directly into the tables.

Two categories of four units (names include formula-looking and markup-looking text), results
with a tie and a rank interval, self-check and verified scores with one 虚报, certified and
uncertified ballot batches, an accountability list, the review chain, the committee vote, a
snapshot, an earlier published round for the trends, rectification notices, one cadre result.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from assess.schemes.definition import from_dict

SCHEME = {
    "code": "TEST-REPORT",
    "name": "测试考核方案",
    "categories": ["政府部门", "乡镇街道"],
    "indicators": [
        {
            "code": "A",
            "name": "政务公开",
            "children": [
                {"code": "A1", "name": "公开目录", "method": "points", "max": 20},
                {"code": "A2", "name": "依申请公开", "method": "deduct", "max": 20},
            ],
        },
        {
            "code": "B",
            "name": "五率",
            "children": [
                {"code": "B1", "name": "按时办结率", "method": "ratio", "max": 40, "target": 100},
                {"code": "B2", "name": "创新加分", "method": "bonus", "max": 5},
            ],
        },
        {"code": "C", "name": "廉政", "children": [{"code": "C1", "name": "重大违纪", "method": "veto"}]},
        {
            "code": "D",
            "name": "村务公开",
            "categories": ["乡镇街道"],
            "children": [{"code": "D1", "name": "村务公开栏", "method": "points", "max": 20}],
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
            "code": "MZPY",
            "kind": "unit",
            "name": "民主评议票",
            "options": [
                {"label": "满意", "points": 100, "satisfied": True},
                {"label": "基本满意", "points": 70, "satisfied": True},
                {"label": "不满意", "points": 30},
                {"label": "不了解"},
            ],
            "voter_groups": [
                {"code": "LD", "name": "领导", "weight": 0.3},
                {"code": "FW", "name": "服务对象", "weight": 0.7},
            ],
        },
        {
            "code": "QLSS",
            "kind": "cadre",
            "name": "勤廉双述测评票",
            "options": [
                {"label": "优秀", "points": 100, "satisfied": True},
                {"label": "称职", "points": 80, "satisfied": True},
                {"label": "基本称职", "points": 60},
                {"label": "不称职", "points": 0},
            ],
            "voter_groups": [{"code": "DB", "name": "党员代表", "weight": 1}],
        },
    ],
    "appraisal_form": "MZPY",
    "spotcheck": {"sample_size": 2, "tolerance": 1, "penalty": 2},
}

UNITS = [  # code, name, category
    ("G01", "财政局", "政府部门"),
    ("G02", "教育局", "政府部门"),
    ("G03", "=SUM(A1)", "政府部门"),
    ("G04", "<b>审计局</b>", "政府部门"),
    ("X01", "城关镇", "乡镇街道"),
    ("X02", "+1 镇", "乡镇街道"),
    ("X03", "-x乡", "乡镇街道"),
    ("X04", "@foo街道", "乡镇街道"),
]
# code → composite, rank, grade, rank_low, rank_high, components (indicators, appraisal, adjustment, penalty, satisfaction)
RESULTS = {
    "G01": (95.5, 1, "优秀", 1, 1, (96.0, 95.0, 100.0, 0.0, 98.5)),
    "G02": (88.25, 2, "良好", 2, 3, (88.0, 87.5, 100.0, 0.0, 90.0)),
    "G03": (88.25, 2, "良好", 2, 3, (89.0, 85.0, 100.0, 0.0, 88.0)),
    "G04": (72.0, 4, "一般", 4, 4, (70.0, 72.0, 90.0, 0.0, 70.0)),
    "X01": (91.0, 1, "优秀", 1, 2, (92.0, 90.0, 100.0, 0.0, 95.0)),
    "X02": (84.5, 2, "良好", 1, 3, (85.0, 83.0, 100.0, 0.0, 85.0)),
    "X03": (79.99, 3, "一般", 2, 3, (80.0, 79.0, 100.0, 0.0, 80.0)),
    "X04": (55.0, 4, "较差", 4, 4, (60.0, 50.0, 80.0, 2.0, 45.0)),
}
PREVIOUS = {
    "G01": (90.0, 2),
    "G02": (92.0, 1),
    "G03": (85.0, 3),
    "G04": (70.0, 4),
    "X01": (88.0, 1),
    "X02": (80.0, 3),
    "X03": (82.0, 2),
    "X04": (65.0, 4),
}
# Self-check raw values: A1 points, A2 deductions, B1 rate %, B2 bonus, C1 veto, D1 points (乡镇街道 only).
SELF = {"A1": 18, "A2": 2, "B1": 95, "B2": 3, "C1": 0, "D1": 16}
SNAPSHOT_HASH = "5a" * 32


@dataclass
class Built:
    round_id: int
    previous_round_id: int
    unit_ids: dict[str, int]
    scheme_version_id: int


def build_round(db, *, published: bool = True, before_publish=None) -> Built:
    """Insert the round (and an earlier published one). Hand-computed facts the tests use:

    - ranking 政府部门: 财政局 1 (95.50), 教育局 2 and =SUM(A1) 2 (88.25, tie), <b>审计局</b> 4;
      乡镇街道: 城关镇 1, +1 镇 2, -x乡 3, @foo街道 4 (55.00, 较差).
    - spot check drew G01 and X04. X04 self A1 = 18, verified A1 = 12: self points 18 − verified 12 = 6 > tolerance 1
      → 虚报 on A1; G01 verified equal to self: no 虚报.
    - X04's 政务公开 (A) after verification: A1 12 + A2 (20 − 2) 18 = 30 of 40 → 75 %.
      G02 (not drawn) 政务公开: 18 + 18 = 36 of 40 → 90 %.
    - tallies of 城关镇 (position 5), certified batches only: 领导 满意 3 + 服务对象 满意 12, 基本满意 5,
      不满意 2, 不了解 1 → 满意 15, 基本满意 5, 不满意 2, 不了解 1 = 23 marks; in hundredths of a percent
      15/23 = 6521.74, 5/23 = 2173.91, 2/23 = 869.57, 1/23 = 434.78 → floors 6521 + 2173 + 869 + 434 = 9997;
      the 3 missing hundredths go to the largest remainders (.91 基本满意, .78 不了解, .74 满意):
      65.22 + 21.74 + 8.69 + 4.35 = 100.00. 满意率 = (15 + 5) / 22 counted = 90.91 %. The 领导 group has 3 counted votes (< 5):
      not shown on its own, and no pooled figure of the unit is printed either, only its score
      (docs/reliability.md §9). A void batch (满意 50) and an open batch (不满意 40) are not counted.
    """
    from assess.appraisal.reconcile import add_session_sums
    from assess.foundation.audit import chain_head
    from assess.models import (
        AccountabilityEntry,
        AppraisalSession,
        AppraisalTarget,
        ApprovalVote,
        BallotBatch,
        Cadre,
        CadreResult,
        Finding,
        Rectification,
        ReviewStep,
        Round,
        SelfCheckScore,
        Snapshot,
        SpotCheckDraw,
        SpotCheckScore,
        TallyCount,
        Unit,
        UnitResult,
    )
    from assess.schemes.store import store_version

    scheme = from_dict(SCHEME)
    with db.write() as s:
        version, _ = store_version(s, "admin", scheme, "test.toml", "")
        units = {}
        for code, name, cat in UNITS:
            u = Unit(code=code, name=name, category=cat)
            s.add(u)
            s.flush()
            units[code] = u.id
        # Both rounds are filled first and published last: a published round refuses every change.
        prev = Round(
            name="2026年第一季度考核",
            period="2026-Q1",
            scheme_version_id=version.id,
            stage="approved",
            created_by="admin",
        )
        rnd = Round(
            name="2026年第二季度考核",
            period="2026-Q2",
            scheme_version_id=version.id,
            stage="under_review",
            created_by="admin",
        )
        s.add(prev)
        s.add(rnd)
        s.flush()
        for code, (composite, rank) in PREVIOUS.items():
            cat = next(c for k, _n, c in UNITS if k == code)
            s.add(
                UnitResult(
                    round_id=prev.id,
                    unit_id=units[code],
                    category=cat,
                    composite=composite,
                    rank=rank,
                    grade="良好",
                    components={"indicators": composite},
                )
            )
        for code, (composite, rank, grade, low, high, comps) in RESULTS.items():
            cat = next(c for k, _n, c in UNITS if k == code)
            keys = ("indicators", "appraisal", "adjustment", "penalty", "satisfaction")
            flags = (
                ["spotchecked", "false_report:A1"]
                if code == "X04"
                else (["spotchecked"] if code == "G01" else [])
            )
            s.add(
                UnitResult(
                    round_id=rnd.id,
                    unit_id=units[code],
                    category=cat,
                    composite=composite,
                    rank=rank,
                    rank_low=low,
                    rank_high=high,
                    grade=grade,
                    components=dict(zip(keys, comps, strict=True)),
                    flags=flags,
                )
            )
            for ind, value in SELF.items():
                if ind == "D1" and cat != "乡镇街道":
                    continue
                s.add(SelfCheckScore(round_id=rnd.id, unit_id=units[code], indicator_code=ind, value=value))
        s.add(
            SpotCheckDraw(
                round_id=rnd.id,
                count=2,
                pool=[{"n": n, "code": c} for n, (c, _n, _c) in enumerate(UNITS, start=1)],
                selected=[{"n": 1, "code": "G01"}, {"n": 2, "code": "X04"}],
                created_by="inspector",
            )
        )
        for code, overrides in (("G01", {}), ("X04", {"A1": 12})):
            for ind, value in SELF.items():
                if ind == "D1" and code.startswith("G"):
                    continue
                s.add(
                    SpotCheckScore(
                        round_id=rnd.id,
                        unit_id=units[code],
                        indicator_code=ind,
                        value=overrides.get(ind, value),
                        inspector="inspector",
                    )
                )
        sess = AppraisalSession(
            round_id=rnd.id,
            kind="unit",
            form_code="MZPY",
            name="民主评议大会",
            expected=40,
            present=30,
            status="certified",
        )
        s.add(sess)
        s.flush()
        for pos, (code, _n, _c) in enumerate(UNITS, start=1):
            s.add(AppraisalTarget(session_id=sess.id, position=pos, unit_id=units[code]))
        batches = {}
        for label, group in (("LD-1", "LD"), ("FW-1", "FW"), ("FW-void", "FW"), ("FW-open", "FW")):
            b = BallotBatch(session_id=sess.id, voter_group=group, label=label, issued=30, returned=25)
            s.add(b)
            s.flush()
            batches[label] = b
        # Every unit gets the same LD counts (3 满意) and FW counts (12/5/2/1); the void and open batches add noise.
        for pos in range(1, len(UNITS) + 1):
            s.add(TallyCount(batch_id=batches["LD-1"].id, position=pos, choice=1, count=3))
            for choice, count in ((1, 12), (2, 5), (3, 2), (4, 1)):
                s.add(TallyCount(batch_id=batches["FW-1"].id, position=pos, choice=choice, count=count))
            s.add(TallyCount(batch_id=batches["FW-void"].id, position=pos, choice=1, count=50))
            s.add(TallyCount(batch_id=batches["FW-open"].id, position=pos, choice=3, count=40))
        s.flush()
        n_units = len(UNITS)
        # the session sums certification keeps: the certified batches only
        add_session_sums(s, sess.id, "LD", [(pos, 1, 3) for pos in range(1, n_units + 1)])
        add_session_sums(
            s,
            sess.id,
            "FW",
            [(pos, c, n) for pos in range(1, n_units + 1) for c, n in ((1, 12), (2, 5), (3, 2), (4, 1))],
        )
        for label, status in (("LD-1", "certified"), ("FW-1", "certified"), ("FW-void", "void")):
            batches[label].status = status  # counts first: a certified batch is immutable
            s.add(batches[label])
        cadre = Cadre(code="C001", name="张建国", unit_id=units["X01"], position="镇长")
        s.add(cadre)
        csess = AppraisalSession(
            round_id=rnd.id,
            kind="cadre",
            form_code="QLSS",
            name="勤廉双述会议",
            expected=30,
            present=28,
            status="certified",
        )
        s.add(csess)
        s.flush()
        s.add(
            CadreResult(
                round_id=rnd.id, session_id=csess.id, cadre_id=cadre.id, score=86.5, grade="称职", counts={}
            )
        )
        s.add(
            AccountabilityEntry(
                round_id=rnd.id,
                unit_id=units["X04"],
                rule_code="R-LOW",
                rule_text="综合得分低于 60 分：不合格",
                figures={"metric": "composite", "value": 55.0, "op": "<", "threshold": 60},
                proposed_action="通报批评、诫勉谈话",
                status="confirmed",
                decided_by="reviewer",
                reason="经复核属实",
            )
        )
        s.add(
            AccountabilityEntry(
                round_id=rnd.id,
                unit_id=units["X04"],
                rule_code="R-FALSE",
                rule_text="虚报自查得分",
                figures={"indicators": ["A1"]},
                proposed_action="通报批评、书面检查",
                status="proposed",
            )
        )
        s.add(
            AccountabilityEntry(
                round_id=rnd.id,
                unit_id=units["G04"],
                rule_code="R-LAST",
                rule_text="=类别排名末位",
                figures={"rank": 4, "category_size": 4},
                proposed_action="提醒谈话",
                status="waived",
                decided_by="reviewer",
                reason="+因客观原因免予问责",
            )
        )
        for step, user in (("first", "clerk"), ("audit", "reviewer"), ("recheck", "reviewer2")):
            s.add(ReviewStep(round_id=rnd.id, step=step, by_user=user, decision="pass", note="同意"))
        s.add(
            ApprovalVote(
                round_id=rnd.id,
                expected_members=9,
                present=8,
                yes=7,
                no=1,
                abstain=0,
                passed=True,
                recorded_by="committee",
            )
        )
        f1 = Finding(
            round_id=rnd.id,
            unit_id=units["X04"],
            indicator_code="A1",
            description="公开目录未按季度更新",
            created_by="inspector",
        )
        f2 = Finding(
            round_id=rnd.id,
            unit_id=units["G02"],
            indicator_code="B1",
            description="办结率统计口径不一致",
            created_by="inspector",
        )
        s.add(f1)
        s.add(f2)
        s.flush()
        f3 = Finding(
            round_id=rnd.id,
            unit_id=units["G02"],
            indicator_code="B1",
            description="办结率统计口径不一致，少报 3 件超期件",
            corrects_id=f2.id,
            created_by="inspector",
        )
        s.add(f3)
        s.flush()
        s.add(
            Rectification(
                finding_id=f1.id,
                notice_no="整改〔2026〕1号",
                requirement="7 日内补齐并公开",
                deadline=date(2026, 7, 31),
                issued_by="inspector",
                issued_at=datetime(2026, 7, 10, tzinfo=UTC),
            )
        )
        s.add(
            Rectification(
                finding_id=f2.id,
                notice_no="整改〔2026〕2号",
                requirement="按旧口径整改",
                deadline=date(2026, 7, 20),
                issued_by="inspector",
            )
        )
        s.add(
            Rectification(
                finding_id=f3.id,
                notice_no="整改〔2026〕3号",
                requirement="统一统计口径并补报",
                deadline=date(2026, 8, 15),
                issued_by="inspector",
            )
        )
        ids = Built(rnd.id, prev.id, units, version.id)
    if before_publish is not None:  # more rows of the round, written while it may still change
        with db.write() as s:
            before_publish(s, ids)
    _seq, head = chain_head(db)
    with db.write() as s:
        s.get(Round, ids.previous_round_id).stage = "published"
        if published:
            s.get(Round, ids.round_id).stage = "published"
            s.add(
                Snapshot(
                    round_id=ids.round_id,
                    content_hash=SNAPSHOT_HASH,
                    audit_head=head,
                    content={},
                    published_by="admin",
                )
            )
    return ids


# -- reading files back -------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png_pixels(data: bytes):
    """Decode an 8-bit non-interlaced RGB/RGBA PNG into a numpy array (height, width, channels)."""
    import numpy as np

    width, height = png_size(data)
    depth, color, _c, _f, interlace = data[24], data[25], data[26], data[27], data[28]
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    channels = 4 if color == 6 else 3
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8)
    stride = width * channels
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - channels] if x >= channels else 0
                b = prev[x]
                c = prev[x - channels] if x >= channels else 0
                if kind == 1:
                    pred = a
                elif kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (Chromium writes them uncompressed)."""
    import re

    assert data[:5] == b"%PDF-", "not a PDF"
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
