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

from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assess.appraisal.entry import pass_digest
from assess.appraisal.forms import form_for
from assess.appraisal.marks import MarkRules, normalise
from assess.appraisal.readings import tally_digest
from assess.appraisal.session_info import load_groups, load_targets
from assess.appraisal.sessions import ballot_bounds, check_session_open, read_ballot_bounds
from assess.foundation import audit, plain_sql
from assess.foundation.accounts import authorize
from assess.foundation.errors import Conflict, InputErrors, InputProblem, ProblemList
from assess.foundation.input_tables import TableStream, open_table, parse_text
from assess.foundation.roles import Actor
from assess.foundation.vocabulary import BallotStatus, BatchStatus, PassStatus

if TYPE_CHECKING:
    from collections.abc import Container, Iterable

    from assess.appraisal.session_info import GroupRow, TargetRow
    from assess.foundation.db import Database, Reader
    from assess.schemes.definition import FormDef

BALLOT_COLUMNS = ["batch", "ballot_no", "voter_group", "target_code", "choice"]
INSERT_CHUNK = 20_000
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


@dataclass
class _OpenSession:
    """What an import reads of a session: its form, its targets in ballot order, its voter groups
    (as ``session_info.read_session_info`` reads them, without the meeting's other columns)."""

    form: FormDef
    targets: list[TargetRow]
    groups: list[GroupRow]

    @property
    def option_labels(self) -> list[str]:
        return [o.label for o in self.form.options]


def _session_context(s: Reader, session_id: int) -> tuple[_OpenSession, set[str]]:
    """The session (refused unless open to new batches) and the labels of its batches."""
    round_id, kind, form_code = check_session_open(s, session_id)
    info = _OpenSession(
        form_for(s, round_id, kind, form_code), load_targets(s, session_id), load_groups(s, session_id)
    )
    return info, _batch_labels(s, session_id)


def _batch_labels(s: Reader, session_id: int) -> set[str]:
    from sqlalchemy import text

    sql = text("SELECT label FROM ballotbatch WHERE session_id = :id")  # compiles in microseconds
    return set(s.execute(sql, {"id": session_id}).scalars())


def group_keys(groups: Iterable[GroupRow]) -> dict[str, str]:
    """What a file may write in ``voter_group`` → the group's code: its code or its name
    (``ld`` or ``县领导``). A code wins over another group's identical name."""
    keys = {g.name: g.code for g in groups}
    keys.update({g.code: g.code for g in groups})
    return keys


def unknown_group(value: str | None, groups: Iterable[GroupRow]) -> str:
    """The message for a ``voter_group`` cell naming no group of the session."""
    valid = "、".join(f"{g.name}（{g.code}）" for g in groups) or "（无）"
    return f"投票人类别“{value or ''}”不在本会议中（可用名称或代码：{valid}）"


# option index (0: no mark) → its mark character, for bytes.translate
_MARK_CHARS = bytes(ord(str(i)) if i < 10 else 0 for i in range(256))


