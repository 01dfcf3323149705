"""审计日志: the newest audit records and a verification of the whole chain, the certified
ballots and the published rounds (``assess.integrity.verify.verify_all``)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from assess.foundation.roles import action_label
from assess.foundation.settings import local_time, office
from assess.foundation.users import display_names
from assess.integrity.verify import verify_all
from tui.base import AssessScreen, plain
from tui.tables import TableFill

PAGE = 500


def _recent(db, limit: int = PAGE):
    """The newest records as people read them: time in the office's zone, who by display name
    (``assess.foundation.users.display_names``), what by its Chinese name."""

    from sqlmodel import select

    from assess.models import AuditRecord

    with db.read() as s:
        names = display_names(s)
        rows = []
        for r in s.exec(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)).all():
            try:
                at = local_time(datetime.fromisoformat(r.at)).strftime("%Y-%m-%d %H:%M:%S")
            except ValueError:
                at = r.at
            rows.append((r.seq, at, names.get(r.actor, r.actor), action_label(r.action), r.hash[:12]))
        return rows


class AuditLogScreen(AssessScreen):
    AREA = "audit"
    BINDINGS = [Binding("v", "verify", "校验"), Binding("g", "refresh", "刷新")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("审计日志（最新在前，最多显示 500 条）", classes="title")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("v 校验：审计哈希链、已核定选票重新计票、已公示结果重新计算", id="audit-status", classes="status")
        yield Footer()

    def on_mount(self) -> None:
        self.zone = office().timezone
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_core(_recent, self.db, on_done=self._show, latest="load")

    def _show(self, rows) -> None:
        table = TableFill(self.query_one(DataTable), "序号", f"时间（{self.zone}）", "操作人", "操作", "哈希")
        for seq, at, actor, action, h in rows:
            table.add_row(str(seq), at, plain(actor), plain(action), h)
        table.done()

    def action_verify(self) -> None:
        # The same checks as ``assess audit verify``: the chain, every certified batch recounted
        # from its ballots, every published round recomputed from its snapshot.

        self.query_one("#audit-status", Static).update("正在校验…")
        self.run_core(verify_all, self.db, on_done=lambda r: self.query_one("#audit-status", Static).update(plain(r.message())))
