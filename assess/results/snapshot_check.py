"""Verification of what was published: a round's final snapshot (``verify_snapshot``) and its 公示
snapshots (``verify_periods``). Each snapshot's content is checked against its hash (the stored
text hashed as it is when stored canonically, ``foundation.jsontext``), its results are recomputed
from its frozen inputs through the engine (``recompute_problems``; a round's 公示 and final
snapshots usually freeze the same inputs and are computed once, ``recomputed``), and the final
snapshot is compared field by field with the live rows that back it (``compare_with_live``; the
master-data fields shown as they were at publication are not compared). Writing the snapshots is
``results.publication`` and ``results.publicity``; ``audit verify`` needs none of the write
services (docs/reliability.md).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.foundation import audit, jsontext
from assess.foundation.errors import AssessError, NotFound
from assess.results.round_view import live_accountability, live_content_text
from assess.results.stored import live_results, stored_component
from assess.rounds.snapshots import MASTER_FIELDS, SNAPSHOT_FORMAT
from assess.scoring.cadres import compute_cadres
from assess.scoring.engine import compute_units
from assess.scoring.robustness import UnknownResampleScheme, check_scheme, resample
from assess.scoring.serial import FRAMES, inputs_from_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assess.foundation.db import Database, Reader


@dataclass
class SnapshotCheck:
    ok: bool
    content_hash: str
    audit_head: str
    problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.ok:
            return f"快照核验通过：结果可由冻结的输入重新算出。快照哈希 {self.content_hash}；审计链头 {self.audit_head}"
        return "快照核验失败：" + "；".join(self.problems[:10])


def _diff_results(expected: list[dict], got: dict[str, dict], where: str, keys: tuple[str, ...]) -> list[str]:
    problems = []
    seen = set()
    for e in expected:
        g = got.get(e["code"])
        seen.add(e["code"])
        if g is None:
            problems.append(f"{where}缺少单位 {e['code']}")
            continue
        for k in keys:
            a, b = e.get(k), g.get(k)
            if isinstance(a, float) or isinstance(b, float):
                same = a is not None and b is not None and abs(float(a) - float(b)) < 1e-6
                same = same or (a is None and b is None)
            else:
                same = a == b
            if not same:
                problems.append(f"{where}单位 {e['code']} 的 {k} 为 {b}，快照为 {a}")
    problems += [f"{where}多出单位 {c}" for c in got if c not in seen]
    return problems


def verify_snapshot(db: Database, round_id: int, chain: audit.VerifyResult | None = None) -> SnapshotCheck:
    """Recompute a published round from its snapshot's inputs and compare with the snapshot; compare
    every field of the snapshot with the live rows that back it (format 2; a format-1 snapshot:
    the stored results and the accountability statuses); check the hash and the audit chain
    (``chain``: the chain already verified by the caller, so that checking every published round
    walks it once)."""
    from sqlalchemy import Text, cast, select

    from assess.models import tables as t

    with db.rows() as conn:
        snap = conn.execute(
            # The content as stored text: hashed as it is when stored canonically (jsontext)
            select(cast(t.snapshot.c.content, Text), t.snapshot.c.content_hash, t.snapshot.c.audit_head).where(
                t.snapshot.c.round_id == round_id
            )
        ).first()
        if snap is None:
            raise NotFound(f"考核轮次 #{round_id} 尚未公示，没有快照。")
        stored_text = snap[0]
        content = json.loads(stored_text)
        anchored = conn.execute(
            select(t.auditrecord.c.seq).where(t.auditrecord.c.hash == snap.audit_head)
        ).first()
        live, live_text = _live_rows(conn, round_id, content, stored_text)  # in the snapshot's read transaction
    problems: list[str] = []
    if not jsontext.matches_hash(stored_text, content, snap.content_hash):
        problems.append("快照内容与其哈希不符（被改动）")
    if "unreadable" in live:
        problems.append(f"数据库中：该轮次的数据无法按快照读出：{live['unreadable']}")
        problems += recompute_problems(content)
    else:
        problems += snapshot_problems(content, live, (stored_text, live_text))
    if anchored is None:
        problems.append("审计链中找不到快照记录的链头")
    chain = chain or audit.verify(db)
    if not chain.ok:
        problems.append(chain.message())
    return SnapshotCheck(not problems, snap.content_hash, snap.audit_head, problems)


def _live_rows(
    s: Reader, round_id: int, content: dict[str, Any], stored_text: str
) -> tuple[dict[str, Any], str | None]:
    """What a snapshot (``content``, stored as ``stored_text``) is compared with, and its canonical
    JSON text when it has one: ``live_content`` (format 2), or the stored results and the
    accountability statuses (format 1); ``{"unreadable": …}`` when the services cannot read the
    round's rows back. Live text that is the stored text is the snapshot's own value: not parsed
    again."""
    if int(content.get("format") or 1) >= SNAPSHOT_FORMAT:
        try:
            text = live_content_text(s, round_id)
        except AssessError as e:  # live rows the services cannot even read back
            return {"unreadable": str(e)}, None
        return (content if text == stored_text else json.loads(text)), text
    return {"results": live_results(s, round_id), "accountability": live_accountability(s, round_id)}, None


def snapshot_problems(
    content: dict[str, Any], live: dict[str, Any], texts: tuple[str, str | None] | None = None
) -> list[str]:
    """The findings about one snapshot's content, without its hash: the results recomputed from
    the frozen inputs, the inputs against the ``results.compute`` record, and the snapshot against
    ``live`` (``round_view.live_content`` for format 2). ``texts``: the snapshot's stored text and
    the live content's canonical text, when known (``compare_with_live``)."""

    problems = recompute_problems(content)
    if int(content.get("format") or 1) < SNAPSHOT_FORMAT:
        return problems + _v1_live_problems(content, live)
    return problems + compare_with_live(content, live, texts)


