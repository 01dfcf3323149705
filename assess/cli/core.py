"""Core commands: init, user, units, cadres, audit, roles, backup."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from assess.cli.common import ROUND_HELP, acting_user, add_common, emit, emit_message, open_db
from assess.cli.results import cmd_cadre_results


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="创建或升级数据库到最新结构；PostgreSQL 上以所有者角色运行并为应用角色授权")
    p.add_argument("--print-roles-sql", action="store_true",
                   help="只打印创建 PostgreSQL 所有者角色、应用角色和数据库的 SQL（由超级用户运行），不连接数据库")
    p.add_argument("--owner-role", default="assess_owner", help="所有者（迁移）角色名（用于 --print-roles-sql）")
    p.add_argument("--app-role", help="应用角色名：迁移后授予它读写数据行的权限（默认 assess_app，存在时）")
    p.add_argument("--database-name", default="assess", help="数据库名（用于 --print-roles-sql）")
    add_common(p)
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("roles", help="列出角色 × 操作权限表")
    p.add_argument("--format", choices=["table", "markdown"], default="table")
    p.set_defaults(func=cmd_roles)

    # users
    p = sub.add_parser("user", help="用户管理")
    us = p.add_subparsers(dest="user_cmd", metavar="子命令")
    q = us.add_parser("add", help="新增用户；新用户的密码从标准输入读取")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=["admin", "clerk", "inspector", "reviewer", "committee"])
    q.add_argument("--display-name")
    q.add_argument("--unit", help="所属单位编码（职能部门评分：只录入该单位负责评分的指标）；不写为考核办")
    add_common(q)
    q.set_defaults(func=cmd_user_add)
    q = us.add_parser("unit", help="设定用户所属单位（管理员）；不写单位编码则改回考核办")
    q.add_argument("name")
    q.add_argument("unit", nargs="?", default=None)
    add_common(q)
    q.set_defaults(func=cmd_user_unit)
    q = us.add_parser("list", help="列出用户")
    add_common(q)
    q.set_defaults(func=cmd_user_list)
    q = us.add_parser("deactivate", help="停用用户")
    q.add_argument("name")
    add_common(q)
    q.set_defaults(func=cmd_user_deactivate)
    q = us.add_parser("activate", help="重新启用用户，并解除连续登录失败造成的暂停")
    q.add_argument("name")
    add_common(q)
    q.set_defaults(func=cmd_user_activate)
    q = us.add_parser("passwd", help="修改自己的密码或（管理员）重设他人密码；新密码从标准输入读取")
    q.add_argument("name")
    add_common(q)
    q.set_defaults(func=cmd_user_passwd)

    # units
    p = sub.add_parser("units", help="单位管理")
    us = p.add_subparsers(dest="units_cmd", metavar="子命令")
    q = us.add_parser("import", help="从 CSV/XLSX 导入单位（code,name,category[,parent_code]）")
    q.add_argument("file")
    add_common(q)
    q.set_defaults(func=cmd_units_import)
    q = us.add_parser("list", help="列出单位")
    q.add_argument("--search", default="")
    add_common(q)
    q.set_defaults(func=cmd_units_list)
    q = us.add_parser("add", help="新增单位")
    q.add_argument("code")
    q.add_argument("name")
    q.add_argument("category")
    q.add_argument("--parent")
    add_common(q)
    q.set_defaults(func=cmd_units_add)
    q = us.add_parser("deactivate", help="停用单位（不删除）")
    q.add_argument("code")
    add_common(q)
    q.set_defaults(func=cmd_units_deactivate)

    # cadres
    p = sub.add_parser("cadres", help="干部管理")
    us = p.add_subparsers(dest="cadres_cmd", metavar="子命令")
    q = us.add_parser("import", help="从 CSV/XLSX 导入干部（code,name,unit_code,position[,risk_level]）")
    q.add_argument("file")
    add_common(q)
    q.set_defaults(func=cmd_cadres_import)
    q = us.add_parser("list", help="列出干部")
    q.add_argument("--search", default="")
    q.add_argument("--unit")
    add_common(q)
    q.set_defaults(func=cmd_cadres_list)
    q = us.add_parser("results", help="勤廉双述干部测评结果：得分、等次、说明（已公示轮次按公示内容）")
    q.add_argument("--round", required=True, help=ROUND_HELP)
    q.add_argument("--session", type=int, help="只列出一个评议会议")
    add_common(q)
    q.set_defaults(func=cmd_cadre_results)

    # audit
    p = sub.add_parser("audit", help="审计链")
    us = p.add_subparsers(dest="audit_cmd", metavar="子命令")
    q = us.add_parser("verify", help="重新计算审计哈希链、由选票重新计票、由快照重新计算已公示结果；有不符时以 1 退出并逐条指出")
    q.add_argument("--anchor", help="先前打印的链头哈希：用于发现尾部截断")
    q.add_argument("--anchors", metavar="FILE",
                   help="锚点文件（每行：日期 序号 链头哈希）：逐个核对审计链仍含各锚点（默认取配置文件的 anchors_file）")
    q.add_argument("--append-anchor", action="store_true",
                   help="全部核验通过后，把今天的链头追加到 --anchors 文件（每晚任务使用）")
    add_common(q)
    q.set_defaults(func=cmd_audit_verify)
    q = us.add_parser("log", help="列出最近的审计记录")
    q.add_argument("--limit", type=int, default=50)
    add_common(q)
    q.set_defaults(func=cmd_audit_log)

    p = sub.add_parser("backup", help="在线备份 SQLite 数据库（备份 API，非文件复制），并校验备份")
    p.add_argument("path")
    add_common(p)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="从备份恢复 SQLite 数据库：先校验备份，恢复前自动另存当前库，恢复后再校验")
    p.add_argument("path")
    add_common(p)
    p.set_defaults(func=cmd_restore)


def cmd_init(args) -> int:
    from assess.foundation.db import Database
    from assess.foundation.errors import AssessError
    from assess.foundation.settings import resolve_db_url
    from assess.integrity import pg_roles

    if args.print_roles_sql:
        sys.stdout.write(pg_roles.roles_sql(args.owner_role, args.app_role or pg_roles.DEFAULT_APP,
                                            args.database_name))
        return 0
    db = Database(resolve_db_url(args.db))
    app = None
    if not db.is_sqlite:
        app = args.app_role or pg_roles.DEFAULT_APP
        if args.app_role and not pg_roles.role_exists(db, pg_roles.check_name(app)):
            raise AssessError(f"PostgreSQL 角色 {app} 不存在：先以超级用户运行 assess init --print-roles-sql 打印的语句。")
    before = db.current_revision()
    backup = db.upgrade()
    after = db.current_revision()
    from sqlalchemy.engine import make_url

    msg = f"数据库已就绪：{make_url(db.url).render_as_string(hide_password=True)}（结构版本 {after}）"
    if before != after and before:
        msg += f"，已从 {before} 升级"
    if backup:
        msg += f"，升级前备份：{backup}"
    granted = None
    if app is not None:
        if args.app_role or pg_roles.role_exists(db, app):
            pg_roles.grant_app_role(db, app)
            granted = app
            msg += f"；已授予应用角色 {app} 读写数据行的权限（不能改表结构、不能停用或删除触发器）"
        else:
            msg += (f"；提示：应用角色 {app} 不存在，界面请勿使用所有者角色连接"
                    "（assess init --print-roles-sql 打印创建语句）")
    emit_message(args, msg, revision=after, backup=str(backup) if backup else None, app_role=granted)
    return 0


def cmd_roles(args) -> int:
    from assess.foundation.roles import ACTIONS, ROLES, roles_table_markdown

    if args.format == "markdown":
        sys.stdout.write(roles_table_markdown())
        return 0
    rows = [{"action": a, "desc": d, **{r: ("✓" if r in rs else "") for r in ROLES}} for a, (rs, d) in ACTIONS.items()]
    emit(rows, ["action", "desc", *ROLES], "table")
    return 0


def _read_new_password() -> str:
    if sys.stdin.isatty():
        import getpass

        pw = getpass.getpass("新用户密码：")
        if getpass.getpass("再输入一次：") != pw:
            from assess.foundation.errors import AssessError

            raise AssessError("两次输入的密码不一致。")
        return pw
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user_add(args) -> int:
    from assess.foundation.users import add_user, user_count

    db = open_db(args)
    actor = acting_user(args, db) if user_count(db) > 0 else None
    password = _read_new_password()
    add_user(db, actor, args.name, args.role, password, args.display_name, unit_code=args.unit)
    emit_message(args, f"已新增用户 {args.name}（{args.role}）" + (f"，所属单位 {args.unit}" if args.unit else ""),
                 username=args.name, role=args.role, unit=args.unit)
    return 0


def cmd_user_unit(args) -> int:
    from assess.foundation.users import set_unit

    db = open_db(args)
    set_unit(db, acting_user(args, db), args.name, args.unit)
    emit_message(args, f"用户 {args.name} 的所属单位：{args.unit or '考核办'}", username=args.name, unit=args.unit)
    return 0


def cmd_user_list(args) -> int:
    from assess.foundation.users import list_users

    emit(list_users(open_db(args)), ["username", "display_name", "role", "active", "unit"], args.format)
    return 0


def cmd_user_deactivate(args) -> int:
    from assess.foundation.users import set_active

    db = open_db(args)
    set_active(db, acting_user(args, db), args.name, False)
    emit_message(args, f"已停用用户 {args.name}")
    return 0


def cmd_user_activate(args) -> int:
    from assess.foundation.users import set_active

    db = open_db(args)
    set_active(db, acting_user(args, db), args.name, True)
    emit_message(args, f"已启用用户 {args.name}（连续登录失败计数已清零）")
    return 0


def cmd_user_passwd(args) -> int:
    import os

    from assess.foundation.users import change_password

    db = open_db(args)
    actor = acting_user(args, db)
    new = _read_new_password()
    change_password(db, actor, args.name, new, os.environ.get("ASSESS_PASSWORD") if args.name == actor.username else None)
    emit_message(args, f"已修改用户 {args.name} 的密码")
    return 0


def cmd_units_import(args) -> int:
    from assess.org.units import import_units

    db = open_db(args)
    n = import_units(db, acting_user(args, db), args.file)
    emit_message(args, f"已导入 {n} 个单位", count=n)
    return 0


def cmd_units_list(args) -> int:
    from assess.org.units import list_units

    rows = [asdict(u) for u in list_units(open_db(args), args.search)]
    emit(rows, ["code", "name", "category", "parent_code", "active"], args.format)
    return 0


def cmd_units_add(args) -> int:
    from assess.org.units import add_unit

    db = open_db(args)
    add_unit(db, acting_user(args, db), args.code, args.name, args.category, args.parent)
    emit_message(args, f"已新增单位 {args.code} {args.name}")
    return 0


def cmd_units_deactivate(args) -> int:
    from assess.org.units import set_unit_active

    db = open_db(args)
    set_unit_active(db, acting_user(args, db), args.code, False)
    emit_message(args, f"已停用单位 {args.code}")
    return 0


def cmd_cadres_import(args) -> int:
    from assess.org.units import import_cadres

    db = open_db(args)
    n = import_cadres(db, acting_user(args, db), args.file)
    emit_message(args, f"已导入 {n} 名干部", count=n)
    return 0


def cmd_cadres_list(args) -> int:
    from assess.org.units import list_cadres

    rows = [asdict(c) for c in list_cadres(open_db(args), args.search, args.unit)]
    emit(rows, ["code", "name", "unit_code", "unit_name", "position", "risk_level", "active"], args.format)
    return 0


def cmd_audit_verify(args) -> int:
    from pathlib import Path

    from assess.foundation.errors import MAX_LISTED
    from assess.foundation.settings import setting
    from assess.integrity.verify import verify_all

    if not args.anchors:
        # The configured anchors file (anchors_file), once the nightly job has started it.
        configured = setting("anchors_file")
        if configured and (args.append_anchor or Path(configured).exists()):
            args.anchors = configured
    if args.append_anchor and not args.anchors:
        from assess.foundation.errors import AssessError

        raise AssessError("--append-anchor 需要 --anchors 文件（或配置文件的 anchors_file）。")
    # The first night there is no anchors file yet: --append-anchor starts it.
    first_night = args.append_anchor and not Path(args.anchors).exists()
    report = verify_all(open_db(args), anchor=args.anchor, anchors_file=None if first_night else args.anchors)
    result = report.chain
    appended = None
    if args.append_anchor and report.ok:
        from datetime import UTC, datetime

        from assess.foundation.settings import local_time
        from assess.integrity.anchors import append_anchor

        today = local_time(datetime.now(UTC)).date()
        appended = append_anchor(args.anchors, today, result.head_seq, result.head_hash)
    if args.format == "table":
        lines = report.lines()
        # The summary lines, then the first problems and a count of the rest (assess/errors.py).
        shown = 2 + MAX_LISTED
        print("\n".join(lines[:shown] + ([f"另有 {len(lines) - shown} 处不符"] if len(lines) > shown else [])))
    else:
        emit([{"ok": report.ok, "count": result.count, "head_seq": result.head_seq, "head_hash": result.head_hash,
               "first_bad_seq": result.first_bad_seq, "problem": result.problem, "batches": report.batches,
               "rounds": report.rounds,
               "mismatches": report.problems if args.format == "json" else "；".join(report.problems)}],
             ["ok", "count", "head_seq", "head_hash", "first_bad_seq", "problem", "batches", "rounds", "mismatches"],
             args.format)
    if not result.ok:
        print(f"错误：{result.message()}", file=sys.stderr)
    for problem in report.problems[:MAX_LISTED]:
        print(f"错误：{problem}", file=sys.stderr)
    if appended is not None:
        print(f"已追加锚点到 {args.anchors}：{appended.text()}", file=sys.stderr if args.format != "table" else sys.stdout)
    elif args.anchors and report.ok and args.format == "table":
        print(f"锚点文件 {args.anchors} 中的锚点均在审计链中")
    if len(report.problems) > MAX_LISTED:
        print(f"错误：另有 {len(report.problems) - MAX_LISTED} 处不符", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_audit_log(args) -> int:
    from sqlmodel import col, select

    from assess.models import AuditRecord

    db = open_db(args)
    with db.read() as s:
        recs = s.exec(select(AuditRecord).order_by(col(AuditRecord.seq).desc()).limit(args.limit)).all()
    rows = [{"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "hash": r.hash[:16]} for r in recs]
    emit(rows, ["seq", "at", "actor", "action", "hash"], args.format)
    return 0


def cmd_backup(args) -> int:
    from assess.integrity.backup import backup

    db = open_db(args)
    path, head = backup(db, acting_user(args, db), args.path)
    emit_message(args, f"已备份到 {path}，备份已通过完整性与审计链校验（审计链头 {head}）", path=str(path), audit_head=head)
    return 0


def cmd_restore(args) -> int:
    from assess.integrity.backup import restore

    db = open_db(args)
    result, safety = restore(db, acting_user(args, db), args.path)
    if not result.ok:
        print(f"错误：恢复后校验失败：{result.integrity}；{result.audit_message}（原库另存于 {safety}）", file=sys.stderr)
        return 1
    emit_message(args, f"已恢复。完整性检查 ok；{result.audit_message}。恢复前的数据库另存于 {safety}",
                 safety_copy=str(safety), audit_head=result.audit_head)
    return 0
