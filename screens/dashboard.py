"""总览: the open rounds, where each stands and what it waits for; a menu of every area."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from .base import AssessScreen, plain
from .nav import AREAS


class DashboardScreen(AssessScreen):
    AREA = "dashboard"
    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        *[Binding(a.letter, f"app.open_area('{a.name}')", a.title, show=False) for a in AREAS if a.name != "dashboard"],
        Binding("g", "refresh", "刷新"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dash"):
            with Vertical(id="dash-main"):
                yield Static("进行中的考核轮次", classes="title")
                yield DataTable(id="rounds", cursor_type="row", zebra_stripes=True)
                yield Static("", id="dash-counts", classes="hint")
            with Vertical(id="dash-menu"):
                yield Static("功能", classes="title")
                for a in AREAS:
                    if a.name == "dashboard":
                        continue
                    yield Static(plain(f"{a.letter} / {a.fkey.upper() or '-':>3}  {a.title}"), classes="menu-item")
                yield Static(plain("F1 帮助  Ctrl+P 命令"), classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#rounds", DataTable)
        table.add_columns("轮次", "期间", "阶段", "单位", "待办")
        self.action_refresh()

    def action_refresh(self) -> None:
        from assess.overview import overview

        self.run_core(overview, self.db, on_done=self._show)

    def _show(self, ov) -> None:
        table = self.query_one("#rounds", DataTable)
        table.clear()
        for r in ov.rounds:
            waiting = "；".join(r.waiting_for) if r.waiting_for else "可进入下一阶段"
            table.add_row(plain(r.name), plain(r.period), plain(r.stage_label), str(r.units), plain(waiting), key=str(r.id))
        if not ov.rounds:
            table.add_row(plain("（暂无进行中的轮次）"), "", "", "", "")
        self.query_one("#dash-counts", Static).update(plain(
            f"单位 {ov.active_units}（共 {ov.units}） · 干部 {ov.cadres} · 用户 {ov.users} · 考核方案 {ov.schemes}"))