@dataclass(frozen=True)
class Recomputed:
    """What the engine gives for a snapshot's frozen inputs: per unit code the unit's result row
    (``records``), its rank interval (``intervals``, None without resamples) and per (session,
    cadre) the cadre's (score, grade)."""

    records: dict[str, dict[str, Any]]
    intervals: dict[str, dict[str, int]] | None
    cadres: dict[tuple[int, int], tuple[Any, Any]]


# The last few recomputations, by the frozen inputs' SHA-256 and the draws: a round's 公示 snapshot
# and its final snapshot usually freeze the same inputs, and verification then computes them once.
_RECOMPUTED: dict[tuple[str, int, int, int], Recomputed] = {}
_RECOMPUTED_KEEP = 4


def recomputed(
    inputs_json: dict[str, Any], inputs_hash: str, resamples: int, seed: int, scheme: int
) -> Recomputed:
    """The engine's results for ``inputs_json`` (whose ``jsontext.content_hash`` is ``inputs_hash``),
    with ``resamples`` resamples drawn from ``seed`` by draw scheme ``scheme`` (none when 0)."""
    key = (inputs_hash, resamples, seed, scheme if resamples else 0)
    hit = _RECOMPUTED.get(key)
    if hit is not None:
        return hit
    inputs = inputs_from_json(inputs_json)
    scores = compute_units(inputs)
    t = scores.columns
    rows = [dict(zip(t, values, strict=True)) for values in zip(*t.values(), strict=True)]
    intervals = None
    if resamples:
        rs = resample(inputs, scores, n=resamples, seed=seed, scheme=scheme)
        intervals = {
            code: {"rank_low": int(lo), "rank_high": int(hi)}
            for code, lo, hi in zip(t["code"], rs.rank_low, rs.rank_high, strict=True)
        }
    cadres = {(c["session_id"], c["cadre_id"]): (c["score"], c["grade"]) for c in compute_cadres(inputs)}
    out = Recomputed({r["code"]: r for r in rows}, intervals, cadres)
    while len(_RECOMPUTED) >= _RECOMPUTED_KEEP:
        _RECOMPUTED.pop(next(iter(_RECOMPUTED)))
    _RECOMPUTED[key] = out
    return out


