"""排名结果: rankings per category with in-terminal bars and rank intervals, and the explanation
of a unit's composite ("why is it ranked here")."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.vocabulary import ANNUAL_COMPONENTS, COMPONENT_WORDS, Stage
from assess.reports import textbars
from assess.results.compute import compute_round
from assess.results.ranking import ranking
from assess.results.views import explain, round_choices
from tui.base import AssessScreen, plain
from tui.cadre_results import CadreResultsScreen
from tui.tables import TableFill, cell

HEADERS = ("名次", "单位", "综合", "等次", "得分条", "区间", "变化")
# An annual round (assess.results.annual): the annual composite and its two parts, by their names.
ANNUAL_HEADERS = ("名次", "单位", "年度综合", "等次", *(COMPONENT_WORDS[k] for k in ANNUAL_COMPONENTS), "区间", "变化")
PAGE = 1000  # rows per page: DataTable measures every cell, keep it well under ~2,000
BAR_WIDTH = 16


def bar(value: float | None, width: int = BAR_WIDTH, top: float = 100.0) -> str:
    """A horizontal bar of ``width`` cells for 0..top (the shared text bars)."""
    return textbars.bar(value, 0.0, top, width)



def pad(text: str, width: int) -> str:
    """``text`` cut (with …) or padded to exactly ``width`` terminal cells."""
    return textbars.fit(text, width)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, marked with … when cut."""
    return textbars.fit(text, width).rstrip(" ")