def _checked_row(
    f: str,
    line: int,
    values: list[str],
    columns: tuple[int, int, int, int, int],
    existing: Container[str],
    groups: dict[str, str],
    positions: dict[str, int],
    options: dict[str, int],
    batch_group: dict[str, tuple[str, int]],
    problems: list[InputProblem],
    good: tuple[dict, dict, dict, dict, dict],
    group_list: list[GroupRow],
) -> tuple[str, int, str, int, int] | None:
    """The checks of one ballot-file row, with every problem recorded (file, line, field); the
    row's (label, ballot_no, group code, position, option) when it passes, else None. Values that
    pass are remembered in ``good`` (cell as read → value) so later rows with the same cells skip
    this. The voter group is given by its code or its name (``groups``: ``group_keys`` of the
    session's ``group_list``)."""
    i_batch, i_no, i_group, i_code, i_choice = columns
    label, group, code, choice = (
        values[i_batch].strip(),
        values[i_group].strip(),
        values[i_code].strip(),
        values[i_choice].strip(),
    )
    ok = True
    if not label:
        problems.append(InputProblem(f, line, "batch", "不能为空"))
        ok = False
    elif len(label) > 32:
        problems.append(InputProblem(f, line, "batch", "批次编号超过 32 个字符"))
        ok = False
    elif label in existing:
        problems.append(InputProblem(f, line, "batch", f"批次“{label}”在本会议中已存在"))
        ok = False
    raw_no = values[i_no].strip()
    if raw_no.isascii() and raw_no.isdigit():
        no: int | None = int(raw_no)  # the common case; anything else gets parse_text's message
    else:
        no = cast(
            "int | None", parse_text(problems, f, line, "ballot_no", raw_no, integer=True)
        )  # integer=True: an int
    if no is None:
        ok = False
    elif not 1 <= no <= 1_000_000:
        problems.append(InputProblem(f, line, "ballot_no", f"票号 {no} 应在 1 到 1000000 之间"))
        ok = False
    if group not in groups:
        problems.append(InputProblem(f, line, "voter_group", unknown_group(group, group_list)))
        ok = False
    elif label and label in batch_group and batch_group[label][0] != groups[group]:
        first_group, first_at = batch_group[label]
        problems.append(
            InputProblem(
                f,
                line,
                "voter_group",
                f"批次“{label}”在第 {first_at} 行为“{first_group}”，一个批次只能有一个投票人类别",
            )
        )
        ok = False
    if code not in positions:
        problems.append(InputProblem(f, line, "target_code", f"“{code}”不是本会议的评议对象"))
        ok = False
    if choice and choice not in options:
        problems.append(
            InputProblem(
                f, line, "choice", f"“{choice}”不是选项（可用：{'、'.join(options)}，空白表示未标记）"
            )
        )
        ok = False
    if not ok:
        return None
    assert no is not None  # ok: the number parsed
    good_labels, good_nos, good_groups, good_positions, good_options = good
    good_labels[values[i_batch]] = label
    good_nos[values[i_no]] = no
    good_groups[values[i_group]] = groups[group]
    good_positions[values[i_code]] = positions[code]
    good_options[values[i_choice]] = options[choice] if choice else 0
    return label, no, groups[group], positions[code], options[choice] if choice else 0


