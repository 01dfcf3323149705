"""One appraisal session: its batches of paper ballots and what to do with them — register, key
(own blind pass), compare and resolve, certify, void, import — plus attendance and, for 勤廉双述,
the 述职述廉 summaries and 询问质询."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.appraisal.ballot_import import import_ballots, import_tallies
from assess.appraisal.entry import create_batch, list_batches, open_pass, set_batch_counts, void_batch
from assess.appraisal.pledges import session_pledges
from assess.appraisal.reconcile import certify, reconciliation
from assess.appraisal.session_info import session_info, session_plan
from assess.appraisal.sessions import (
    add_question,
    certify_session,
    group_counts,
    set_attendance,
    set_statement,
    statements,
)
from assess.foundation.errors import AssessError
from assess.foundation.vocabulary import BatchStatus, SessionStatus
from tui.appraisal_new import NewSessionScreen
from tui.ballot_entry import BallotEntryScreen
from tui.ballot_mismatches import MismatchScreen
from tui.base import AssessScreen, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog, ImportDialog, TextDialog
from tui.tables import TableFill
from tui.tally_view import TallyScreen


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise AssessError(f"{what}必须是整数。") from None


class SessionScreen(AssessScreen):
    CSS_PATH = "appraisal.tcss"
    BINDINGS = [
        Binding("a", "add_batch", "登记批次"),
        Binding("e", "enter_ballots", "录入"),
        Binding("c", "compare", "比对处理"),
        Binding("k", "certify", "核定"),
        Binding("v", "void", "作废", show=False),
        Binding("n", "attendance", "应到实到"),
        Binding("i", "import_ballots", "导入选票", show=False),
        Binding("m", "import_tallies", "导入汇总", show=False),
        Binding("t", "tally", "计票"),
        Binding("z", "certify_session", "核定会议", show=False),
        Binding("s", "statement", "述职述廉", show=False),
        Binding("q", "question", "询问质询", show=False),
        Binding("l", "statements", "查看述职述廉", show=False),
        Binding("o", "targets", "票面顺序", show=False),
        Binding("u", "counts", "更正张数", show=False),
        Binding("escape", "leave", "返回"),
    ]
    ACTION_RIGHTS = {"add_batch": "batch.create", "enter_ballots": "ballot.enter", "certify": "batch.certify",
                     "void": "batch.void", "attendance": "appraisal.session", "import_ballots": "ballot.import",
                     "import_tallies": "tally.import", "certify_session": "batch.certify",
                     "statement": "appraisal.statement", "question": "appraisal.statement",
                     "targets": "appraisal.session", "counts": "batch.create"}

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.info = None
        self.batches: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="session-info")
        yield DataTable(id="batches", cursor_type="row", zebra_stripes=True)
        yield Static("", id="session-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#batches", DataTable)
        self.refresh_all()
        table.focus()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("评议：登记批次", "登记一叠纸质选票", self.action_add_batch)
        yield SystemCommand(
            "评议：导入逐票文件", "batch,ballot_no,voter_group,target_code,choice", self.action_import_ballots
        )
        yield SystemCommand(
            "评议：导入计票汇总", "voter_group,target_code,choice,count", self.action_import_tallies
        )
        yield SystemCommand("评议：作废批次", "如收回多于发出", self.action_void)
        yield SystemCommand(
            "评议：核定评议结果（z）",
            "各批次已核定或作废、达到法定人数后核定会议",
            self.action_certify_session,
        )
        yield SystemCommand("评议：评议对象与票面顺序（o）", "尚未录票时选定对象、调整顺序", self.action_targets)
        yield SystemCommand("评议：更正发出收回张数（u）", "所选批次尚未核定时", self.action_counts)
        yield SystemCommand("评议：述职述廉摘要", "勤廉双述会议", self.action_statement)
        yield SystemCommand("评议：查看述职述廉与询问质询（l）", "勤廉双述会议已记录的内容", self.action_statements)
        yield SystemCommand("评议：询问质询", "勤廉双述会议", self.action_question)

    # -- data ---------------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        def load(db, sid):
            return session_info(db, sid), list_batches(db, sid)

        self.run_core(load, self.db, self.session_id, on_done=self._show, latest="load")

    def _show(self, result) -> None:
        info, batches = result
        self.info = info
        kind = "民主评议" if info.kind == "unit" else "勤廉双述"
        groups = "、".join(f"{g.name}{g.weight:g}" for g in info.groups)
        self.query_one("#session-info", Static).update(
            plain(
                f"{info.name} · {kind} · {info.form.name}（{info.form.code}） · 对象 {len(info.targets)} 个 · {info.round_name}\n"
                f"{'已核定评议结果' if info.status == SessionStatus.CERTIFIED else '进行中'} · {info.quorum_text()} · 类别：{groups}"
            )
        )
        table = self.query_one("#batches", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "编号", "批次", "类别", "来源", "发出/收回", "录入遍次", "状态")
        self.batches = {}
        names = {g.code: g.name for g in info.groups}
        for b in batches:
            self.batches[str(b.id)] = b
            fill.add_row(
                str(b.id),
                plain(b.label),
                plain(names.get(b.voter_group, b.voter_group)),
                b.source_label,
                f"{b.issued}/{b.returned}",
                plain(b.pass_text()),
                b.status_label,
                key=str(b.id),
            )
        fill.done()
        if batches:
            table.move_cursor(row=min(keep, len(batches) - 1))
        done = sum(1 for b in batches if b.status == BatchStatus.CERTIFIED)
        self.query_one("#session-status", Static).update(
            plain(
                f"批次 {len(batches)} 个，已核定 {done} 个 · e 录入 · c 比对处理 · k 核定 · i/m 导入 · Ctrl+P 更多"
            )
        )

    def _current(self):
        table = self.query_one("#batches", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.batches.get(key)

    def _after(self, message: str):
        def done(result) -> None:
            if result:
                self.show_info(message)
            self.refresh_all()

        return done

    # -- actions ------------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#batches")
    def _selected(self) -> None:
        if self.actor.role == "clerk":
            self.action_enter_ballots()
        else:
            self.action_compare()

    def action_leave(self) -> None:
        self.dismiss(None)

    def group_name(self, code: str) -> str:
        groups = self.info.groups if self.info is not None else []
        return next((g.name for g in groups if g.code == code), code)

    def group_code(self, text: str) -> str:
        """A voter group as the form reads it: its name (from the scheme's form) or its code."""
        text = text.strip()
        groups = self.info.groups if self.info is not None else []
        return next((g.code for g in groups if text in (g.name, g.code)), text)

    def group_counts_by_name(self, text: str) -> dict[str, int]:
        """``名称=人数`` items (a code in place of a name works too) → counts by voter-group code."""

        return {self.group_code(k): n for k, n in group_counts(text).items()}

    def action_add_batch(self) -> None:
        if self.info is None:
            return
        names = "/".join(g.name for g in self.info.groups)
        fields = [
            FieldSpec(
                "group", f"投票人类别（{names}）", self.info.groups[0].name if self.info.groups else ""
            ),
            FieldSpec("label", "批次编号", placeholder="如 票箱1"),
            FieldSpec("issued", "发出张数"),
            FieldSpec("returned", "收回张数"),
        ]
        db, actor, sid = self.db, self.actor, self.session_id
        self.app.push_screen(
            FormDialog(
                "登记选票批次",
                fields,
                lambda v: create_batch(
                    db,
                    actor,
                    sid,
                    self.group_code(v["group"]),
                    v["label"],
                    _int(v["issued"], "发出张数"),
                    _int(v["returned"], "收回张数"),
                ),
            ),
            self._after("已登记批次"),
        )

    def action_enter_ballots(self) -> None:
        row = self._current()
        if row is None:
            return

        def opened(ctx) -> None:
            self.app.push_screen(BallotEntryScreen(ctx), lambda _r: self.refresh_all())

        self.run_core(open_pass, self.db, self.actor, row.id, on_done=opened)

    def action_compare(self) -> None:
        row = self._current()
        if row is not None:
            self.app.push_screen(MismatchScreen(row.id), lambda _r: self.refresh_all())

    def action_certify(self) -> None:
        """Certify the selected batch after showing what it certifies (the reconciled counts)."""

        row = self._current()
        if row is None:
            return
        self.run_core(reconciliation, self.db, row.id, on_done=lambda rec: self._confirm_certify(row, rec))

    def _confirm_certify(self, row, rec) -> None:
        if not rec.ok:
            self.show_error(f"批次 {row.label} 不能核定：{'；'.join(rec.problems)}。")
            return
        if row.source == "tally":
            detail = f"批次 {row.label}（{self.group_name(row.voter_group)}，计票汇总）：发出 {rec.issued} 张，收回 {rec.returned} 张。"
        else:
            detail = (f"批次 {row.label}（{self.group_name(row.voter_group)}）：发出 {rec.issued} 张，收回 {rec.returned} 张，"
                      f"录入 {rec.entered} 张 = 有效 {rec.valid} + 废票 {rec.void} + 空白 {rec.blank}。")

        def certified(r) -> None:
            if row.source == "tally":
                self.show_info(f"已核定批次 {row.label}：计票汇总 {r.tally_rows} 项")
            else:
                self.show_info(
                    f"已核定批次 {row.label}：{r.ballots} 张（有效 {r.valid}，废票 {r.void}，空白 {r.blank}）"
                )
            self.refresh_all()

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(certify, self.db, self.actor, row.id, on_done=certified)

        self.app.push_screen(
            ConfirmDialog(f"核定批次 {row.label}？核定后选票与计票永久不可更改。", detail), confirmed
        )

    def action_certify_session(self) -> None:
        if self.info is None:
            return
        name = self.info.name

        def certified(_r) -> None:
            self.show_info(f"已核定评议结果：{name}")
            self.refresh_all()

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(certify_session, self.db, self.actor, self.session_id, on_done=certified)

        info = self.info
        certified_n = sum(1 for b in self.batches.values() if b.status == BatchStatus.CERTIFIED)
        voided = sum(1 for b in self.batches.values() if b.status == BatchStatus.VOID)
        detail = (f"{info.quorum_text()}\n选票批次：已核定 {certified_n} 个，作废 {voided} 个，"
                  f"共 {len(self.batches)} 个；评议对象 {len(info.targets)} 个。")
        self.app.push_screen(
            ConfirmDialog(f"核定“{name}”的评议结果？之后本会议不再接受新的选票批次。", detail), confirmed
        )

    def action_void(self) -> None:
        row = self._current()
        if row is None:
            return
        db, actor = self.db, self.actor
        self.app.push_screen(
            FormDialog(
                f"作废批次 {row.label}",
                [FieldSpec("reason", "作废理由", placeholder="如 收回多于发出")],
                lambda v: void_batch(db, actor, row.id, v["reason"]) or True,
            ),
            self._after(f"已作废批次 {row.label}"),
        )

    def action_attendance(self) -> None:
        if self.info is None:
            return
        db, actor, sid = self.db, self.actor, self.session_id
        groups = self.info.groups
        fields = [
            FieldSpec("expected", "应到人数", str(self.info.expected)),
            FieldSpec("present", "实到人数", str(self.info.present)),
            FieldSpec(
                "groups",
                "各类别应到（类别=人数，逗号分隔）",
                ",".join(f"{g.name}={g.expected}" for g in groups),
            ),
            FieldSpec(
                "groups_present",
                "各类别实到（类别=人数，逗号分隔；汇总导入的发出张数取自这里）",
                ",".join(f"{g.name}={g.present}" for g in groups),
            ),
        ]
        self.app.push_screen(
            FormDialog(
                "登记应到/实到",
                fields,
                lambda v: (
                    set_attendance(
                        db,
                        actor,
                        sid,
                        expected=_int(v["expected"], "应到人数"),
                        present=_int(v["present"], "实到人数"),
                        groups=self.group_counts_by_name(v["groups"]) or None,
                        groups_present=self.group_counts_by_name(v["groups_present"]) or None,
                    )
                    or True
                ),
            ),
            self._after("已登记出席人数"),
        )

    def action_import_ballots(self) -> None:
        db, actor, sid = self.db, self.actor, self.session_id
        dialog = ImportDialog(
            "导入逐票文件",
            "CSV/XLSX，表头 batch,ballot_no,voter_group,target_code,choice；有任何错误则全部不导入。",
            lambda p: import_ballots(db, actor, sid, p),
        )
        self.app.push_screen(dialog, lambda r: self._after(r.message() if r else "")(r))

    def action_import_tallies(self) -> None:
        db, actor, sid = self.db, self.actor, self.session_id
        dialog = ImportDialog(
            "导入计票汇总",
            "CSV/XLSX，表头 voter_group,target_code,choice,count；有任何错误则全部不导入。",
            lambda p: import_tallies(db, actor, sid, p),
        )
        self.app.push_screen(dialog, lambda r: self._after(r.message() if r else "")(r))

    def action_tally(self) -> None:
        self.app.push_screen(TallyScreen(self.session_id))

    def action_statement(self) -> None:
        if self.info is None or self.info.kind != "cadre":
            self.show_error("述职述廉只用于勤廉双述会议。")
            return
        db, actor, sid = self.db, self.actor, self.session_id
        fields = [FieldSpec("cadre", "干部编码"), FieldSpec("summary", "述职述廉摘要")]

        def ask(pledges) -> None:
            title = "述职述廉\n" + pledge_lines(pledges)
            self.app.push_screen(
                FormDialog(
                    title, fields, lambda v: set_statement(db, actor, sid, v["cadre"], v["summary"]) or True
                ),
                self._after("已记录述职述廉"),
            )

        self.run_core(session_pledges, db, sid, on_done=ask)

    def action_statements(self) -> None:
        """What was recorded of 述职述廉 and 询问质询, as ``assess appraisal statement --session`` lists it."""

        if self.info is None or self.info.kind != "cadre":
            self.show_error("述职述廉只用于勤廉双述会议。")
            return

        def show(rows) -> None:
            lines = []
            for st in rows:
                lines.append(f"{st.cadre_code} {st.cadre_name}：{st.summary or '（未记录摘要）'}")
                lines += [f"  问：{q}\n  答：{a or '（未答复）'}" for _i, q, a in st.questions]
            self.app.push_screen(TextDialog(f"述职述廉与询问质询：{self.info.name}",
                                            "\n".join(lines) or "尚未记录。"))

        self.run_core(statements, self.db, self.session_id, on_done=show)

    def action_targets(self) -> None:
        info = self.info
        if info is None:
            return
        current = [t.code for t in info.targets]

        def show(plan) -> None:
            self.app.push_screen(NewSessionScreen(plan, session_id=self.session_id, current=current),
                                 lambda n: (self.show_info(f"已设定 {n} 个评议对象"), self.refresh_all()) if n else None)

        self.run_core(session_plan, self.db, info.round_id, info.kind, info.form.code, on_done=show)

    def action_counts(self) -> None:
        row = self._current()
        if row is None:
            return
        db, actor = self.db, self.actor
        fields = [FieldSpec("issued", "发出张数", str(row.issued)), FieldSpec("returned", "收回张数", str(row.returned))]

        def submit(v: dict[str, str]) -> bool:
            set_batch_counts(db, actor, row.id, issued=_int(v["issued"], "发出张数"),
                             returned=_int(v["returned"], "收回张数"))
            return True

        self.app.push_screen(FormDialog(f"更正批次 {row.label} 的张数", fields, submit),
                             self._after(f"已更正批次 {row.label} 的张数"))

    def action_question(self) -> None:
        if self.info is None or self.info.kind != "cadre":
            self.show_error("询问质询只用于勤廉双述会议。")
            return
        db, actor, sid = self.db, self.actor, self.session_id
        fields = [
            FieldSpec("cadre", "干部编码"),
            FieldSpec("question", "问题"),
            FieldSpec("answer", "答复（可空）"),
        ]
        self.app.push_screen(
            FormDialog(
                "询问质询",
                fields,
                lambda v: add_question(db, actor, sid, v["cadre"], v["question"], v["answer"] or None),
            ),
            self._after("已记录询问质询"),
        )


def pledge_lines(pledges, width: int = 34, most: int = 6) -> str:
    """The cadres' 年初承诺 above the 述职述廉 form, one short line each."""
    lines = ["年初承诺："]
    for code, name, text in pledges[:most]:
        t = (text or "（未登记）").replace("\n", " ")
        lines.append(f"{code} {name}：{t if len(t) <= width else t[: width - 1] + '…'}")
    if len(pledges) > most:
        lines.append(f"……另有 {len(pledges) - most} 人")
    return "\n".join(lines)
