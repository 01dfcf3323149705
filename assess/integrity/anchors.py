"""The anchors file: each night's audit chain head, appended to a file outside the database.

One line per anchor: ``date seq head`` (ISO date, the head record's sequence number, its 64-hex
hash), separated by spaces; ``#`` starts a comment. The nightly job (``deploy/assess-nightly``)
runs ``assess audit verify --anchors FILE --append-anchor``: it checks the database against every
anchor written so far and, only when everything verifies, appends today's head. A later chain that
no longer holds an earlier anchor's (seq, head) was truncated or rewritten after that night; see
README "服务器部署" (the file is made append-only with ``chattr +a``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.foundation.audit import GENESIS
from assess.foundation.errors import AssessError, InputErrors, InputProblem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from assess.foundation.db import Database

_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Anchor:
    line: int
    day: date
    seq: int
    head: str

    def text(self) -> str:
        return f"{self.day.isoformat()} {self.seq} {self.head}"


def read_anchors(path: str | Path) -> list[Anchor]:
    """Every anchor of the file, in file order; a malformed line raises naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssessError(f"锚点文件不存在：{path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AssessError(f"锚点文件 {path} 无法读取：{e}") from None
    out: list[Anchor] = []
    errors: list[InputProblem] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3:
            errors.append(InputProblem(str(path), n, None, f"应为“日期 序号 链头哈希”三项，实际 {len(parts)} 项"))
            continue
        day_s, seq_s, head = parts
        try:
            day = date.fromisoformat(day_s)
        except ValueError:
            errors.append(InputProblem(str(path), n, "日期", f"“{day_s}”不是 YYYY-MM-DD 日期"))
            continue
        if not seq_s.isdigit():
            errors.append(InputProblem(str(path), n, "序号", f"“{seq_s}”不是非负整数"))
            continue
        if not _HEX.match(head):
            errors.append(InputProblem(str(path), n, "链头哈希", "应为 64 位小写十六进制"))
            continue
        out.append(Anchor(n, day, int(seq_s), head))
    if errors:
        raise InputErrors(errors)
    return out


def check_anchors(db: Database, anchors: list[Anchor]) -> list[str]:
    """One problem per anchor whose (seq, head) the chain in ``db`` no longer holds."""
    from sqlalchemy import text


    if not anchors:
        return []
    wanted = sorted({a.seq for a in anchors})
    found: dict[int, str] = {}
    with db.rows() as conn:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ", ".join(f":s{k}" for k in range(len(chunk)))
            rows: Iterable[Any] = conn.execute(
                text(f"SELECT seq, hash FROM auditrecord WHERE seq IN ({marks})"),
                {f"s{k}": v for k, v in enumerate(chunk)},
            )
            found.update({int(seq): h for seq, h in rows})
    found[0] = GENESIS
    problems = []
    for a in anchors:
        have = found.get(a.seq)
        if have is None:
            problems.append(f"{a.day} 的锚点（第 {a.line} 行）：审计链中已没有第 {a.seq} 条记录（此后被截断）")
        elif have != a.head:
            problems.append(f"{a.day} 的锚点（第 {a.line} 行）：审计链第 {a.seq} 条的哈希 {have[:16]}… 与锚点 "
                            f"{a.head[:16]}… 不符（此后被改写）")
    return problems


def append_anchor(path: str | Path, day: date, seq: int, head: str) -> Anchor:
    """Append one line (the file is created 0640 when missing; existing lines are never rewritten)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    anchor = Anchor(0, day, seq, head)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (anchor.text() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def last_anchor(path: str | Path) -> Anchor | None:
    anchors = read_anchors(path)
    return anchors[-1] if anchors else None