def _read_marks(
    table: TableStream, info: _OpenSession, existing: Container[str], n_targets: int
) -> tuple[dict[str, tuple[str, int]], dict[str, dict[int, int]], bytearray, dict[int, dict[int, int]]]:
    """Every row of a ballot file checked (raising ``InputErrors`` with all problems): the group and
    first line of each batch label, each ballot's index (label → ballot_no → index), and per slot (ballot index × targets +
    position − 1) the option of its first row (0: no mark) and the later rows' other options.

    A CSV file without quotes is read line by line (``TableStream.plain_lines``): a line whose
    cells were all seen good before (its batch, its number, and the rest of the line as one piece)
    is taken without splitting it further; any other line is checked as a record, with every
    message."""
    f = table.file
    positions = {t.code: t.position for t in info.targets}
    options = {label: i for i, label in enumerate(info.option_labels, start=1)}
    groups = group_keys(info.groups)
    problems: list[InputProblem] = ProblemList()
    batch_group: dict[str, tuple[str, int]] = {}  # label → (group, first line)
    ballot_index: dict[str, dict[int, int]] = {}  # label → ballot_no → ballot index in the arrays below
    # per slot (ballot index × targets + position − 1): the line and option (0: empty choice) of
    # its first row; later rows of the slot with other choices: slot → {option: line}
    first_line = array("i")
    first_choice = bytearray()
    more_choices: dict[int, dict[int, int]] = {}
    empty_lines = array("i", [0]) * n_targets
    empty_choices = bytes(n_targets)
    ballots = 0
    i_batch, i_no, i_group, i_code, i_choice = (table.column(c) for c in BALLOT_COLUMNS)
    columns = (i_batch, i_no, i_group, i_code, i_choice)
    # Cells as read → their checked value, filled by ``_checked_row`` as values pass its checks:
    # a row whose cells are all known good skips the checks (most rows of a large file).
    good: tuple[dict, dict, dict, dict, dict] = ({}, {}, {}, {}, {})
    good_labels, good_nos, good_groups, good_positions, good_options = good

    def checked(line: int, values: list[str]) -> tuple[str, int, str, int, int] | None:
        """The row's (label, ballot_no, group, position, option), or None with its problems."""
        label = good_labels.get(values[i_batch])
        no = good_nos.get(values[i_no])
        group = good_groups.get(values[i_group])
        position = good_positions.get(values[i_code])
        option = good_options.get(values[i_choice])
        known = batch_group.get(label)  # type: ignore[arg-type]  # None: not known
        if (
            label is None
            or no is None
            or group is None
            or position is None
            or option is None
            or (known is not None and known[0] != group)
        ):
            return _checked_row(
                f,
                line,
                values,
                columns,
                existing,
                groups,
                positions,
                options,
                batch_group,
                problems,
                good,
                info.groups,
            )
        return label, no, group, position, option

    def ballot_of(label: str, no: int) -> int:
        nonlocal ballots
        of_label = ballot_index.get(label)
        if of_label is None:
            of_label = ballot_index[label] = {}
        ballot = of_label.get(no)
        if ballot is None:
            ballot = of_label[no] = ballots
            ballots += 1
            first_line.extend(empty_lines)
            first_choice.extend(empty_choices)
        return ballot

    def again(slot: int, line: int, option: int) -> None:
        """A later row of a slot: a duplicate (same choice as an earlier row), or another choice."""
        earlier = first_line[slot] if first_choice[slot] == option else more_choices.get(slot, {}).get(option)
        if earlier is not None:
            problems.append(
                InputProblem(f, line, "choice", f"与第 {earlier} 行重复（同一批次、票号、对象和选项）")
            )
            return
        more_choices.setdefault(slot, {})[option] = line

    def place(line: int, row: tuple[str, int, str, int, int]) -> None:
        label, no, group, position, option = row
        if label not in batch_group:
            batch_group[label] = (group, line)
        slot = ballot_of(label, no) * n_targets + position - 1
        if not first_line[slot]:
            first_line[slot] = line
            first_choice[slot] = option
        else:
            again(slot, line, option)

    blocks = table.plain_lines() if {i_batch, i_no} == {0, 1} else None
    if blocks is None:
        for line, values in table.records:
            row = checked(line, values)
            if row is not None:
                place(line, row)
    else:
        # The rest of a line after its batch and number, as read → (group, position − 1, option):
        # the three cells of a row that passed every check.
        good_tails: dict[str, tuple[str, int, int]] = {}
        tail_of = good_tails.get
        # the same per voter group: rest of the line → (position − 1, option)
        group_tails: dict[str, dict[str, tuple[int, int]]] = {}
        label_at = 0 if i_batch == 0 else 1
        # The line before, when it was taken: its batch and number with their commas ("B1,7,"),
        # the rests of lines of its group and the first slot of its ballot. A line starting with
        # the same two cells belongs to the same ballot; only the rest of it is looked up.
        prev_head, prev_base = "\n", 0  # "\n": no line starts with it
        cut = len(prev_head)
        no_tails: dict[str, tuple[int, int]] = {}
        prev_tail_of = no_tails.get
        for start, lines in blocks:
            for line, text in enumerate(lines, start):
                if text.startswith(prev_head):
                    taken = prev_tail_of(text[cut:])
                    if taken is not None:
                        offset, option = taken
                        slot = prev_base + offset  # the same ballot as the line before, checked there
                        if first_line[slot]:
                            again(slot, line, option)
                        else:
                            first_line[slot] = line
                            first_choice[slot] = option
                        continue
                try:
                    a, b, tail = text.split(",", 2)
                except ValueError:  # fewer than three values
                    a = b = tail = ""
                mark = tail_of(tail)
                if mark is not None:
                    group, offset, option = mark
                    label_raw, raw_no = (a, b) if label_at == 0 else (b, a)
                    label = good_labels.get(label_raw)
                    no: int | None
                    if raw_no.isdigit() and raw_no.isascii() and len(raw_no) <= 7:
                        no = int(raw_no)  # as ``_checked_row`` reads it (nothing to strip)
                        if not 1 <= no <= 1_000_000:
                            no = None
                    else:
                        no = good_nos.get(raw_no)
                    known = batch_group.get(label)  # type: ignore[arg-type]  # None: not known
                    if label is not None and no is not None and (known is None or known[0] == group):
                        if known is None:
                            batch_group[label] = (group, line)
                        prev_head, prev_tail_of = f"{a},{b},", group_tails[group].get
                        cut = len(prev_head)
                        prev_base = ballot_of(label, no) * n_targets
                        slot = prev_base + offset
                        if first_line[slot]:
                            again(slot, line, option)
                        else:
                            first_line[slot] = line
                            first_choice[slot] = option
                        continue
                cells = table.record(line, text)
                if cells is None:
                    continue
                row = checked(line, cells)
                if row is None:
                    continue
                if tail:  # five values: the tail holds the last three
                    good_tails[tail] = (row[2], row[3] - 1, row[4])
                    group_tails.setdefault(row[2], {})[tail] = (row[3] - 1, row[4])
                place(line, row)
    if table.problems:
        raise InputErrors(table.problems)
    if problems:
        raise InputErrors(problems)
    if not ballot_index:
        raise InputErrors([InputProblem(f, None, None, "没有数据行")])
    return batch_group, ballot_index, first_choice, more_choices


