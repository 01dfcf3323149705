"""Server commands: ``assess doctor`` (is this server set up right?) and ``assess config`` (the
settings in effect and where each comes from)."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="检查服务器设置（数据库、权限、角色、Chromium 与字体、时区、备份、审计核验），逐项给出处理办法；有问题时以 1 退出")
    p.add_argument("--db", help="数据库 URL 或 SQLite 文件路径（默认取配置）")
    p.add_argument("--format", choices=["table", "json"], default="table", help="输出格式")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("config", help="列出生效的设置及其来源（命令行、环境变量、配置文件、默认值）")
    p.add_argument("key", nargs="?", help="只打印这一个键的值（供脚本使用）")
    p.add_argument("--format", choices=["table", "json"], default="table", help="输出格式")
    p.set_defaults(func=cmd_config)


def cmd_doctor(args) -> int:
    from assess.integrity.doctor import failed, run_checks

    findings = run_checks(args.db)
    if args.format == "json":
        json.dump({"ok": not failed(findings), "findings": [f.as_dict() for f in findings]}, sys.stdout,
                  ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for f in findings:
            print(f.line())
        errors = sum(f.level == "error" for f in findings)
        print(f"共 {len(findings)} 项：{errors} 项问题，{sum(f.level == 'warn' for f in findings)} 项提示。")
    return 1 if failed(findings) else 0


def cmd_config(args) -> int:
    import os

    from assess.foundation.errors import AssessError
    from assess.foundation.settings import CONFIG_KEYS, Settings, config_path, load_config, office, setting

    path = config_path()
    from_file = load_config(path)
    o, s = office(), Settings.from_env()
    effective = {"database": s.db_url, "office": o.name, "issuer": o.issuer, "timezone": o.timezone,
                 "idle_lock_minutes": s.idle_lock_minutes, "export_dir": str(o.export_dir),
                 "backup_dir": setting("backup_dir"), "anchors_file": setting("anchors_file")}
    if args.key:
        if args.key not in CONFIG_KEYS:
            raise AssessError(f"未知的键 {args.key}（可用的键：{'、'.join(CONFIG_KEYS)}）")
        value = effective[args.key]
        print("" if value is None else value)
        return 0
    rows = []
    for key, (env, _kind, meaning) in CONFIG_KEYS.items():
        value = effective[key]
        source = (f"环境变量 {env}" if os.environ.get(env, "").strip() else
                  f"配置文件 {path}" if key in from_file else "默认")
        rows.append({"key": key, "value": value, "source": source, "meaning": meaning})
    if args.format == "json":
        json.dump({"config_file": str(path), "settings": rows}, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(f"配置文件：{path}{'' if path.exists() else '（不存在）'}")
        for r in rows:
            print(f"{r['key']} = {'' if r['value'] is None else r['value']}    # {r['meaning']}；来源：{r['source']}")
    return 0