class RankingsScreen(AssessScreen):
    AREA = "rankings"
    CSS_PATH = "rankings.tcss"
    BINDINGS = [
        Binding("r", "next_round", "轮次"),
        Binding("c", "next_category", "类别"),
        Binding("x", "explain", "得分说明"),
        Binding("d", "cadres", "干部测评"),
        Binding("g", "compute", "计算"),
        Binding("n", "page(1)", "下页", show=False),
        Binding("p", "page(-1)", "上页", show=False),
    ]
    ACTION_RIGHTS = {"compute": "results.compute"}

    def __init__(self) -> None:
        super().__init__()
        self.rounds: list = []
        self.round_index = 0
        self.category_index = 0
        self.view = None
        self.page = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rank-title", classes="title")
        yield DataTable(id="rank-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="rank-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#rank-table", DataTable)
        table.focus()
        self.load_rounds()

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("排名：切换轮次", "下一个考核轮次（r）", self.action_next_round)
        yield SystemCommand("排名：切换类别", "下一个单位类别（c）", self.action_next_category)
        yield SystemCommand("排名：计算综合得分", "计算或重新计算本轮结果（g）", self.action_compute)
        yield SystemCommand("排名：干部测评结果", "本轮勤廉双述干部的得分、等次与说明（d）", self.action_cadres)

    # -- data ---------------------------------------------------------------------------------
    def load_rounds(self) -> None:
        self.run_core(round_choices, self.db, on_done=self._rounds_loaded)

    def _rounds_loaded(self, rounds) -> None:
        self.rounds = rounds
        with_results = [i for i, r in enumerate(rounds) if r.has_results]
        self.round_index = with_results[0] if with_results else 0
        self.refresh_view()

    @property
    def current_round(self):
        return self.rounds[self.round_index] if self.rounds else None

    def refresh_view(self) -> None:
        r = self.current_round
        if r is None:
            self.query_one("#rank-title", Static).update("排名结果：还没有考核轮次")
            return
        self.run_core(ranking, self.db, r.id, on_done=self._show, latest="load")

    def _show(self, view) -> None:
        self.view = view
        if view.categories:
            self.category_index %= len(view.categories)
        self.render_rows()

    @property
    def category(self) -> str | None:
        if self.view is None or not self.view.categories:
            return None
        return self.view.categories[self.category_index]

    def render_rows(self) -> None:
        view = self.view
        annual = view is not None and view.annual
        table = TableFill(self.query_one("#rank-table", DataTable), *(ANNUAL_HEADERS if annual else HEADERS))
        title = self.query_one("#rank-title", Static)
        status = self.query_one("#rank-status", Static)
        if view is None:
            table.done()
            return
        if not view.rows:
            table.done()
            title.update(plain(f"{view.round_name}（{view.period_label}）尚未计算 · g 计算 · r 切换轮次"))
            status.update(plain("没有结果"))
            return
        rows = view.in_category(self.category)
        pages = max(1, (len(rows) + PAGE - 1) // PAGE)
        self.page = min(self.page, pages - 1)
        shown = rows[self.page * PAGE : (self.page + 1) * PAGE]
        p = view.precision
        for r in shown:
            interval = f"{r.rank_low}–{r.rank_high}" if r.rank_low is not None else ""
            if annual:
                table.add_row(
                    str(r.rank),
                    cell(r.unit_name),
                    f"{r.composite:.{p}f}",
                    cell(r.grade),
                    *("—" if v is None else f"{v:.{p}f}" for v in (r.quarter_avg, r.year_end)),
                    interval,
                    r.change_text,
                    key=r.unit_code,
                )
                continue
            table.add_row(
                str(r.rank),
                cell(r.unit_name),
                f"{r.composite:.{p}f}",
                cell(r.grade),
                bar(r.composite),
                interval,
                r.change_text,
                key=r.unit_code,
            )
        table.done()
        compare = f" · 与{view.previous_period}比" if view.previous_period else ""
        title.update(
            plain(
                f"{view.round_name}（{view.period_label}） · {self.category}"
                f"（{self.category_index + 1}/{len(view.categories)}）{compare}"
            )
        )
        page = f" · 第 {self.page + 1}/{pages} 页（n/p）" if pages > 1 else ""
        frozen = {Stage.PUBLISHED: " · 已定稿冻结", Stage.PUBLICITY: " · 公示稿"}.get(view.stage, "")
        status.update(plain(f"{len(rows)} 个单位{page}{frozen} · Enter 得分说明 · c 类别 · r 轮次 · g 计算"))

    # -- actions ------------------------------------------------------------------------------
    def action_next_round(self) -> None:
        if self.rounds:
            self.round_index = (self.round_index + 1) % len(self.rounds)
            self.category_index = 0
            self.page = 0
            self.refresh_view()

    def action_next_category(self) -> None:
        if self.view and self.view.categories:
            self.category_index = (self.category_index + 1) % len(self.view.categories)
            self.page = 0
            self.render_rows()

    def action_page(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.render_rows()

    def action_compute(self) -> None:
        r = self.current_round
        if r is None:
            return
        self.show_info("正在计算…")

        def done(summary) -> None:
            self.show_info(summary.message())
            self.load_rounds()

        self.run_core(compute_round, self.db, self.actor, r.id, on_done=done)

    @on(DataTable.RowSelected, "#rank-table")
    def _row_selected(self) -> None:
        self.action_explain()

    def action_cadres(self) -> None:
        r = self.current_round
        if r is not None:
            self.app.push_screen(CadreResultsScreen(r.id))

    def action_explain(self) -> None:
        table = self.query_one("#rank-table", DataTable)
        if self.view is None or table.row_count == 0:
            return
        code = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.run_core(
            explain,
            self.db,
            self.view.round_id,
            code,
            on_done=lambda ex: self.app.push_screen(ExplainDialog(ex)),
        )


def explanation_text(ex) -> str:
    p = ex.precision
    composite = COMPONENT_WORDS["annual_composite" if ex.annual else "composite"]
    lines = [
        f"{ex.unit_code} {ex.unit_name}（{ex.category}）",
        f"{composite} {ex.composite:.{p}f} · 名次 {ex.rank}/{ex.category_size} · 等次 {ex.grade}",
    ]
    if ex.rank_low is not None:
        lines.append(f"名次区间（重抽样 5%–95%）：{ex.rank_low}–{ex.rank_high}")
    if ex.stale:
        lines.append(f"注意：数据在计算后有变动，按现有数据应为 {ex.recomputed:.{p}f}，请重新计算。")
    lines.append("")
    if ex.annual:  # the annual composite's parts, then the year-end composite's own
        lines.append("构成：")
        for c in ex.annual:
            if c.value is None:
                lines.append(f"  {c.label}：缺失（权重并入其余部分）")
            else:
                lines.append(f"  {c.label} {c.value:.2f} × {c.weight:.1f}% = {c.contribution:.2f}")
    lines.append(f"{COMPONENT_WORDS['year_end']}构成：" if ex.annual else "构成：")
    for c in ex.components:
        if c.value is None:
            lines.append(f"  {c.label}：缺失（权重按其余部分折算）")
        else:
            lines.append(f"  {c.label} {c.value:.2f} × {c.weight:.1f}% = {c.contribution:.2f}")
    if ex.penalty:
        lines.append(f"  虚报扣分 −{ex.penalty:g}")
    if ex.above:
        lines.append(
            f"上一名：{ex.above[0]} {ex.above[1]} {ex.above[2]} {ex.above[3]:.{p}f}"
            f"（差 {ex.above[3] - ex.composite:.{p}f}）"
        )
    if ex.below:
        lines.append(
            f"下一名：{ex.below[0]} {ex.below[1]} {ex.below[2]} {ex.below[3]:.{p}f}"
            f"（差 {ex.composite - ex.below[3]:.{p}f}）"
        )
    if ex.flags:
        lines.append("说明：" + "；".join(ex.flags))
    lines.append("")
    lines.append(f"{pad('指标', 14)}{pad('方式', 6)}满分    自查    核查    得分")
    for ln in ex.indicators:
        def f(v):
            return "—" if v is None else f"{v:g}"

        mark = " 虚报" if ln.false_report else ""
        # 合理缺项 fills the 8 cells of the points column (4 wide characters)
        shown = "合理缺项" if ln.exempt else format("" if ln.points is None else format(ln.points, ".2f"), ">8")
        if ln.scored_by:  # 职能部门评分: the department's value is the one scored
            mark += f" {ln.scored_by}评分 {f(ln.dept_value)}"
        lines.append(
            f"{pad(ln.code + ' ' + ln.name, 14)}{pad(ln.method, 6)}{ln.max:>5g}{f(ln.self_value):>8}"
            f"{f(ln.verified_value):>8}{shown}{mark}"
        )
    if any(ln.provenance for ln in ex.indicators):
        lines.append("")
        lines.append("出处：")
        lines.extend(f"  {ln.code} {ln.provenance}" for ln in ex.indicators if ln.provenance)
    return "\n".join(lines)


class ExplainDialog(ModalScreen):
    CSS_PATH = "rankings.tcss"
    BINDINGS = [Binding("escape,q", "close", "关闭")]

    def __init__(self, explanation) -> None:
        super().__init__()
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(id="explain"):
            yield Static("得分说明（Esc 关闭，↑↓ 滚动）", classes="title")
            with VerticalScroll(id="explain-body"):
                yield Static(plain(explanation_text(self.explanation)), id="explain-text")

    def on_mount(self) -> None:
        self.query_one("#explain-body", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