def import_ballots(db: Database, actor: Actor, session_id: int, path: str | Path) -> ImportResult:
    """Import per-ballot marks into new batches of a session (see the module docstring).

    The file is read record by record; per (ballot, target) only the line and option of its first
    row are kept (compact arrays), so a million-line file fits in a few tens of MiB."""
    authorize(actor, "ballot.import")
    table = open_table(path, BALLOT_COLUMNS)
    with db.rows() as conn:
        info, existing = _session_context(conn, session_id)
    rules = MarkRules.from_form(info.form, len(info.targets))
    n_targets = rules.n_targets
    batch_group, ballot_index, first_choice, more_choices = _read_marks(table, info, existing, n_targets)
    # The marks: each slot's option; a second, different choice voids the mark (X), as on paper.
    all_marks = bytearray(first_choice.translate(_MARK_CHARS))
    for slot, later in more_choices.items():
        chosen = {c for c in (first_choice[slot], *later) if c}
        if len(chosen) > 1:
            all_marks[slot] = ord("X")
        elif chosen:
            all_marks[slot] = ord(str(chosen.pop()))
    del first_choice, more_choices
    marks_text = all_marks.decode("ascii")
    del all_marks
    result = ImportResult()
    rows_out: dict[str, list[tuple[int, str, str]]] = {}
    judged: dict[str, tuple[str, str]] = {}  # marks → normalise(rules, marks): many ballots alike
    for label in sorted(ballot_index):
        of_label = ballot_index[label]
        rows = rows_out[label] = []
        for no in sorted(of_label):
            start = of_label[no] * n_targets
            marks = marks_text[start : start + n_targets]
            status_text = judged.get(marks)
            if status_text is None:
                if len(judged) >= 100_000:
                    judged.clear()
                status_text = judged[marks] = normalise(rules, marks)
            rows.append((no, *status_text))
        statuses = [st for _no, st, _mk in rows]
        result.batches.append(
            ImportedBatch(
                label,
                batch_group[label][0],
                len(rows),
                *(statuses.count(st) for st in (BallotStatus.VALID, BallotStatus.VOID, BallotStatus.BLANK)),
            )
        )
    del ballot_index, marks_text, judged
    _write_ballot_batches(db, actor, session_id, Path(path).name, result, rows_out)
    return result


