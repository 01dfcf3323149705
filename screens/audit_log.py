"""审计日志: the newest audit records and a verification of the whole chain."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from .base import AssessScreen, plain

PAGE = 500


def _recent(db, limit: int = PAGE):
    from sqlmodel import select

    from assess.models import AuditRecord

    with db.read() as s:
        return [(r.seq, r.at[:19].replace("T", " "), r.actor, r.action, r.hash[:12])
                for r in s.exec(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)).all()]


class AuditLogScreen(AssessScreen):
    AREA = "audit"
    BINDINGS = [Binding("v", "verify", "校验哈希链"), Binding("g", "refresh", "刷新")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("审计日志（最新在前，最多显示 500 条）", classes="title")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("v 校验哈希链", id="audit-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("序号", "时间（UTC）", "操作人", "操作", "哈希")
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(_recent, self.db, on_done=self._show)

    def _show(self, rows) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for seq, at, actor, action, h in rows:
            table.add_row(str(seq), at, plain(actor), plain(action), h)

    def action_verify(self) -> None:
        from assess import audit

        self.query_one("#audit-status", Static).update("正在校验…")
        self.run_core(audit.verify, self.db, on_done=lambda r: self.query_one("#audit-status", Static).update(plain(r.message())))
