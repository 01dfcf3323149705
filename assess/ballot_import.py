"""Importing ballots and tallies into a session, all or nothing, with file, line and field in
every error.

Per-ballot file (``batch,ballot_no,voter_group,target_code,choice``): one row per mark, the
choice being the option label; an empty choice is no mark (a ballot listed only with empty
choices is blank). Two different choices for the same target of the same ballot are a voided
mark (``X``), as on paper. Each batch becomes a batch of source ``import`` holding one closed
pass (the importing clerk's); certification by a reviewer who did not import it.

Tallies file (``voter_group,target_code,choice,count``): counts only. Each voter group becomes a
batch of source ``tally`` with its ``TallyCount`` rows; certification as above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import audit
from .errors import InputErrors, InputProblem, ProblemList
from .roles import Actor, authorize
from .tabular import parse_number, read_table

if TYPE_CHECKING:
    from sqlmodel import Session

    from .db import Database

BALLOT_COLUMNS = ["batch", "ballot_no", "voter_group", "target_code", "choice"]
TALLY_COLUMNS = ["voter_group", "target_code", "choice", "count"]


@dataclass
class ImportedBatch:
    label: str
    voter_group: str
    ballots: int = 0
    valid: int = 0
    void: int = 0
    blank: int = 0
    batch_id: int | None = None


@dataclass
class ImportResult:
    batches: list[ImportedBatch] = field(default_factory=list)

    def message(self) -> str:
        parts = [f"{b.label}（{b.voter_group}）{b.ballots} 张" for b in self.batches]
        return f"已导入 {len(self.batches)} 个批次：" + "；".join(parts)


def _session_context(s: Session, session_id: int):
    from sqlmodel import select

    from .appraisal import ensure_session_open
    from .appraisal_info import _session_info
    from .models import BallotBatch

    ensure_session_open(s, session_id)
    info = _session_info(s, session_id)
    existing = {
        b.label: b for b in s.exec(select(BallotBatch).where(BallotBatch.session_id == session_id)).all()
    }
    return info, existing


def import_ballots(db: Database, actor: Actor, session_id: int, path: str | Path) -> ImportResult:
    """Import per-ballot marks into new batches of a session (see the module docstring)."""
    from .ballot_marks import MarkRules, normalise

    authorize(actor, "ballot.import")
    table = read_table(path, BALLOT_COLUMNS)
    f = table.file
    with db.read() as s:
        info, existing = _session_context(s, session_id)
    positions = {t.code: t.position for t in info.targets}
    options = {label: i for i, label in enumerate(info.option_labels, start=1)}
    groups = {g.code for g in info.groups}
    rules = MarkRules.from_form(info.form, len(info.targets))
    problems: list[InputProblem] = ProblemList()
    batch_group: dict[str, tuple[str, int]] = {}  # label → (group, first line)
    marks: dict[tuple[str, int], list[str]] = {}  # (label, ballot_no) → marks as a list
    seen: dict[tuple[str, int, str, str], int] = {}
    for row in table.rows:
        label, group, code, choice = (
            row.get("batch"),
            row.get("voter_group"),
            row.get("target_code"),
            row.get("choice"),
        )
        ok = True
        if not label:
            problems.append(InputProblem(f, row.line, "batch", "不能为空"))
            ok = False
        elif len(label) > 32:
            problems.append(InputProblem(f, row.line, "batch", "批次编号超过 32 个字符"))
            ok = False
        elif label in existing:
            problems.append(InputProblem(f, row.line, "batch", f"批次“{label}”在本会议中已存在"))
            ok = False
        no = parse_number(problems, table, row, "ballot_no", integer=True)
        if no is None:
            ok = False
        elif not 1 <= no <= 1_000_000:
            problems.append(InputProblem(f, row.line, "ballot_no", f"票号 {no} 应在 1 到 1000000 之间"))
            ok = False
        if group not in groups:
            problems.append(
                InputProblem(
                    f,
                    row.line,
                    "voter_group",
                    f"投票人类别“{group}”不在本会议中（可用：{'、'.join(sorted(groups))}）",
                )
            )
            ok = False
        elif label and label in batch_group and batch_group[label][0] != group:
            first_group, first_line = batch_group[label]
            problems.append(
                InputProblem(
                    f,
                    row.line,
                    "voter_group",
                    f"批次“{label}”在第 {first_line} 行为“{first_group}”，一个批次只能有一个投票人类别",
                )
            )
            ok = False
        if code not in positions:
            problems.append(InputProblem(f, row.line, "target_code", f"“{code}”不是本会议的评议对象"))
            ok = False
        if choice and choice not in options:
            problems.append(
                InputProblem(
                    f, row.line, "choice", f"“{choice}”不是选项（可用：{'、'.join(options)}，空白表示未标记）"
                )
            )
            ok = False
        if not ok:
            continue
        batch_group.setdefault(label, (group, row.line))
        key = (label, int(no), code, choice)
        if key in seen:
            problems.append(
                InputProblem(f, row.line, "choice", f"与第 {seen[key]} 行重复（同一批次、票号、对象和选项）")
            )
            continue
        seen[key] = row.line
        ballot = marks.setdefault((label, int(no)), ["0"] * rules.n_targets)
        if choice:
            pos = positions[code] - 1
            mark = str(options[choice])
            ballot[pos] = mark if ballot[pos] == "0" else "X"  # a second, different choice voids the mark
    if problems:
        raise InputErrors(problems)
    if not marks:
        raise InputErrors([InputProblem(f, None, None, "没有数据行")])
    result = ImportResult()
    by_label: dict[str, ImportedBatch] = {}
    rows_out: dict[str, list[tuple[int, str, str]]] = {}
    for (label, no), m in sorted(marks.items()):
        status, text = normalise(rules, "".join(m))
        b = by_label.get(label)
        if b is None:
            b = by_label[label] = ImportedBatch(label, batch_group[label][0])
            result.batches.append(b)
        b.ballots += 1
        setattr(b, status, getattr(b, status) + 1)
        rows_out.setdefault(label, []).append((no, status, text))
    _write_ballot_batches(db, actor, session_id, Path(path).name, result, rows_out)
    return result


def _write_ballot_batches(
    db: Database,
    actor: Actor,
    session_id: int,
    file_name: str,
    result: ImportResult,
    rows_out: dict[str, list[tuple[int, str, str]]],
) -> None:
    from sqlalchemy import insert

    from .appraisal import ballot_bounds
    from .ballots import pass_digest
    from .errors import Conflict
    from .models import BallotBatch, EntryPass, PassBallot
    from .models.base import random_id, utcnow

    with db.write() as s:
        _info, existing = _session_context(s, session_id)
        clash = [b.label for b in result.batches if b.label in existing]
        if clash:
            raise Conflict(f"批次已存在：{'、'.join(clash)}（在检查之后被他人创建），未导入任何数据。")
        # The meeting's record bounds the imported ballots, checked before anything is written.
        ballot_bounds(s, session_id, pending=[(b.voter_group, b.ballots) for b in result.batches]).check()
        for b in result.batches:
            row = BallotBatch(
                session_id=session_id,
                voter_group=b.voter_group,
                label=b.label,
                source="import",
                issued=b.ballots,
                returned=b.ballots,
            )
            s.add(row)
            s.flush()
            b.batch_id = row.id
            p = EntryPass(
                batch_id=row.id, pass_no=1, clerk=actor.username, status="closed", closed_at=utcnow()
            )
            s.add(p)
            s.flush()
            s.execute(
                insert(PassBallot),
                [
                    {"id": random_id(), "pass_id": p.id, "ballot_no": no, "status": st, "marks": mk}
                    for no, st, mk in rows_out[b.label]
                ],
            )
            audit.append(
                s,
                actor.username,
                "ballot.import",
                {
                    "file": file_name,
                    "session": session_id,
                    "batch": row.id,
                    "label": b.label,
                    "voter_group": b.voter_group,
                    "ballots": b.ballots,
                    "valid": b.valid,
                    "void": b.void,
                    "blank": b.blank,
                    "digest": pass_digest(rows_out[b.label]),
                },
            )


def import_tallies(db: Database, actor: Actor, session_id: int, path: str | Path) -> ImportResult:
    """Import counts per voter group, target and option into a session (one batch per group)."""
    from sqlalchemy import insert

    from .appraisal import ballot_bounds
    from .errors import Conflict
    from .models import BallotBatch, EntryPass, TallyCount
    from .models.base import utcnow

    authorize(actor, "tally.import")
    table = read_table(path, TALLY_COLUMNS)
    f = table.file
    with db.read() as s:
        info, existing = _session_context(s, session_id)
    positions = {t.code: t.position for t in info.targets}
    options = {label: i for i, label in enumerate(info.option_labels, start=1)}
    groups = {g.code for g in info.groups}
    problems: list[InputProblem] = ProblemList()
    counts: dict[str, dict[tuple[int, int], int]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for row in table.rows:
        group, code, choice = row.get("voter_group"), row.get("target_code"), row.get("choice")
        ok = True
        if group not in groups:
            problems.append(
                InputProblem(
                    f,
                    row.line,
                    "voter_group",
                    f"投票人类别“{group}”不在本会议中（可用：{'、'.join(sorted(groups))}）",
                )
            )
            ok = False
        if code not in positions:
            problems.append(InputProblem(f, row.line, "target_code", f"“{code}”不是本会议的评议对象"))
            ok = False
        if choice not in options:
            problems.append(
                InputProblem(f, row.line, "choice", f"“{choice}”不是选项（可用：{'、'.join(options)}）")
            )
            ok = False
        n = parse_number(problems, table, row, "count", integer=True)
        if n is None:
            ok = False
        elif n < 0:
            problems.append(InputProblem(f, row.line, "count", f"票数 {n} 不能为负"))
            ok = False
        if not ok:
            continue
        key = (group, code, choice)
        if key in seen:
            problems.append(
                InputProblem(f, row.line, "choice", f"与第 {seen[key]} 行重复（同一类别、对象和选项）")
            )
            continue
        seen[key] = row.line
        counts.setdefault(group, {})[(positions[code], options[choice])] = int(n)
    labels = {g: f"汇总-{g}" for g in counts}
    for g, label in labels.items():
        if label in existing:
            problems.append(
                InputProblem(f, None, "voter_group", f"类别“{g}”的汇总批次“{label}”已存在，不能重复导入")
            )
    if problems:
        raise InputErrors(problems)
    if not counts:
        raise InputErrors([InputProblem(f, None, None, "没有数据行")])
    result = ImportResult()
    with db.write() as s:
        _info, existing = _session_context(s, session_id)
        if any(label in existing for label in labels.values()):
            raise Conflict("汇总批次已存在（在检查之后被他人创建），未导入任何数据。")
        for g in sorted(counts):
            per_target: dict[int, int] = {}
            for (pos, _c), n in counts[g].items():
                per_target[pos] = per_target.get(pos, 0) + n
            most = max(per_target.values(), default=0)
            papers = ballot_bounds(s, session_id).tally_papers(g, most)  # issued: the meeting's record
            row = BallotBatch(
                session_id=session_id,
                voter_group=g,
                label=labels[g],
                source="tally",
                issued=papers,
                returned=most,
            )
            s.add(row)
            s.flush()
            s.add(
                EntryPass(
                    batch_id=row.id, pass_no=1, clerk=actor.username, status="closed", closed_at=utcnow()
                )
            )
            rows = [
                {"batch_id": row.id, "position": p, "choice": c, "count": n}
                for (p, c), n in sorted(counts[g].items())
                if n > 0
            ]
            if rows:
                s.execute(insert(TallyCount), rows)
            from .ballot_review import tally_digest

            audit.append(
                s,
                actor.username,
                "tally.import",
                {
                    "file": Path(path).name,
                    "session": session_id,
                    "batch": row.id,
                    "label": labels[g],
                    "voter_group": g,
                    "ballots_at_least": most,
                    "tally_digest": tally_digest([(r["position"], r["choice"], r["count"]) for r in rows]),
                },
            )
            result.batches.append(ImportedBatch(labels[g], g, most, batch_id=row.id))
    return result
