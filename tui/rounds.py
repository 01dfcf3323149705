"""考核轮次: the rounds with their stage and what blocks the next one; create a round, advance it,
and open its self-check, spot-check and rectification tui."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.settings import local_today
from assess.foundation.vocabulary import Stage
from assess.results.annual import create_annual_round
from assess.results.reasons import period_text
from assess.rounds.deadlines import DEADLINE_STAGES, round_deadlines, set_deadline
from assess.rounds.lifecycle import create_round, next_stage, scheme_codes, scheme_version_id, stage_label
from assess.workflow.advance import advance, rounds_with_blockers
from tui.annual import AnnualScreen
from tui.base import AssessScreen, plain
from tui.dept_scores import DeptScoresScreen
from tui.findings import FindingsScreen
from tui.forms import ConfirmDialog, FieldSpec, FormDialog
from tui.selfcheck import ScoreEntryScreen
from tui.spotcheck import SpotCheckScreen
from tui.tables import TableFill, cell

HINT = "a 新建·y 年度·n 推进·s 自查·c 核查·p 部门评分·f 整改·v 年度结果·g 刷新"  # one line at 80 columns


def create_from_form(db, actor, values: dict[str, str]) -> int:
    """The create dialog's fields → ``create_round`` (scheme by code, lists comma separated)."""

    def items(text: str) -> list[str] | None:
        parts = [x.strip() for x in text.replace("，", ",").replace("、", ",").split(",") if x.strip()]
        return parts or None

    vid = scheme_version_id(db, values["scheme"])
    return create_round(
        db, actor, values["name"], values["period"], vid, items(values["units"]), items(values["categories"])
    )


def create_annual_from_form(db, actor, values: dict[str, str]) -> int:
    """The annual dialog's fields → ``annual.create_annual_round``."""

    def items(text: str) -> list[str] | None:
        parts = [x.strip() for x in text.replace("，", ",").replace("、", ",").split(",") if x.strip()]
        return parts or None

    vid = scheme_version_id(db, values["scheme"])
    return create_annual_round(
        db, actor, vid, values["year"], values["name"], items(values["units"]), items(values["categories"])
    )


