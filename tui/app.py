"""The Textual application: login, idle lock, navigation by F-keys, plain keys and the palette."""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.screen import Screen

from assess.foundation.db import open_database
from assess.foundation.errors import Conflict, database_error_text
from assess.foundation.roles import ROLES
from assess.foundation.settings import Settings, default_data_dir
from assess.foundation.users import change_password
from tui import base
from tui.base import action_allowed, error_text, log_location
from tui.doctor import DoctorScreen
from tui.forms import ConfirmDialog, FieldSpec, FormDialog
from tui.help import HelpScreen
from tui.lock import LockScreen
from tui.login import LoginScreen
from tui.nav import AREAS, area
from tui.palette import AssessCommands

if TYPE_CHECKING:
    from assess.foundation.db import Database
    from assess.foundation.roles import Actor

log = logging.getLogger("assess.ui")


def _palette_provider():
    return AssessCommands


class AssessApp(App):
    """考核评议终端."""

    TITLE = "考核评议"
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere keep it
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {_palette_provider}
    BINDINGS = [
        Binding("f1", "help", "帮助"),
        *[Binding(a.fkey, f"open_area('{a.name}')", a.title, show=a.name in ("dashboard", "units")) for a in AREAS if a.fkey],
        Binding("f12", "lock", "锁屏", show=False),
        Binding("ctrl+p", "command_palette", "命令", show=False, priority=True, tooltip="打开命令面板"),
        Binding("ctrl+q", "quit", "退出"),
    ]

    def __init__(self, db_url: str, *, idle_minutes: float | None = None, db: Database | None = None):
        super().__init__()

        settings = Settings.from_env(db_url)
        self.db_url = settings.db_url
        self.idle_minutes = settings.idle_lock_minutes if idle_minutes is None else idle_minutes
        self._db = db
        self.actor: Actor | None = None
        # In production an unexpected error is logged and the app closes with one clear line
        # instead of a traceback; tests leave this off so that errors fail them.
        self.friendly_errors = False
        self.last_activity = time.monotonic()
        self.locked = False

    # -- database (opened in a worker by the login screen) -------------------------------------
    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.db_url)
        return self._db

    def on_mount(self) -> None:
        self.push_screen(LoginScreen())
        self.set_interval(5, self._check_idle)

    # -- errors ---------------------------------------------------------------------------------
    # Every action (key, palette, button bound to an action) and every dialog callback runs through
    # the two public hooks below, so an unexpected error there is logged with its traceback, shown as
    # one Chinese line naming the log file, and the app stays open. Tests leave ``friendly_errors``
    # off so that such errors fail them.
    def report_unexpected(self, error: BaseException) -> None:
        self.notify(escape(error_text(error)), title="错误", severity="error", timeout=10)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            if not self.friendly_errors:
                raise
            self.report_unexpected(error)
            return True

    def push_screen(self, screen, callback=None, wait_for_dismiss=False):
        if callback is not None and self.friendly_errors:
            callback = self._guarded(callback)
        return super().push_screen(screen, callback, wait_for_dismiss)

    def _guarded(self, callback):
        takes_result = bool(inspect.signature(callback).parameters)

        async def guarded(result=None):
            try:
                value = callback(result) if takes_result else callback()
                if inspect.isawaitable(value):
                    await value
            except Exception as error:
                self.report_unexpected(error)

        return guarded

    def _handle_exception(self, error: Exception) -> None:
        # Last resort, for an error outside actions and dialog callbacks (in a message handler):
        # Textual stops the failing widget's message loop before calling this (no public hook
        # exists), so the app cannot safely go on; it closes with one clear line, the traceback
        # in the log.
        if not self.friendly_errors:
            super()._handle_exception(error)
            return

        log.error("unexpected error in the interface", exc_info=error)
        what = database_error_text(error) or type(error).__name__  # one line, never SQL
        self.exit(return_code=1, message=(
            f"程序遇到内部错误（{what}）已关闭；已保存的数据不受影响。"
            f"详情已写入日志：{log_location()}"))

    # -- idle lock -----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.actor is None or self.locked or self.idle_minutes <= 0:
            return
        if time.monotonic() - self.last_activity >= self.idle_minutes * 60:
            self.action_lock(idle=True)

    def action_lock(self, idle: bool = False) -> None:
        if self.actor is None or self.locked:
            return

        self.locked = True
        self.push_screen(LockScreen(self.idle_minutes if idle else None))

    # -- navigation ----------------------------------------------------------------------------
    def logged_in(self, actor: Actor) -> None:
        self.actor = actor
        self.sub_title = f"{actor.label}（{_role_name(actor.role)}）"
        self.last_activity = time.monotonic()
        self.action_open_area("dashboard")

    def action_open_area(self, name: str) -> None:
        if self.actor is None or self.locked:
            return
        target = area(name)
        if getattr(self.screen, "AREA", None) == name or not target.open_to(self.actor):
            return
        screen_cls = target.load()
        self._leave_unsaved_then(lambda: self._replace_area(screen_cls))

    def _leave_unsaved_then(self, proceed) -> None:
        """Run ``proceed`` now, or after the user agrees to leave the unsaved work a screen holds
        (marks keyed on a ballot, a scheme draft): every way out (F-key, letter, palette, Ctrl+Q)
        asks the same question first."""
        for screen in self.screen_stack[1:]:
            question = getattr(screen, "unsaved_question", lambda: None)()
            if question:
                self.push_screen(ConfirmDialog(question), lambda ok: proceed() if ok else None)
                return
        proceed()

    async def action_quit(self) -> None:
        self._leave_unsaved_then(self.exit)

    def _replace_area(self, screen_cls) -> None:
        # Leave the current area screen (and any dialog above it) before opening the next one.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen_cls())

    def action_help(self) -> None:
        if self.actor is None or self.locked:
            return

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_doctor(self) -> None:
        if self.actor is None or self.locked or self.actor.role != "admin":
            return

        if not isinstance(self.screen, DoctorScreen):
            self.push_screen(DoctorScreen())

    def action_change_password(self) -> None:
        if self.actor is None or self.locked:
            return

        db, actor = self.db, self.actor

        def submit(v: dict[str, str]) -> bool:
            if v["new"] != v["again"]:
                raise Conflict("两次输入的新密码不一致。")
            change_password(db, actor, actor.username, v["new"], v["old"])
            return True

        fields = [FieldSpec("old", "原密码", password=True), FieldSpec("new", "新密码（至少 8 个字符）", password=True),
                  FieldSpec("again", "再输入一次新密码", password=True)]
        self.push_screen(FormDialog("修改密码", fields, submit),
                         lambda ok: self.notify("密码已修改") if ok else None)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.actor is None or self.locked or CommandPalette.is_open(self):
            return
        self.push_screen(CommandPalette(placeholder="搜索功能：名称、说明或拼音首字母…", id="--command-palette"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own entries (Keys, Theme, Screenshot, Maximize…) are English and partly broken
        # over SSH: the palette lists the application's commands only.
        if self.actor is None or self.locked:
            return
        for a in AREAS:
            if not a.open_to(self.actor):
                continue
            keys = f"{a.fkey.upper()} / " if a.fkey else ""
            yield SystemCommand(f"打开：{a.title}", f"{a.help}（{keys}总览中按 {a.letter}）", lambda n=a.name: self.action_open_area(n))
        yield SystemCommand("帮助：按键一览", "列出所有按键（F1）", self.action_help)
        yield SystemCommand("锁屏", "离开座位时锁定界面（F12）", self.action_lock)
        yield SystemCommand("修改密码", "修改当前用户的登录密码", self.action_change_password)
        if self.actor.role == "admin":
            yield SystemCommand("检查服务器设置", "数据库、权限、备份、审计核验等（同 assess doctor）", self.action_doctor)
        yield SystemCommand("退出", "退出程序（Ctrl+Q；有未保存的内容时先询问）", self.action_quit)
        extra = getattr(screen, "palette_commands", None)
        if callable(extra):
            may = getattr(screen, "may", lambda _name: True)
            for command in extra():
                # An entry that runs ``action_x`` is offered only if the role may perform x.
                name = getattr(command.callback, "__name__", "")
                if not name.startswith("action_") or may(name.removeprefix("action_")):
                    yield command

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_area" and parameters and self.actor is not None:
            try:
                return area(str(parameters[0])).open_to(self.actor)
            except KeyError:
                return True
        return True

    def palette_catalogue(self, screen: Screen) -> Iterable[SystemCommand]:
        """Everything the palette offers: the system commands above, then every key each area's
        screen declares (opening that area and running it there), without repeating a title."""
        seen: set[str] = set()
        for command in self.get_system_commands(screen):
            if command.title not in seen:
                seen.add(command.title)
                yield command
        if self.actor is None or self.locked:
            return

        for a in AREAS:
            if not a.open_to(self.actor):
                continue
            screen_cls = a.load()
            rights = getattr(screen_cls, "ACTION_RIGHTS", {})
            for binding in getattr(screen_cls, "BINDINGS", []):
                if not isinstance(binding, Binding) or not binding.description or binding.key == "escape":
                    continue
                if not action_allowed(self.actor, rights, binding.action):
                    continue  # the role may not do it: not offered (see AssessScreen.ACTION_RIGHTS)
                title = f"{a.title}：{binding.description}"
                if title in seen:
                    continue
                seen.add(title)
                key = binding.key_display or binding.key.split(",")[0]
                yield SystemCommand(title, f"在“{a.title}”中按 {key}", lambda n=a.name, act=binding.action: self.open_area_and_run(n, act), discover=False)

    def open_area_and_run(self, name: str, action: str) -> None:
        """Open an area (asking first if unsaved work would be lost) and run one of its actions."""
        if self.actor is None or self.locked:
            return
        if getattr(self.screen, "AREA", None) == name:
            self.call_later(self.run_action, action, self.screen)
            return
        screen_cls = area(name).load()

        def go() -> None:
            self._replace_area(screen_cls)
            self.call_after_refresh(lambda: self.call_later(self.run_action, action, self.screen))

        self._leave_unsaved_then(go)


def _role_name(role: str) -> str:
    return ROLES.get(role, role)


def _setup_logging() -> Path:
    log_dir = default_data_dir()
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = log_dir / "assess.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("assess")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def run_app(db_url: str | None = None) -> int:
    base.LOG_PATH = _setup_logging()
    app = AssessApp(db_url)
    app.friendly_errors = True
    app.run()
    return app.return_code or 0