def recompute_problems(content: dict[str, Any]) -> list[str]:
    """The unit results, rank intervals and cadre results recomputed from the snapshot's inputs,
    and the inputs' hash against the one the ``results.compute`` record held."""

    problems: list[str] = []
    compute = content.get("compute") or {}
    inputs_hash = jsontext.content_hash(content["inputs"])
    if compute.get("inputs_hash") != inputs_hash:
        problems.append("快照中的输入数据与计算记录的输入哈希不符")
    resamples, draws = int(compute.get("resamples") or 0), 1
    if resamples:
        # Drawn as when computed: a record from before draw schemes were recorded is scheme 1.
        try:
            draws = check_scheme(compute.get("resample_scheme", 1))
        except UnknownResampleScheme as unknown:
            problems.append(f"重新计算区间：{unknown}")
            resamples = 0
    again = recomputed(content["inputs"], inputs_hash, resamples, int(compute.get("seed") or 0), draws)
    expected = content["results"]
    fresh = {
        code: {
            "composite": float(r["composite"]),
            "rank": int(r["rank"]),
            "grade": r["grade"],
            "category": r["category"],
        }
        for code, r in again.records.items()
    }
    problems += _diff_results(expected, fresh, "重新计算：", ("composite", "rank", "grade", "category"))
    if again.intervals is not None:
        problems += _diff_results(expected, again.intervals, "重新计算区间：", ("rank_low", "rank_high"))
    fresh_components = again.records
    for e in expected:
        f = fresh_components.get(e["code"])
        for k, v in (e.get("components") or {}).items():
            if f is None or k not in f:
                continue
            got = stored_component(f[k])
            if got != v:
                problems.append(f"重新计算：单位 {e['code']} 的 {k} 为 {got}，快照为 {v}")
    cadre_fresh = again.cadres
    for c in content.get("cadre_results", []):
        cadre_got = cadre_fresh.get((c["session_id"], c["cadre_id"]))
        if (
            cadre_got is None
            or cadre_got[1] != c["grade"]
            or (cadre_got[0] is None) != (c["score"] is None)
            or (cadre_got[0] is not None and abs(cadre_got[0] - c["score"]) > 1e-6)
        ):
            problems.append(f"重新计算：干部 {c['code']} 的结果与快照不符")
    if len(content.get("cadre_results", [])) != len(cadre_fresh):
        problems.append("重新计算：干部结果条数与快照不符")
    return problems


