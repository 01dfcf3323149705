"""总览: the open rounds, where each stands and what it waits for; overdue rectifications; a menu
of every area."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from assess.workflow.overview import overview
from tui.base import AssessScreen, plain
from tui.nav import AREAS
from tui.tables import TableFill


class DashboardScreen(AssessScreen):
    AREA = "dashboard"
    CSS_PATH = "dashboard.tcss"
    BINDINGS = [
        *[Binding(a.letter, f"app.open_area('{a.name}')", a.title, show=False) for a in AREAS if a.name != "dashboard"],
        Binding("g", "refresh", "刷新"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summaries: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dash"):
            with Vertical(id="dash-main"):
                yield Static("进行中的考核轮次", classes="title")
                yield DataTable(id="rounds", cursor_type="row", zebra_stripes=True)
                yield Static("", id="dash-detail")
                yield Static("", id="dash-overdue")
                yield Static("", id="dash-warnings")
                yield Static("", id="dash-counts", classes="hint")
            with Vertical(id="dash-menu"):
                yield Static("功能", classes="title")
                for a in AREAS:
                    if a.name == "dashboard" or not a.open_to(self.actor):
                        continue
                    key = a.fkey.upper() or "-"
                    yield Static(plain(f"{a.letter} {key:>3} {a.title}"), classes="menu-item")
                yield Static(plain("F1 帮助 Ctrl+P 命令"), classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(overview, self.db, on_done=self._show, latest="load")

    def _show(self, ov) -> None:
        table = TableFill(self.query_one("#rounds", DataTable), "期间", "轮次", "阶段", "待办")
        self.summaries = {}
        for r in ov.rounds:
            self.summaries[str(r.id)] = r
            waiting = f"{len(r.waiting_for)} 项待办" if r.waiting_for else "可进入下一阶段"
            table.add_row(plain(r.period), plain(r.name), plain(r.stage_label), plain(waiting), key=str(r.id))
        table.done()
        if not ov.rounds:
            self.query_one("#dash-detail", Static).update("（暂无进行中的轮次：按 r 进入考核轮次创建）")
        if ov.overdue:
            lines = [f"逾期整改 {len(ov.overdue)} 项："] + [
                f"  {x.unit} {x.notice_no} 截止 {x.deadline}，逾期 {x.days} 天" for x in ov.overdue[:4]]
            if len(ov.overdue) > 4:
                lines.append(f"  ……另有 {len(ov.overdue) - 4} 项（r → 整改台账）")
            self.query_one("#dash-overdue", Static).update(plain("\n".join(lines)))
        else:
            self.query_one("#dash-overdue", Static).update(plain("逾期整改：无"))
        self.query_one("#dash-warnings", Static).update(plain("\n".join(warning_lines(ov))))
        self.query_one("#dash-counts", Static).update(plain(
            f"单位 {ov.active_units}（共 {ov.units}）· 干部 {ov.cadres} · 用户 {ov.users} · 方案 {ov.schemes}"))
        if ov.rounds:
            self._detail(str(ov.rounds[0].id))

    @on(DataTable.RowHighlighted, "#rounds")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value in self.summaries:
            self._detail(event.row_key.value)

    def _detail(self, key: str) -> None:
        r = self.summaries[key]
        lines = [f"{r.name}（{r.period}，{r.units} 个单位）· {r.stage_label}"]
        lines += [f"· {w}" for w in r.waiting_for] or ["· 没有阻碍，可进入下一阶段（r → 考核轮次）"]
        self.query_one("#dash-detail", Static).update(plain("\n".join(lines)))


def warning_lines(ov) -> list[str]:
    """Overdue stages and 红黄牌, at most a few lines each."""
    lines = [f"阶段逾期：{d.round_name} {d.label} 截止 {d.due_on.isoformat()}，逾期 {d.days_overdue} 天"
             for d in ov.late_stages[:3]]
    red = [c for c in ov.cards if c.colour == "red"]
    yellow = [c for c in ov.cards if c.colour == "yellow"]
    if red or yellow:
        lines.append(f"红牌 {len(red)} · 黄牌 {len(yellow)}：")
        lines += [f"  {c.label} {c.unit}：{c.text}" for c in (red[:2] + yellow[:3])]
    return lines
