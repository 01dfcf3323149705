"""Whole-database verification behind ``assess audit verify``: the audit chain, every certified
ballot batch recounted from its stored ballots and checked against the audit records of its entry
and certification, and every published round recomputed from its snapshot.

What is checked, and against what:

- the audit hash chain (``assess.foundation.audit.verify``), with an anchor (a chain head printed earlier on a
  tally sheet, notice or report) so that a truncated or rewritten tail is detected too;
- every batch that is certified, or that the audit log says was certified:
  the batch row against the ``batch.certify`` record (label, voter group, source, issued,
  returned) and against the record that created it (``batch.create``, ``ballot.import`` or
  ``tally.import``: session, label, voter group); for ballots (source paper or import) the stored
  ``ballot`` rows (number = returned = the record's count, valid/void/blank as recorded, marks one
  per target, status consistent with the marks), the ``tallycount`` rows recounted from the valid
  ballots, the recount's digest against the recorded ``tally_digest``, the ballots' digest
  against the recorded ``ballots_digest`` (when the record has one) and against the reading
  recomputed from the two entry passes and the reviewer's resolutions, and each pass's digest
  against the record that closed (or imported) it; for a tallies-only batch the counts' digest
  against the certification and the import records;
- ballots or counts where there should be none (in an open or void batch, or in a batch that does
  not exist);
- each session's stored tally sums (``tallysum``, which tallies and scores read) against the sums
  of its certified batches' counts, recounted above from the ballots;
- every published round: ``assess.results.snapshot_check.verify_snapshot`` (results recomputed from the
  frozen inputs; every field of the snapshot compared with the live rows that back it, names as
  published excepted — docs/reliability.md, "已公示轮次") and the ``round.publish`` record's
  content hash.

Each problem is one line naming the batch, round or audit record that differs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assess.appraisal.marks import session_rules
from assess.appraisal.readings import ballot_statuses, merge_passes, resolutions_by_batch, tally_digest
from assess.foundation import audit
from assess.foundation.accounts import verify_accounts
from assess.foundation.vocabulary import BallotStatus, BatchStatus, Stage
from assess.integrity.anchors import check_anchors, read_anchors
from assess.results.snapshot_check import verify_periods, verify_snapshot

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from assess.appraisal.marks import MarkRules
    from assess.foundation.db import Database, Reader

BATCH_ACTIONS = ("batch.create", "ballot.import", "tally.import", "batch.certify", "ballot.pass.close")
ORIGIN_ACTION = {"paper": "batch.create", "import": "ballot.import", "tally": "tally.import"}


@dataclass
class IntegrityReport:
    chain: audit.VerifyResult
    batches: int = 0
    rounds: int = 0
    problems: list[str] = field(default_factory=list)
    publicity: int = 0  # 公示 snapshots checked (assess/publicity.py)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems

    def lines(self) -> list[str]:
        out = [self.chain.message()]
        out.append(
            f"已核对 {self.batches} 个已核定选票批次（由选票重新计票）、{self.rounds} 个已公示轮次（由快照重新计算）"
            + (f"、{self.publicity} 个公示快照" if self.publicity else "")
        )
        if self.problems:
            out += [f"不符：{p}" for p in self.problems]
        else:
            out.append("选票、计票与公示结果均与审计记录一致")
        return out

    def message(self) -> str:
        if self.ok:
            return "；".join(self.lines())
        first = self.chain.message() if not self.chain.ok else self.problems[0]
        more = len(self.problems) + (0 if self.chain.ok else 1) - 1
        return first + (f"（另有 {more} 处不符）" if more > 0 else "")


def verify_all(db: Database, anchor: str | None = None, anchors_file: str | None = None) -> IntegrityReport:
    """The audit chain, every certified batch and every published round (see the module
    docstring); with ``anchors_file``, every nightly anchor too (``assess.integrity.anchors``)."""
    report = IntegrityReport(audit.verify(db, anchor=anchor))
    report.batches, batch_problems = check_batches(db)
    report.rounds, round_problems = check_published_rounds(db, report.chain)

    report.publicity, publicity_problems = verify_periods(db)
    round_problems = round_problems + publicity_problems
    report.problems = (
        batch_problems + round_problems + check_anchors_file(db, anchors_file) + verify_accounts(db)
    )
    return report


def check_anchors_file(db: Database, anchors_file: str | None) -> list[str]:
    """Problems of the chain against every anchor in the file (none when no file is given)."""
    if anchors_file is None:
        return []

    return [f"锚点文件 {anchors_file}：{p}" for p in check_anchors(db, read_anchors(anchors_file))]


# -- digests and recounts -------------------------------------------------------------------------


def ballots_digest(rows: list[tuple[int, str, str]]) -> str:
    """SHA-256 over (ballot_no, status, marks) in ballot-number order; the same construction as a
    pass's digest (``assess.appraisal.entry.pass_digest``), so a single imported pass and the ballots
    certified from it have the same digest."""
    h = hashlib.sha256()
    for no, status, marks in sorted(rows):
        h.update(f"{no}|{status}|{marks}\n".encode())
    return h.hexdigest()


def recount(marks: list[str], n_targets: int) -> list[tuple[int, int, int]]:
    """(position, choice, count) over valid ballots' marks, vectorised: the counts certification
    stores in ``tallycount`` (choices 1–9; ``0`` and ``X`` are not votes)."""
    import numpy as np

    if not marks or n_targets <= 0:
        return []
    arr = np.frombuffer("".join(marks).encode("ascii", "replace"), dtype=np.uint8)
    if arr.size != len(marks) * n_targets:
        return []  # a ballot of the wrong width: reported by the shape check
    arr = arr.reshape(len(marks), n_targets)
    out: list[tuple[int, int, int]] = []
    for k in range(1, 10):
        per_target = (arr == ord(str(k))).sum(axis=0)
        for pos in np.nonzero(per_target)[0].tolist():
            out.append((pos + 1, k, int(per_target[pos])))
    return sorted(out)


def check_marks(rules: MarkRules, ballots: list[tuple[int, str, str]]):
    """(shape_ok, status_ok) boolean arrays over ``ballots`` (ballot_no, status, marks), vectorised:
    one allowed character per target; and the status the marks give — all ``0`` is blank (or void,
    voided with one key), otherwise void exactly when the limited option is marked too often, else
    valid. A ballot of the wrong shape counts as status_ok (it is reported once, by shape)."""
    import numpy as np

    n, width = len(ballots), rules.n_targets
    lengths = np.fromiter((len(mk) for _no, _st, mk in ballots), dtype=np.int64, count=n)
    shape_ok = lengths == width
    status_ok = np.ones(n, dtype=bool)
    idx = np.nonzero(shape_ok)[0]
    if not len(idx) or width == 0:
        return shape_ok, status_ok
    marks = "".join(ballots[i][2] for i in idx.tolist())
    arr = np.frombuffer(marks.encode("utf-8", "replace"), dtype=np.uint8)
    if arr.size != len(idx) * width:  # a non-ASCII character widened a row: check those rows alone
        ascii_ok = np.array([ballots[i][2].isascii() for i in idx.tolist()], dtype=bool)
        shape_ok[idx[~ascii_ok]] = False
        return _rest(rules, ballots, shape_ok)
    arr = arr.reshape(len(idx), width)
    allowed = np.frombuffer(rules.allowed.encode("ascii"), dtype=np.uint8)
    shape_ok[idx] = np.isin(arr, allowed).all(axis=1)
    blank = (arr == ord("0")).all(axis=1)
    over = np.zeros(len(idx), dtype=bool)
    if rules.limited is not None:
        over = (arr == ord(str(rules.limited))).sum(axis=1) > (rules.max_limited or 0)
    status = np.array([ballots[i][1] for i in idx.tolist()], dtype=object)
    ok = np.where(
        blank,
        (status == BallotStatus.BLANK) | (status == BallotStatus.VOID),
        np.where(over, status == BallotStatus.VOID, status == BallotStatus.VALID),
    )
    status_ok[idx] = ok.astype(bool)
    return shape_ok, status_ok


def _rest(rules: MarkRules, ballots: list[tuple[int, str, str]], shape_ok):
    """``check_marks`` over the ASCII rows only (the others already marked bad)."""
    import numpy as np

    keep = np.nonzero(shape_ok)[0].tolist()
    sub_shape, sub_status = check_marks(rules, [ballots[i] for i in keep])
    status_ok = np.ones(len(ballots), dtype=bool)
    shape_ok[keep] = sub_shape
    status_ok[keep] = sub_status
    return shape_ok, status_ok


# -- batches --------------------------------------------------------------------------------------


def _records(s: Reader) -> dict[str, dict[int, list[tuple[int, dict]]]]:
    """Batch-related audit records: action → batch id → [(seq, payload)]."""

    from sqlalchemy import bindparam, text

    out: dict[str, dict[int, list[tuple[int, dict]]]] = {a: defaultdict(list) for a in BATCH_ACTIONS}
    rows: Iterable[Any] = s.execute(
        text("SELECT seq, action, payload FROM auditrecord WHERE action IN :actions ORDER BY seq").bindparams(
            bindparam("actions", expanding=True)
        ),
        {"actions": list(BATCH_ACTIONS)},
    )
    for seq, action, payload in rows:
        if isinstance(payload, str):
            payload = json.loads(payload)
        batch = (payload or {}).get("batch")
        if isinstance(batch, int):
            out[action][batch].append((seq, payload))
    return out


@dataclass
class _Batch:
    id: int
    session_id: int
    voter_group: str
    label: str
    source: str
    issued: int
    returned: int
    status: str

    @property
    def name(self) -> str:
        return f"批次 #{self.id}“{self.label}”"


def check_batches(db: Database) -> tuple[int, list[str]]:
    """(certified batches checked, problems) — see the module docstring."""
    from sqlalchemy import text

    problems: list[str] = []
    checked = 0
    with db.rows() as conn:
        records = _records(conn)
        batch_rows: Iterable[Any] = conn.execute(
            text(
                "SELECT id, session_id, voter_group, label, source, issued, returned, status "
                "FROM ballotbatch ORDER BY id"
            )
        )
        batches = {r[0]: _Batch(*r) for r in batch_rows}
        ballots: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        stored: Iterable[Any] = conn.execute(text("SELECT batch_id, ballot_no, status, marks FROM ballot"))
        for batch_id, no, status, marks in stored:
            ballots[batch_id].append((no, status, marks))
        tallies: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        counted: Iterable[Any] = conn.execute(text("SELECT batch_id, position, choice, count FROM tallycount"))
        for batch_id, pos, choice, n in counted:
            tallies[batch_id].append((pos, choice, n))
        rules_cache: dict[int, Any] = {}
        entry = _Entry(conn)

        for batch_id in sorted(set(ballots) | set(tallies)):
            if batch_id not in batches:
                problems.append(f"选票或计票记录属于不存在的批次 #{batch_id}")
        for batch_id in sorted(records["batch.certify"]):
            if batch_id not in batches:
                problems.append(f"审计记录显示批次 #{batch_id} 已核定，但数据库中没有该批次")

        for b in batches.values():
            certs = records["batch.certify"].get(b.id, [])
            if b.status != BatchStatus.CERTIFIED:
                if certs:
                    problems.append(
                        f"{b.name}：审计记录 #{certs[0][0]} 显示已核定，数据库中状态却为“{b.status}”"
                    )
                if ballots.get(b.id):
                    problems.append(f"{b.name}：未核定却有 {len(ballots[b.id])} 张已核定选票")
                if b.source != "tally" and tallies.get(b.id):
                    problems.append(f"{b.name}：未核定却有计票记录")
                continue
            checked += 1
            tallied = sorted(tallies.get(b.id, []))
            problems += _check_certified(
                conn, b, certs, records, ballots.get(b.id, []), tallied, rules_cache, entry
            )
        sums = conn.execute(
            text("SELECT session_id, voter_group, position, choice, count FROM tallysum")
        ).all()
        problems += check_session_sums(batches.values(), tallies, sums)
    return checked, problems


def check_session_sums(batches, tallies: dict[int, list[tuple[int, int, int]]], sums) -> list[str]:
    """The stored session sums (``tallysum`` rows: session, voter group, position, choice, count)
    against the sums of the certified batches' counts, which ``_check_certified`` recounts from
    the ballots: every cell that differs, is missing or has no batch behind it."""
    expected: Counter = Counter()
    for b in batches:
        if b.status == BatchStatus.CERTIFIED:
            for pos, choice, n in tallies.get(b.id, []):
                expected[(b.session_id, b.voter_group, pos, choice)] += n
    stored = {(sid, g, pos, choice): n for sid, g, pos, choice, n in sums}
    problems = []
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[0], k[1], k[2], k[3])):
        want, have = expected.get(key, 0), stored.get(key)
        if have is None and not want:
            continue
        if have != want:
            sid, g, pos, choice = key
            problems.append(
                f"评议会议 #{sid} 的计票汇总（类别 {g}、第 {pos} 个对象、选项 {choice}）为 "
                f"{0 if have is None else have}，各已核定批次之和为 {want}"
            )
    return problems


def _session_rules(s: Reader, session_id: int, cache: dict[int, Any]):
    if session_id not in cache:
        try:
            cache[session_id] = session_rules(s, session_id)
        except Exception as e:  # a missing or unreadable session/scheme is itself a finding
            cache[session_id] = e
    return cache[session_id]


def _check_certified(
    s: Reader,
    b: _Batch,
    certs: list[tuple[int, dict]],
    records: dict[str, dict[int, list[tuple[int, dict]]]],
    ballots: list[tuple[int, str, str]],
    tallies: list[tuple[int, int, int]],
    rules_cache: dict[int, Any],
    entry: _Entry,
) -> list[str]:
    out: list[str] = []
    if not certs:
        return [f"{b.name}：数据库中为已核定，审计日志中没有核定记录"]
    if len(certs) > 1:
        out.append(f"{b.name}：审计日志中有 {len(certs)} 条核定记录（重复核定）")
    seq, cert = certs[-1]
    for key in ("label", "voter_group", "source", "issued", "returned"):
        if key in cert and cert[key] != getattr(b, key):
            out.append(f"{b.name}：{key} 为 {getattr(b, key)!r}，核定记录 #{seq} 为 {cert[key]!r}")
    origin_action = ORIGIN_ACTION.get(b.source)
    origins = records.get(origin_action, {}).get(b.id, []) if origin_action else []
    if not origins:
        out.append(f"{b.name}：审计日志中没有该批次的登记或导入记录（{origin_action or b.source}）")
    else:
        oseq, origin = origins[0]
        for key, value in (("session", b.session_id), ("label", b.label), ("voter_group", b.voter_group)):
            if key in origin and origin[key] != value:
                out.append(f"{b.name}：{key} 为 {value!r}，登记记录 #{oseq} 为 {origin[key]!r}")
    tally_rows = [t for t in tallies if t[2] != 0]
    if b.source == "tally":
        if ballots:
            out.append(f"{b.name}：汇总导入批次不应有逐张选票，却有 {len(ballots)} 张")
        digest = tally_digest(tally_rows)
        if cert.get("tally_digest") != digest:
            out.append(f"{b.name}：计票数与核定记录 #{seq} 的摘要不符")
        if origins and origins[0][1].get("tally_digest") != digest:
            out.append(f"{b.name}：计票数与导入记录 #{origins[0][0]} 的摘要不符")
        return out

    rules = _session_rules(s, b.session_id, rules_cache)
    if isinstance(rules, Exception):
        return [*out, f"{b.name}：无法读取评议表：{rules}"]
    statuses = Counter(st for _no, st, _mk in ballots)
    n = len(ballots)
    if n != b.returned:
        out.append(f"{b.name}：存有 {n} 张选票，收回 {b.returned} 张")
    if cert.get("ballots") is not None and n != cert.get("ballots"):
        out.append(f"{b.name}：存有 {n} 张选票，核定记录 #{seq} 为 {cert.get('ballots')} 张")
    for st, label in (("valid", "有效"), ("void", "废票"), ("blank", "空白")):
        if cert.get(st) is not None and statuses.get(st, 0) != cert.get(st):
            out.append(f"{b.name}：{label} {statuses.get(st, 0)} 张，核定记录 #{seq} 为 {cert.get(st)} 张")
    nos = [no for no, _st, _mk in ballots]
    if len(set(nos)) != len(nos):
        dup = sorted(no for no, c in Counter(nos).items() if c > 1)
        out.append(f"{b.name}：票号重复：{'、'.join(map(str, dup[:10]))}")
    shape_ok, status_ok = check_marks(rules, ballots)
    if not shape_ok.all():
        bad = sorted(no for no, ok in zip(nos, shape_ok.tolist(), strict=True) if not ok)
        out.append(f"{b.name}：{len(bad)} 张选票的标记不完整或含无效字符（票号 {bad[:10]}）")
    if not status_ok.all():
        bad = sorted(no for no, ok in zip(nos, status_ok.tolist(), strict=True) if not ok)
        out.append(f"{b.name}：{len(bad)} 张选票的状态与标记不符（票号 {bad[:10]}）")
    counted = recount(
        [mk for (_no, st, mk), ok in zip(ballots, shape_ok.tolist(), strict=True) if ok and st == "valid"],
        rules.n_targets,
    )
    if counted != tally_rows:
        diff = sorted(set(counted) ^ set(tally_rows))[:5]
        out.append(f"{b.name}：计票数与由选票重新计票的结果不符（位置, 选项, 票数）：{diff}")
    if cert.get("tally_digest") is not None and tally_digest(counted) != cert.get("tally_digest"):
        out.append(f"{b.name}：由选票重新计票的摘要与核定记录 #{seq} 不符")
    digest = ballots_digest(ballots)
    if cert.get("ballots_digest") is not None and digest != cert["ballots_digest"]:
        out.append(f"{b.name}：选票内容与核定记录 #{seq} 的选票摘要不符")
    out += _check_reading(entry, b, rules, digest, records)
    return out


class _Entry:
    """The entry passes, their keyed ballots and the reviewers' resolutions of every batch, read
    once (one statement per table) on first use: what ``_check_reading`` recomputes readings from."""

    def __init__(self, conn: Reader):
        self._conn = conn
        self._loaded = False
        self.passes: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
        self.keyed: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
        self.resolutions: dict[int, dict[tuple[int, int], str]] = {}

    def load(self) -> _Entry:
        from sqlalchemy import text

        if not self._loaded:
            self._loaded = True
            passes: Sequence[Any] = self._conn.execute(
                text("SELECT batch_id, id, pass_no, clerk, status FROM entrypass ORDER BY batch_id, pass_no")
            ).all()
            for batch_id, pid, pass_no, clerk, status in passes:
                self.passes[batch_id].append((pid, pass_no, clerk, status))
            keyed: Sequence[Any] = self._conn.execute(
                text("SELECT pass_id, ballot_no, status, marks FROM passballot")
            ).all()
            for pid, no, st, mk in keyed:
                self.keyed[pid][no] = (st, mk)
            self.resolutions = resolutions_by_batch(self._conn)
        return self


def _check_reading(entry: _Entry, b: _Batch, rules: MarkRules, digest: str, records) -> list[str]:
    """The certified ballots against the reading recomputed from the entry passes and the
    resolutions, and each pass against the audit record that closed or imported it."""
    out: list[str] = []
    entry.load()
    passes = entry.passes.get(b.id, [])
    needed = 2 if b.source == "paper" else 1
    if len(passes) != needed:
        return [f"{b.name}：应有 {needed} 遍录入，现有 {len(passes)} 遍"]
    rows: list[dict[int, tuple[str, str]]] = []
    for pid, pass_no, clerk, _status in passes:
        rows.append(entry.keyed.get(pid, {}))
        recorded = _pass_record(b, pass_no, clerk, records)
        if recorded is None:
            out.append(f"{b.name}：第 {pass_no} 遍（{clerk}）在审计日志中没有完成或导入记录")
        elif recorded[1] != ballots_digest([(no, st, mk) for no, (st, mk) in rows[-1].items()]):
            out.append(f"{b.name}：第 {pass_no} 遍（{clerk}）的录入内容与审计记录 #{recorded[0]} 的摘要不符")
    width = rules.n_targets
    if not all(len(mk) == width and mk.isascii() for keyed in rows for _st, mk in keyed.values()):
        # the session's targets or the keyed marks changed behind the application: no reading to recompute
        out.append(f"{b.name}：录入的选票与会议现有的 {width} 个评议对象对不上，无法由两遍录入重新得出选票")
        return out
    merged = merge_passes(rules, rows[0], rows[1] if needed == 2 else None, entry.resolutions.get(b.id, {}))
    if any(m[4] is None for m in merged.mismatches):
        out.append(f"{b.name}：两遍录入尚有未处理的不一致，却已核定")
        return out
    statuses = ballot_statuses(rules, merged.marks, merged.explicit_void)
    reading = ballots_digest(list(zip(merged.ballot_nos, statuses, merged.marks, strict=True)))
    if reading != digest:
        out.append(f"{b.name}：已核定的选票与两遍录入及不一致处理结果重新得出的选票不符")
    return out


def _pass_record(
    b: _Batch, pass_no: int, clerk: str, records: dict[str, dict[int, list[tuple[int, dict]]]]
) -> tuple[int, str | None] | None:
    """(seq, digest) of the record that closed a keyed pass or imported a batch."""
    if b.source == "import":
        found = records["ballot.import"].get(b.id, [])
        return (found[0][0], found[0][1].get("digest")) if found else None
    for seq, payload in records["ballot.pass.close"].get(b.id, []):
        if payload.get("pass_no") == pass_no:
            return seq, payload.get("digest")
    return None


# -- published rounds -----------------------------------------------------------------------------


def check_published_rounds(db: Database, chain: audit.VerifyResult | None = None) -> tuple[int, list[str]]:
    """(published rounds checked, problems): every published round has a snapshot that
    ``verify_snapshot`` accepts and whose hash the ``round.publish`` record holds (``chain``: the
    audit chain verified already, not walked again per round)."""

    from sqlalchemy import text

    problems: list[str] = []
    with db.rows() as conn:
        rounds: Sequence[Any] = conn.execute(text("SELECT id, name, stage FROM round ORDER BY id")).all()
        snapshot_rows: Iterable[Any] = conn.execute(text("SELECT round_id, content_hash FROM snapshot"))
        snaps: dict[int, str] = {rid: digest for rid, digest in snapshot_rows}
        published: dict[int, list[tuple[int, dict]]] = defaultdict(list)
        records: Iterable[Any] = conn.execute(
            text("SELECT seq, payload FROM auditrecord WHERE action = 'round.publish' ORDER BY seq")
        )
        for seq, payload in records:
            if isinstance(payload, str):
                payload = json.loads(payload)
            rid = (payload or {}).get("round_id")
            if isinstance(rid, int):
                published[rid].append((seq, payload))
    names = {rid: name for rid, name, _stage in rounds}
    checked = 0
    for rid, name, stage in rounds:
        if stage != Stage.PUBLISHED and rid not in snaps and rid not in published:
            continue
        where = f"轮次 #{rid}“{name}”"
        if stage != Stage.PUBLISHED:
            problems.append(f"{where}：有公示快照或公示记录，阶段却为“{stage}”")
        if rid not in snaps:
            problems.append(f"{where}：已公示，却没有公示快照")
            continue
        checked += 1
        recs = published.get(rid, [])
        if not recs:
            problems.append(f"{where}：审计日志中没有公示记录")
        elif recs[-1][1].get("content_hash") != snaps[rid]:
            problems.append(f"{where}：快照哈希与公示记录 #{recs[-1][0]} 不符")
        try:
            check = verify_snapshot(db, rid, chain)
        except Exception as e:  # a snapshot that cannot even be read back is a finding
            problems.append(f"{where}：快照无法重新计算：{type(e).__name__}: {e}")
            continue
        problems += [f"{where}：{p}" for p in check.problems if not p.startswith("审计链被破坏")]
    for rid in sorted(set(published) | set(snaps)):
        if rid not in names:
            problems.append(f"公示记录或快照属于不存在的轮次 #{rid}")
    return checked, problems


def anchor_text(seq: int, head: str) -> str:
    """The anchor line printed at the foot of tally sheets: the audit chain head when printed, and
    how anyone holding the sheet checks later that nothing was removed or rewritten."""
    return f"审计锚点：审计链头 #{seq} {head}（核对：assess audit verify --anchor {head}）"