def _v1_live_problems(content: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """A format-1 snapshot (before every printed field was frozen) against the live results and
    accountability statuses, as it was verified when written."""
    stored = {r["code"]: r for r in live["results"]}
    problems = _diff_results(
        content["results"], stored, "数据库中：", ("composite", "rank", "grade", "rank_low", "rank_high")
    )
    entries = {e["id"]: e["status"] for e in live["accountability"]}
    for e in content.get("accountability", []):
        if entries.get(e["id"]) != e["status"]:
            problems.append(f"数据库中：问责条目 #{e['id']} 的状态与快照不符")
    if len(entries) != len(content.get("accountability", [])):
        problems.append("数据库中：问责名单条目数与快照不符")
    return problems


DIFF_LIMIT = 20


def compare_with_live(
    content: dict[str, Any], live: dict[str, Any], texts: tuple[str, str | None] | None = None
) -> list[str]:
    """Every field of a format-2 snapshot against the same field read from the live rows, except
    the master-data fields shown as they were at publication (``round_view.MASTER_FIELDS``).
    ``texts``: the snapshot's stored JSON text and the live content's canonical text; when the two
    are the same text, every field is the same, types included, and nothing is walked."""
    if texts is not None and texts[1] is not None and texts[0] == texts[1]:
        return []
    diffs: list[str] = []
    for k in sorted(set(content) | set(live), key=str):
        if k in content and k in live and _exact(content[k]) == _exact(live[k]):
            continue  # the same JSON to the byte (types included): nothing under it differs
        _walk_diff({k: content[k]} if k in content else {}, {k: live[k]} if k in live else {}, (), diffs)
    if len(diffs) > DIFF_LIMIT:
        diffs = [*diffs[:DIFF_LIMIT], f"数据库中：另有 {len(diffs) - DIFF_LIMIT} 处与快照不符"]
    return diffs


def _exact(value: Any) -> str:
    """``value`` as JSON text that differs whenever any field or type does (``true`` is not ``1``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _path_text(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def is_master_field(path: tuple) -> bool:
    """Whether a snapshot field (a path of keys and list indexes) holds master data shown as it was
    at publication (``round_view.MASTER_FIELDS``)."""
    master, unit_columns = _master_fields()
    if len(path) >= 4 and path[:2] == ("inputs", "units") and isinstance(path[3], int):
        return unit_columns[path[3]] in master["inputs.units"]
    return len(path) >= 3 and path[0] in master and path[2] in master[path[0]]


@functools.cache
def _master_fields() -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """(``MASTER_FIELDS``, the unit frame's columns), looked up once: the comparison asks for
    every field of a snapshot."""

    return MASTER_FIELDS, FRAMES["units"]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


def _walk_diff(snap: Any, live: Any, path: tuple, out: list[str]) -> None:
    if is_master_field(path):
        return
    if isinstance(snap, dict) and isinstance(live, dict):
        for k in sorted(set(snap) | set(live), key=str):
            if k not in live:
                out.append(f"数据库中：缺少快照中的 {_path_text((*path, k))}")
            elif k not in snap:
                out.append(f"数据库中：多出快照中没有的 {_path_text((*path, k))}")
            else:
                _walk_diff(snap[k], live[k], (*path, k), out)
        return
    if isinstance(snap, list) and isinstance(live, list):
        if len(snap) != len(live):
            out.append(f"数据库中：{_path_text(path)} 有 {len(live)} 项，快照为 {len(snap)} 项")
        for i, (a, b) in enumerate(zip(snap, live, strict=False)):
            _walk_diff(a, b, (*path, i), out)
        return
    if not _same(snap, live):
        out.append(f"数据库中：{_path_text(path)} 为 {live!r}，快照为 {snap!r}")


def verify_periods(db: Database, round_id: int | None = None) -> tuple[int, list[str]]:
    """(公示 snapshots checked, problems): each snapshot's content against its hash, the hash
    against the ``publicity.open`` audit record, its audit head in the chain, and its results
    recomputed from its frozen inputs (``recompute_problems``)."""

    from sqlalchemy import bindparam, text


    with db.rows() as conn:
        where = "" if round_id is None else " WHERE round_id = :rid"
        rows: Sequence[Any] = conn.execute(
            # the content as stored text: hashed as it is when stored canonically (jsontext)
            text(
                "SELECT id, round_id, content_hash, audit_head, CAST(content AS TEXT) FROM publicityperiod"
                f"{where} ORDER BY id"
            ),
            {} if round_id is None else {"rid": round_id},
        ).all()
        records: dict[int, dict[str, Any]] = {}
        payload: Any
        for payload in conn.execute(text("SELECT payload FROM auditrecord WHERE action = 'publicity.open'")).scalars():
            if isinstance(payload, str):
                payload = json.loads(payload)
            if isinstance((payload or {}).get("period_id"), int):
                records[payload["period_id"]] = payload
        heads = {
            h
            for (h,) in conn.execute(
                text("SELECT hash FROM auditrecord WHERE hash IN :hs").bindparams(bindparam("hs", expanding=True)),
                {"hs": [r[3] for r in rows] or [""]},
            )
        }
    problems: list[str] = []
    for pid, rid, digest, head, stored_text in rows:
        content = json.loads(stored_text)
        where_text = f"轮次 #{rid} 公示快照 #{pid}"
        if not jsontext.matches_hash(stored_text, content, digest):
            problems.append(f"{where_text}：快照内容与其哈希不符（被改动）")
        rec = records.get(pid)
        if rec is None:
            problems.append(f"{where_text}：审计日志中没有公示记录")
        elif rec.get("content_hash") != digest or rec.get("round_id") != rid:
            problems.append(f"{where_text}：快照哈希与审计日志中的公示记录不符")
        if head not in heads:
            problems.append(f"{where_text}：审计链中找不到快照记录的链头")
        try:
            problems += [f"{where_text}：{p}" for p in recompute_problems(content)]
        except Exception as e:  # a snapshot that cannot even be recomputed is a finding
            problems.append(f"{where_text}：无法重新计算：{type(e).__name__}: {e}")
    return len(rows), problems