# The pass rows of an imported batch, on the driver's connection (plain integers and strings):
# SQLAlchemy's per-row parameter processing of an executemany costs more than SQLite's insert.
_PASS_BALLOT_SQL = "INSERT INTO passballot (id, pass_id, ballot_no, status, marks) VALUES (:id, :pass_id, :ballot_no, :status, :marks)"


# The batch and its pass, as plain text statements (they compile in microseconds; the pass's time
# goes through SQLAlchemy's DateTime type, as the model stores it).
_BATCH_SQL = (
    "INSERT INTO ballotbatch (session_id, voter_group, label, source, issued, returned, status, void_reason,"
    " certified_by, certified_at) VALUES (:session_id, :voter_group, :label, :source, :issued, :returned, :status,"
    " NULL, NULL, NULL)"
)
_PASS_SQL = (
    "INSERT INTO entrypass (batch_id, pass_no, clerk, status, closed_at, valid, void, blank)"
    " VALUES (:batch_id, 1, :clerk, :status, :closed_at, :valid, :void, :blank)"
)


def _new_id(result: Any, returning: str) -> int:
    """The key of the row an insert added: its RETURNING value, else the cursor's lastrowid."""
    key = result.scalar_one() if returning else result.lastrowid
    assert isinstance(key, int)  # an insert: the new row's key
    return key


