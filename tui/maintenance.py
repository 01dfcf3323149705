"""备份与恢复 (admin): an online backup of the SQLite database to a path, checked; a restore from a
backup after one confirmation (the current database is saved beside it first). On PostgreSQL the
screen says to use pg_dump / pg_restore. Both go through ``assess.integrity.backup``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from assess.foundation.errors import Conflict
from assess.foundation.private_files import export_path
from assess.integrity.backup import backup, restore
from tui.base import AssessScreen, error_text, plain
from tui.forms import ConfirmDialog, FieldSpec, FormDialog


def default_backup_path() -> str:
    return str(export_path(f"assess-backup-{datetime.now().strftime('%Y%m%d-%H%M')}.db"))


class MaintenanceScreen(AssessScreen):
    AREA = "backup"
    CSS_PATH = "maintenance.tcss"
    BINDINGS = [
        Binding("b", "backup", "备份"),
        Binding("o", "restore", "从备份恢复"),
    ]
    ACTION_RIGHTS = {"backup": "db.backup", "restore": "db.restore"}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("备份与恢复", classes="title")
        yield Static("", id="backup-info")
        yield Static("", id="backup-result")
        yield Footer()

    def on_mount(self) -> None:
        if self.db.is_sqlite:
            text = (f"数据库文件：{self.db.path}\n\n"
                    "b 备份：用 SQLite 在线备份（可在他人使用时进行），备份后校验完整性与审计链。\n"
                    "o 恢复：先校验备份文件；恢复前把当前数据库另存一份；恢复后再校验。"
                    "恢复会替换全部数据，请确认其他人已退出。")
        else:
            text = ("当前使用 PostgreSQL 数据库：本程序不做在线备份与恢复。\n"
                    "请由数据库管理员使用 pg_dump 备份、pg_restore 恢复（见 README）。")
        self.query_one("#backup-info", Static).update(plain(text))

    def palette_commands(self):
        from textual.app import SystemCommand

        yield SystemCommand("备份：备份数据库", "在线备份数据库并校验", self.action_backup)
        yield SystemCommand("备份：从备份恢复", "用备份文件替换当前数据库", self.action_restore)

    def _result(self, text: str) -> None:
        self.query_one("#backup-result", Static).update(plain(text))

    def action_backup(self) -> None:
        if not self.db.is_sqlite:
            self.show_error("PostgreSQL 请使用 pg_dump 备份（见 README）。")
            return
        db, actor = self.db, self.actor

        def submit(v: dict[str, str]):
            return backup(db, actor, Path(v["path"].strip()).expanduser())

        def done(result) -> None:
            if result:
                path, head = result
                self._result(f"已备份到 {path}\n备份已通过完整性与审计链校验（审计链头 {head[:16]}…）")

        fields = [FieldSpec("path", "备份文件路径（已有同名文件将被替换）", default_backup_path())]
        self.app.push_screen(FormDialog("备份数据库", fields, submit), done)

    def action_restore(self) -> None:
        if not self.db.is_sqlite:
            self.show_error("PostgreSQL 请使用 pg_restore 恢复（见 README）。")
            return
        fields = [FieldSpec("path", "备份文件路径", placeholder="如 ~/assess-exports/assess-backup-20261201-0900.db")]

        def check(v: dict[str, str]) -> str:
            path = Path(v["path"].strip()).expanduser()
            if not v["path"].strip() or not path.is_file():
                raise Conflict(f"备份文件不存在：{path}")
            return str(path)

        self.app.push_screen(FormDialog("从备份恢复", fields, check), self._confirm_restore)

    def _confirm_restore(self, path: str | None) -> None:
        if not path:
            return
        question = (f"用备份 {path} 替换当前数据库的全部数据？\n"
                    "当前数据库会先另存一份（文件名含 pre-restore）；恢复后需重新登录。")
        self.app.push_screen(ConfirmDialog(question), lambda ok: self._restore(path) if ok else None)

    def _restore(self, path: str) -> None:
        self._result("正在恢复…")
        self.run_core(restore, self.db, self.actor, path, on_done=self._restored, on_error=self._failed)

    def _failed(self, error: BaseException) -> None:
        self._result(f"未恢复：{error_text(error)}")

    def _restored(self, result) -> None:
        check, safety = result
        if not check.ok:
            self._result(f"恢复后校验失败：{check.integrity}；{check.audit_message}\n原数据库另存于 {safety}")
            return
        self._result(f"已恢复。完整性检查通过；{check.audit_message}\n恢复前的数据库另存于 {safety}")
        self.app.notify("数据库已恢复：请输入密码解锁（按恢复后的用户记录核对）。", timeout=8)
        self.app.action_lock()
