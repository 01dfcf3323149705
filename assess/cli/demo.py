"""``assess demo``: build the demo database and open the app on it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="生成演示数据库并打开界面")
    p.add_argument("--db", help="演示数据库路径或 URL（默认：用户数据目录下的 demo.db）")
    p.add_argument("--no-tui", action="store_true", help="只生成数据库，不打开界面")
    p.add_argument("--rebuild", action="store_true", help="已存在时删除重建（仅限 SQLite 文件）")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from assess.demo.office import DEMO_PASSWORD, build_demo, demo_db_path
    from assess.foundation.db import Database, sqlite_path
    from assess.foundation.settings import resolve_db_url
    from assess.foundation.users import user_count

    url = resolve_db_url(args.db) if args.db else f"sqlite:///{demo_db_path()}"
    path = sqlite_path(url)
    if args.rebuild and path is not None:
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(path) + suffix)
            if p.exists():
                p.unlink()
    db = Database(url)
    db.upgrade(backup=False)
    if user_count(db) == 0:
        print(f"正在生成演示数据库：{url}", file=sys.stderr)
        build_demo(db, progress=lambda m: print(f"  · {m}", file=sys.stderr))
        print(f"完成。演示用户 admin / clerk1 / clerk2 / inspector / reviewer1 / reviewer2 / committee，密码 {DEMO_PASSWORD}",
              file=sys.stderr)
    else:
        print(f"演示数据库已存在：{url}（--rebuild 重建）", file=sys.stderr)
    db.dispose()
    if args.no_tui:
        return 0
    from assess.cli import OpenApp

    return OpenApp(url)