def _write_ballot_batches(
    db: Database,
    actor: Actor,
    session_id: int,
    file_name: str,
    result: ImportResult,
    rows_out: dict[str, list[tuple[int, str, str]]],
) -> None:
    from sqlalchemy import DateTime, bindparam, text

    from assess.models.base import random_ids, utcnow

    with db.write() as s:
        conn = s.connection()
        check_session_open(conn, session_id)
        existing = _batch_labels(conn, session_id)
        clash = [b.label for b in result.batches if b.label in existing]
        if clash:
            raise Conflict(f"批次已存在：{'、'.join(clash)}（在检查之后被他人创建），未导入任何数据。")
        # The meeting's record bounds the imported ballots, checked before anything is written.
        read_ballot_bounds(
            conn, session_id, pending=[(b.voter_group, b.ballots) for b in result.batches]
        ).check()
        # PostgreSQL returns the new keys; SQLite's cursor holds them (lastrowid)
        returning = " RETURNING id" if conn.dialect.name == "postgresql" else ""
        insert_batch = text(_BATCH_SQL + returning)
        insert_pass = text(_PASS_SQL + returning).bindparams(
            bindparam("closed_at", type_=DateTime(timezone=True))
        )
        for b in result.batches:
            # every column given as the model would store it
            batch_id = b.batch_id = _new_id(
                conn.execute(
                    insert_batch,
                    {
                        "session_id": session_id,
                        "voter_group": b.voter_group,
                        "label": b.label,
                        "source": "import",
                        "issued": b.ballots,
                        "returned": b.ballots,
                        "status": str(BatchStatus.OPEN),
                    },
                ),
                returning,
            )
            pass_id = _new_id(
                conn.execute(
                    insert_pass,
                    {
                        "batch_id": batch_id,
                        "clerk": actor.username,
                        "status": str(PassStatus.CLOSED),
                        "closed_at": utcnow(),
                        "valid": b.valid,
                        "void": b.void,
                        "blank": b.blank,
                    },
                ),
                returning,
            )
            rows = rows_out[b.label]
            for at in range(0, len(rows), INSERT_CHUNK):  # executemany, in chunks
                chunk = rows[at : at + INSERT_CHUNK]
                plain_sql.run_many(
                    conn,
                    _PASS_BALLOT_SQL,
                    [
                        {"id": i, "pass_id": pass_id, "ballot_no": no, "status": st, "marks": mk}
                        for i, (no, st, mk) in zip(random_ids(len(chunk)), chunk, strict=True)
                    ],
                )
            audit.append(
                s,
                actor.username,
                "ballot.import",
                {
                    "file": file_name,
                    "session": session_id,
                    "batch": batch_id,
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

    from assess.models import BallotBatch, EntryPass, TallyCount
    from assess.models.base import utcnow

    authorize(actor, "tally.import")
    table = open_table(path, TALLY_COLUMNS)  # streamed: counts per cell kept, not the rows
    f = table.file
    with db.rows() as conn:
        info, existing = _session_context(conn, session_id)
    positions = {t.code: t.position for t in info.targets}
    options = {label: i for i, label in enumerate(info.option_labels, start=1)}
    groups = group_keys(info.groups)
    problems: list[InputProblem] = ProblemList()
    counts: dict[str, dict[tuple[int, int], int]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    i_group, i_code, i_choice, i_count = (table.column(c) for c in TALLY_COLUMNS)
    for line, values in table.records:
        group, code, choice = values[i_group].strip(), values[i_code].strip(), values[i_choice].strip()
        ok = True
        if group not in groups:
            problems.append(InputProblem(f, line, "voter_group", unknown_group(group, info.groups)))
            ok = False
        else:
            group = groups[group]  # 县领导 and ld name the same group
        if code not in positions:
            problems.append(InputProblem(f, line, "target_code", f"“{code}”不是本会议的评议对象"))
            ok = False
        if choice not in options:
            problems.append(
                InputProblem(f, line, "choice", f"“{choice}”不是选项（可用：{'、'.join(options)}）")
            )
            ok = False
        n = parse_text(problems, f, line, "count", values[i_count].strip(), integer=True)
        if n is None:
            ok = False
        elif n < 0:
            problems.append(InputProblem(f, line, "count", f"票数 {n} 不能为负"))
            ok = False
        if not ok:
            continue
        key = (group, code, choice)
        if key in seen:
            problems.append(
                InputProblem(f, line, "choice", f"与第 {seen[key]} 行重复（同一类别、对象和选项）")
            )
            continue
        seen[key] = line
        counts.setdefault(group, {})[(positions[code], options[choice])] = int(n)
    if table.problems:  # a row of another width: reported alone, as for a file read whole
        raise InputErrors(table.problems)
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
            batch = BallotBatch(
                session_id=session_id,
                voter_group=g,
                label=labels[g],
                source="tally",
                issued=papers,
                returned=most,
            )
            s.add(batch)
            s.flush()
            assert batch.id is not None  # flushed: the row has its id
            s.add(
                EntryPass(
                    batch_id=batch.id,
                    pass_no=1,
                    clerk=actor.username,
                    status=PassStatus.CLOSED,
                    closed_at=utcnow(),
                )
            )
            rows = [
                {"batch_id": batch.id, "position": p, "choice": c, "count": n}
                for (p, c), n in sorted(counts[g].items())
                if n > 0
            ]
            if rows:
                s.flush()  # the pass first, as before
                s.connection().execute(insert(TallyCount), rows)  # Core executemany

            audit.append(
                s,
                actor.username,
                "tally.import",
                {
                    "file": Path(path).name,
                    "session": session_id,
                    "batch": batch.id,
                    "label": labels[g],
                    "voter_group": g,
                    "ballots_at_least": most,
                    "tally_digest": tally_digest([(r["position"], r["choice"], r["count"]) for r in rows]),
                },
            )
            result.batches.append(ImportedBatch(labels[g], g, most, batch_id=batch.id))
    return result