class RoundsScreen(AssessScreen):
    AREA = "rounds"
    CSS_PATH = "rounds.tcss"
    BINDINGS = [
        Binding("a", "create", "新建"),
        Binding("n", "advance", "推进"),
        Binding("s", "selfcheck", "自查"),
        Binding("c", "spotcheck", "抽查"),
        Binding("f", "findings", "整改"),
        Binding("p", "dept_scores", "部门评分", show=False),
        Binding("l", "deadline", "期限", show=False),
        Binding("y", "annual_create", "年度考核", show=False),
        Binding("v", "annual", "年度结果", show=False),
        Binding("g", "refresh", "刷新"),
    ]
    ACTION_RIGHTS = {
        "create": "round.create",
        "advance": "round.advance",
        "deadline": "round.deadline",
        "annual_create": "annual.create",
    }

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("考核轮次", classes="title")
        yield DataTable(id="rounds-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="rounds-detail", classes="hint")
        yield Static(HINT, id="rounds-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rounds-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("轮次：新建考核轮次", "选择方案和参加单位，创建草稿轮次", self.action_create)
        yield SystemCommand("轮次：推进到下一阶段", "有待办事项时会列出并拒绝", self.action_advance)
        yield SystemCommand("轮次：自查录入", "当前轮次的自查得分录入、导入、模板", self.action_selfcheck)
        yield SystemCommand(
            "轮次：随机抽查与核查", "RFC 3797 抽取、复核、核查得分、虚报对比", self.action_spotcheck
        )
        yield SystemCommand("轮次：职能部门评分与合理缺项", "评分单位录入所负责指标的评分；合理缺项申请与审批（p）",
                            self.action_dept_scores)
        yield SystemCommand("轮次：问题与整改", "问题登记、整改通知书、进展、复查销号", self.action_findings)
        yield SystemCommand("轮次：阶段期限", "设定自查、核查、评议、审核的起止日期（l）", self.action_deadline)
        if self.may("annual_create"):
            yield SystemCommand(
                "轮次：新建年度考核", "合成本年已公示的各季度结果与年终考核（y）", self.action_annual_create
            )
        yield SystemCommand(
            "轮次：年度考核结果", "各季度、季度平均、年终、权重、年度综合得分、名次、等次及计算说明（v）", self.action_annual
        )

    # -- data ---------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.run_core(rounds_with_blockers, self.db, True, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        table = self.query_one("#rounds-table", DataTable)
        keep = table.cursor_row
        fill = TableFill(table, "编号", "轮次", "期间", "阶段", "单位", "待办")
        self.rows = {}
        for r in rows:
            self.rows[str(r.id)] = r
            waiting = (
                "；".join(r.blockers) if r.blockers else ("—" if r.stage == Stage.PUBLISHED else "可进入下一阶段")
            )
            fill.add_row(
                str(r.id),
                cell(r.name),
                cell(period_text(r.period) if r.annual else r.period),
                cell(r.stage_label),
                str(r.units),
                cell(waiting),
                key=str(r.id),
            )
        fill.done()
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        else:
            self.query_one("#rounds-detail", Static).update("还没有考核轮次：按 a 新建。")
        self._detail()

    def current(self):
        table = self.query_one("#rounds-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key)

    @on(DataTable.RowHighlighted, "#rounds-table")
    def _detail(self) -> None:
        r = self.current()
        if r is None:
            return
        nxt = next_stage(r.stage)
        text = f"#{r.id} {r.name} · 方案 {r.scheme_code} 第 {r.scheme_version} 版 · 已提交自查 {r.submitted}/{r.units}"
        if nxt:
            text += f"\n下一阶段：{stage_label(nxt)}" + (
                f"；待办：{'；'.join(r.blockers)}" if r.blockers else ""
            )
        self.query_one("#rounds-detail", Static).update(plain(text))

    # -- actions ------------------------------------------------------------------------------
    def action_create(self) -> None:
        self.run_core(scheme_codes, self.db, on_done=self._create_dialog)

    def _create_dialog(self, codes: list[str]) -> None:
        db, actor = self.db, self.actor
        fields = [
            FieldSpec("name", "轮次名称", placeholder="如 2026年第三季度政务公开考核"),
            FieldSpec("period", "考核期间", placeholder="2026（年度）、2026-Q3（季度）、2026-H1（半年）"),
            FieldSpec(
                "scheme",
                "考核方案编码",
                value=codes[0] if len(codes) == 1 else "",
                placeholder="、".join(codes) if codes else "请先在“考核方案”中载入方案",
            ),
            FieldSpec("categories", "只含这些类别（可空，逗号分隔）"),
            FieldSpec("units", "只含这些单位编码（可空，逗号分隔）"),
        ]

        def done(rid) -> None:
            if rid:
                self.show_info(f"已创建考核轮次 #{rid}")
                self.action_refresh()

        self.app.push_screen(
            FormDialog("新建考核轮次", fields, lambda v: create_from_form(db, actor, v)), done
        )

    def action_annual_create(self) -> None:
        self.run_core(scheme_codes, self.db, on_done=self._annual_dialog)

    def _annual_dialog(self, codes: list[str]) -> None:
        db, actor = self.db, self.actor
        fields = [
            FieldSpec("year", "年度", value=str(local_today().year), placeholder="如 2026"),
            FieldSpec(
                "scheme",
                "考核方案编码（须有 [annual]）",
                value=codes[0] if len(codes) == 1 else "",
                placeholder="、".join(codes) if codes else "请先在“考核方案”中载入方案",
            ),
            FieldSpec("name", "轮次名称（可空，默认“2026年度考核”）"),
            FieldSpec("categories", "只含这些类别（可空，逗号分隔）"),
            FieldSpec("units", "只含这些单位编码（可空，逗号分隔）"),
        ]

        def done(rid) -> None:
            if rid:
                self.show_info(f"已创建年度考核轮次 #{rid}（即年终考核轮次；按 v 查看各季度与年度结果）")
                self.action_refresh()

        self.app.push_screen(
            FormDialog("新建年度考核（合成各季度与年终考核）", fields, lambda v: create_annual_from_form(db, actor, v)),
            done,
        )

    def action_annual(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(AnnualScreen(r.id))

    def action_advance(self) -> None:
        r = self.current()
        if r is None:
            return
        nxt = next_stage(r.stage)
        if nxt is None:
            self.show_error(f"“{r.name}”已公示，没有下一阶段。")
            return
        if r.blockers:
            self.show_error(f"不能进入“{stage_label(nxt)}”：{'；'.join(r.blockers)}。")
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_core(
                    advance,
                    self.db,
                    self.actor,
                    r.id,
                    nxt,
                    on_done=lambda st: (self.show_info(f"已进入“{stage_label(st)}”"), self.action_refresh()),
                )

        self.app.push_screen(
            ConfirmDialog(f"把“{r.name}”从“{r.stage_label}”推进到“{stage_label(nxt)}”？"), confirmed
        )

    def action_deadline(self) -> None:
        """Set a stage window of the selected round; the dialog lists the windows set so far."""

        r = self.current()
        if r is None:
            return
        db, actor = self.db, self.actor

        def ask(rows) -> None:
            have = [d.text for d in rows] or ["（尚未设定）"]
            stages = " / ".join(f"{k} {v[0]}" for k, v in DEADLINE_STAGES.items())
            fields = [
                FieldSpec("stage", f"阶段（{stages}）", "selfcheck"),
                FieldSpec("starts_on", "开始日期（可空）", placeholder="YYYY-MM-DD"),
                FieldSpec("due_on", "截止日期（含当天）", placeholder="YYYY-MM-DD"),
            ]
            self.app.push_screen(
                FormDialog(
                    "阶段期限\n" + "\n".join(have),
                    fields,
                    lambda v: set_deadline(
                        db, actor, r.id, v["stage"].strip(), _day(v["due_on"]),
                        _day(v["starts_on"]) if v["starts_on"].strip() else None,
                    ) or True,
                ),
                lambda ok: ok and self.show_info("已设定阶段期限"),
            )

        self.run_core(round_deadlines, db, r.id, on_done=ask)

    def action_selfcheck(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(ScoreEntryScreen(r.id, "self"))

    def action_spotcheck(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(SpotCheckScreen(r.id))

    def action_dept_scores(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(DeptScoresScreen(r.id))

    def action_findings(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(FindingsScreen(r.id))


def _day(text: str):
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Conflict(f"日期“{text}”无效，应为 YYYY-MM-DD。") from None
