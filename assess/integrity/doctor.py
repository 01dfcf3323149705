"""``assess doctor``: checks that a server is set up as README "服务器部署" describes, and says for
each finding what is wrong and how to fix it.

Each check gives one :class:`Finding` (``ok``, ``warn`` for something optional that is not set up,
``error`` for something wrong); ``assess doctor`` exits non-zero when any finding is an error. The
same findings are listed in the interface (command palette, "检查服务器设置").
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from assess.foundation import audit
from assess.foundation.db import Database, sqlite_path
from assess.foundation.errors import AssessError
from assess.foundation.settings import (
    ConfigError,
    config_path,
    load_config,
    local_time,
    office,
    resolve_db_url,
    setting,
)
from assess.integrity.anchors import check_anchors, read_anchors
from assess.integrity.pg_roles import current_role, is_superuser, owned_tables
from assess.reports.images import ENABLE_HINT, chromium_path, cjk_fonts

if TYPE_CHECKING:
    from assess.foundation.db import Database

BACKUP_MAX_AGE_HOURS = 26  # a nightly backup, with two hours' slack
ANCHOR_MAX_AGE_DAYS = 1  # the last verified anchor is from today or yesterday (office time zone)
LEVELS = {"ok": "通过", "warn": "提示", "error": "问题"}


@dataclass(frozen=True)
class Finding:
    check: str  # short Chinese name of what was checked
    level: str  # ok | warn | error
    message: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        text = f"[{LEVELS[self.level]}] {self.check}：{self.message}"
        return text + (f"\n      处理：{self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Setup:
    """What the checks look at (from the settings; tests pass their own)."""

    db_url: str
    backup_dir: Path | None
    anchors_file: Path | None
    now: datetime


def current_setup(db_url: str | None = None) -> Setup:
    backup, anchors = setting("backup_dir"), setting("anchors_file")
    return Setup(resolve_db_url(db_url), Path(backup) if backup else None, Path(anchors) if anchors else None,
                 datetime.now(UTC))


def run_checks(db_url: str | None = None, setup: Setup | None = None) -> list[Finding]:
    """Every check, in a fixed order. A bad configuration file is itself a finding."""

    findings: list[Finding] = []
    path = config_path()
    try:
        load_config(path)
        setup = setup or current_setup(db_url)
    except ConfigError as e:
        return [Finding("配置文件", "error", str(e), f"按 README“配置”改正 {path} 后再运行 assess doctor")]
    findings.append(_config_file(path))
    db, reach = _database(setup.db_url)
    findings.append(reach)
    try:
        if db is not None:
            findings += _sqlite_files(db) if db.is_sqlite else _pg_role(db)
        findings.append(_timezone())
        findings += _charts()
        findings.append(_backup(setup))
        findings += _audit(db, setup)
    finally:
        if db is not None:
            db.dispose()
    return findings


def failed(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)


# -- the checks -------------------------------------------------------------------------------------


def _mode(st: os.stat_result) -> str:
    return stat.filemode(st.st_mode)


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def _config_file(path: Path) -> Finding:
    if not path.exists():
        return Finding("配置文件", "warn", f"没有系统配置文件 {path}，各项取环境变量或默认值",
                       "以 deploy/config.toml 为样板写 /etc/assess/config.toml（root 所有，0644）")
    st = path.stat()
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return Finding("配置文件", "error", f"{path} 可被他人修改（{_mode(st)}）", f"chown root: {path} && chmod 644 {path}")
    return Finding("配置文件", "ok", f"{path}（{_mode(st)}，所有者 {_owner(st.st_uid)}）")


def _database(url: str) -> tuple[Database | None, Finding]:
    from sqlalchemy.engine import make_url


    shown = make_url(url).render_as_string(hide_password=True)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None, Finding("数据库", "error", f"数据库文件不存在：{path}",
                             "以服务账号运行 assess init 创建数据库，或改正配置文件中的 database")
    db = Database(url)
    try:
        current = db.current_revision()
    except Exception as e:  # unreachable server, bad credentials, unreadable file
        db.dispose()
        first = str(getattr(e, "orig", e)).strip().splitlines()
        return None, Finding("数据库", "error", f"无法连接 {shown}：{first[0] if first else type(e).__name__}",
                             "检查数据库是否运行、URL 与权限（README“多人共用：PostgreSQL”）")
    head = db.head_revision()
    if current != head:
        return db, Finding("数据库", "error", f"{shown} 的结构版本为 {current or '（空库）'}，程序需要 {head}",
                           "以数据库所有者（PostgreSQL 为所有者角色）运行 assess init")
    return db, Finding("数据库", "ok", f"{shown} 可连接，结构版本 {current}")


def _sqlite_files(db: Database) -> list[Finding]:
    path = db.path
    if path is None:
        return []
    out: list[Finding] = []
    me = os.geteuid()
    d = path.parent
    st = d.stat()
    if st.st_mode & stat.S_IRWXO:
        out.append(Finding("数据目录权限", "error", f"{d} 对其他用户开放（{_mode(st)}）", f"chmod 700 {d}"))
    elif st.st_uid != me:
        out.append(Finding("数据目录权限", "error", f"{d} 属于 {_owner(st.st_uid)}，不属于运行程序的账号 {_owner(me)}",
                           f"chown -R {_owner(me)}: {d}（数据只属于服务账号，见 README“服务器部署”）"))
    else:
        out.append(Finding("数据目录权限", "ok", f"{d}（{_mode(st)}，所有者 {_owner(st.st_uid)}）"))
    bad = []
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if not f.exists():
            continue
        fst = f.stat()
        if fst.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            bad.append(f"{f.name} 为 {_mode(fst)}")
        elif fst.st_uid != me:
            bad.append(f"{f.name} 属于 {_owner(fst.st_uid)}")
    if bad:
        out.append(Finding("数据库文件权限", "error", "；".join(bad) + "：其他账号可读或可改",
                           f"chown {_owner(me)}: {path}* && chmod 600 {path}*"))
    else:
        out.append(Finding("数据库文件权限", "ok", f"{path} 仅服务账号 {_owner(me)} 可读写（0600）"))
    return out


def _pg_role(db: Database) -> list[Finding]:
    role = current_role(db)
    if is_superuser(db):
        return [Finding("数据库角色", "error", f"以超级用户 {role} 连接：可删除或停用冻结触发器",
                        "改用应用角色连接（assess init --print-roles-sql；README“多人共用：PostgreSQL”）")]
    owned = owned_tables(db)
    if owned:
        return [Finding("数据库角色", "error", f"角色 {role} 拥有 {len(owned)} 张表（如 {owned[0]}）：可删除或停用冻结触发器",
                        "配置文件中的 database 改用只能读写数据行的应用角色（assess init --print-roles-sql）")]
    return [Finding("数据库角色", "ok", f"应用角色 {role} 不拥有任何表，不能改表结构或触发器")]


def _timezone() -> Finding:
    tz = office().timezone
    try:
        ZoneInfo(tz)
    except Exception:
        return Finding("时区", "error", f"时区“{tz}”无效", "在配置文件中设 timezone = \"Asia/Shanghai\"（或安装 tzdata）")
    now = datetime.now(UTC).astimezone(ZoneInfo(tz))
    return Finding("时区", "ok", f"{tz}（现在 {now:%Y-%m-%d %H:%M}）")


def _charts() -> list[Finding]:
    out = []
    path = chromium_path()
    if path is None:
        out.append(Finding("Chromium", "warn", "未找到 Chromium：图表只能导出 HTML 和 XLSX", ENABLE_HINT))
    else:
        out.append(Finding("Chromium", "ok", path))
    fonts = cjk_fonts()
    if not fonts:
        out.append(Finding("中文字体", "warn", "没有中文字体：图片和 PDF 中的中文会显示为方框",
                           "apt-get install fonts-wqy-microhei（或 fonts-noto-cjk）"))
    else:
        out.append(Finding("中文字体", "ok", "、".join(fonts[:3])))
    return out


def _backup(setup: Setup) -> Finding:
    if setup.backup_dir is None:
        return Finding("最近备份", "warn", "配置文件没有设 backup_dir，无法检查每晚备份",
                       "设 backup_dir，并启用 deploy/ 中的 assess-nightly.timer（或 cron）")
    d = setup.backup_dir
    if not d.is_dir():
        return Finding("最近备份", "error", f"备份目录 {d} 不存在或不可读", "启用 assess-nightly.timer（见 README“服务器部署”）")
    st = d.stat()
    if st.st_mode & stat.S_IRWXO:
        return Finding("最近备份", "error", f"备份目录 {d} 对其他用户开放（{_mode(st)}）：备份是完整的数据库",
                       f"chmod 700 {d}")
    files = [f for f in d.glob("assess-*") if f.is_file()]
    if not files:
        return Finding("最近备份", "error", f"{d} 中没有备份", "运行一次 assess-nightly，并启用 assess-nightly.timer")
    newest = max(files, key=lambda f: f.stat().st_mtime)
    age_h = (setup.now.timestamp() - newest.stat().st_mtime) / 3600
    if age_h > BACKUP_MAX_AGE_HOURS:
        return Finding("最近备份", "error", f"最近的备份 {newest.name} 已是 {age_h / 24:.1f} 天前",
                       "检查每晚任务：systemctl status assess-nightly.timer；journalctl -u assess-nightly")
    return Finding("最近备份", "ok", f"{newest.name}（{age_h:.1f} 小时前）")


def _audit(db: Database | None, setup: Setup) -> list[Finding]:
    out = []
    if db is not None:
        chain = audit.verify(db)
        if chain.ok:
            out.append(Finding("审计链", "ok", chain.message()))
        else:
            out.append(Finding("审计链", "error", chain.message(), "运行 assess audit verify 查看全部不符，并从备份恢复"))
    if setup.anchors_file is None:
        out.append(Finding("最近核验", "warn", "配置文件没有设 anchors_file，无法检查每晚的审计核验",
                           "设 anchors_file，并启用 deploy/ 中的 assess-nightly.timer（或 cron）"))
        return out
    try:
        anchors = read_anchors(setup.anchors_file)
    except AssessError as e:
        out.append(Finding("最近核验", "error", str(e), "运行一次 assess-nightly，并启用 assess-nightly.timer"))
        return out
    if not anchors:
        out.append(Finding("最近核验", "error", f"{setup.anchors_file} 中还没有锚点", "运行一次 assess-nightly"))
        return out
    ast = setup.anchors_file.stat()
    if ast.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        out.append(Finding("最近核验", "error", f"锚点文件 {setup.anchors_file} 可被他人修改（{_mode(ast)}）",
                           f"chmod 640 {setup.anchors_file} && chattr +a {setup.anchors_file}"))
        return out
    last = anchors[-1]
    today = local_time(setup.now).date()
    age = (today - last.day).days
    if age > ANCHOR_MAX_AGE_DAYS:
        out.append(Finding("最近核验", "error", f"最近一次通过的核验是 {last.day}（{age} 天前）：此后每晚核验未通过或未运行",
                           "运行 assess audit verify --anchors 查看原因；journalctl -u assess-nightly"))
    else:
        out.append(Finding("最近核验", "ok", f"{last.day} 核验通过，锚点 #{last.seq} {last.head}"))
    if db is not None:
        problems = check_anchors(db, anchors)
        if problems:
            out.append(Finding("锚点", "error", f"{problems[0]}" + (f"（另有 {len(problems) - 1} 处）" if len(problems) > 1 else ""),
                               "数据库在锚点之后被截断或改写：从锚点之前的备份恢复，并保留现场"))
        else:
            out.append(Finding("锚点", "ok", f"审计链包含全部 {len(anchors)} 个锚点"))
    return out

