"""The audit log: an append-only SHA-256 hash chain.

Each record's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of
``{"prev": previous hash, "seq", "at", "actor", "action", "payload"}``. The first record's previous
hash is 64 zeros. ``verify`` recomputes the chain and names the first bad seq; given an anchor
(a chain head printed earlier on a tally sheet or notice) it also detects a truncated tail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assess.foundation.jsontext import canonical_json

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlmodel import Session

    from assess.foundation.db import Database

GENESIS = "0" * 64


def record_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, payload: dict) -> str:
    body = {"prev": prev_hash, "seq": seq, "at": at, "actor": actor, "action": action, "payload": payload}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _normalise(payload: dict) -> dict:
    """Round-trip through canonical JSON so the stored payload hashes the same when read back."""
    return json.loads(canonical_json(payload))


def append(session: Session, actor: str, action: str, payload: dict | None = None) -> tuple[int, str]:
    """Append one record in the caller's transaction. The head row is locked (FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock), so appends are
    serialised and the chain stays linear."""
    from sqlmodel import select

    from assess.models import AuditHead, AuditRecord

    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    seq = head.seq + 1
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    body = _normalise(payload or {})
    h = record_hash(head.hash, seq, at, actor, action, body)
    session.add(AuditRecord(seq=seq, prev_hash=head.hash, hash=h, at=at, actor=actor, action=action, payload=body))
    head.seq = seq
    head.hash = h
    session.add(head)
    session.flush()
    return seq, h


@dataclass
class VerifyResult:
    ok: bool
    count: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"审计链完整：{self.count} 条记录，链头 #{self.head_seq} {self.head_hash}"
        return f"审计链被破坏：第 {self.first_bad_seq} 条记录 {self.problem}"


def verify(db: Database, anchor: str | None = None) -> VerifyResult:
    """Recompute the chain. A record changed, removed or reordered breaks it at the first bad
    seq; with ``anchor`` (a head hash printed earlier) a truncated tail is detected too."""
    from sqlalchemy import text

    prev = GENESIS
    expected_seq = 1
    count = 0
    seen_anchor = anchor is None or anchor == GENESIS
    with db.rows() as conn:
        head = conn.execute(text("SELECT seq, hash FROM audithead WHERE id = 1")).first()
        rows: Iterable[Any] = conn.execute(
            text("SELECT seq, prev_hash, hash, at, actor, action, payload FROM auditrecord ORDER BY seq")
        )
        for seq, prev_hash, h, at, actor, action, payload in rows:
            if isinstance(payload, str):
                payload = json.loads(payload)
            if seq != expected_seq:
                bad = min(seq, expected_seq)
                return VerifyResult(False, count, expected_seq - 1, prev, bad, "缺失或顺序被改动（序号不连续）")
            if prev_hash != prev:
                return VerifyResult(False, count, seq - 1, prev, seq, "的前一哈希与上一条不符（被删除、插入或重排）")
            if record_hash(prev, seq, at, actor, action, payload) != h:
                return VerifyResult(False, count, seq - 1, prev, seq, "的内容被改动（哈希不符）")
            prev = h
            expected_seq += 1
            count += 1
            if anchor is not None and h == anchor:
                seen_anchor = True
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return VerifyResult(False, count, last_seq, prev, last_seq + 1, "之后的记录缺失（链头表与记录不符，尾部被截断）")
    if not seen_anchor:
        return VerifyResult(False, count, last_seq, prev, last_seq + 1, "之后缺失：锚点哈希不在链中（尾部被截断或被替换）")
    return VerifyResult(True, count, last_seq, prev)


def chain_head(db: Database) -> tuple[int, str]:
    from sqlalchemy import text

    with db.rows() as conn:
        row = conn.execute(text("SELECT seq, hash FROM audithead WHERE id = 1")).first()
    return (row[0], row[1]) if row else (0, GENESIS)
