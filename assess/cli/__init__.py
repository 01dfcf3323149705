"""The ``assess`` command. With no arguments it opens the TUI.

Each area registers its subcommands from its own module (``assess/cli/<area>.py``); every command
takes ``--db``, prints machine-readable output with ``--format csv|json``, exits non-zero with a
one-line error on bad input, and changes nothing when it fails.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from dataclasses import dataclass

# Subcommand modules, in the order their commands appear in --help.
MODULES = ["core", "demo", "indicators", "reports", "rounds", "annual", "ballots", "results", "publicity", "consequences", "adjustments", "scorers", "year", "deploy", "script"]


# The top-level commands each module registers (``tests/test_cli_startup.py`` checks this against
# the modules): a command line naming one of them builds only that module's parser, so a command
# does not import every area's command module before it starts.
COMMANDS = {
    "core": ("init", "roles", "user", "units", "cadres", "audit", "backup", "restore"),
    "demo": ("demo",),
    "indicators": ("indicators",),
    "reports": ("report",),
    "rounds": ("round", "selfcheck", "spotcheck", "finding", "rectification"),
    "annual": ("annual",),
    "ballots": ("appraisal", "batch", "ballots", "tally"),
    "results": ("compute", "rank", "accountability", "decide", "review", "vote", "publish", "snapshot"),
    "publicity": ("publicity",),
    "consequences": ("consequences",),
    "adjustments": ("adjust", "discipline"),
    "scorers": ("scores", "exempt"),
    "year": ("blacklist", "deadline", "pledge", "cards"),
    "deploy": ("doctor", "config"),
    "script": ("run",),
}


def _command_module(argv: list[str]) -> str | None:
    """The module of the command an argument list names (None: unknown, or none named)."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--db", "--user"):
            i += 2
            continue
        if a.startswith("-"):
            return None  # --help and the like: the whole parser
        return next((m for m, names in COMMANDS.items() if a in names), None)
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser; given the arguments, only the named command's module is loaded."""
    parser = argparse.ArgumentParser(
        prog="assess",
        description="考核评议终端。不带参数运行时打开界面。",
    )
    parser.add_argument("--db", help="数据库 URL 或 SQLite 文件路径（默认 $ASSESS_DB 或配置文件的 database）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    only = _command_module(argv) if argv is not None else None
    for name in MODULES if only is None else [only]:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    from assess.cli.common import add_user_everywhere

    add_user_everywhere(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    result = dispatch(argv)
    if isinstance(result, OpenApp):
        # The core never imports the interface: the `assess` console script (tui/launcher.py)
        # opens the app; `python -m assess` only runs commands.
        print("错误：请用 assess 命令（不带参数）打开界面；python -m assess 只运行命令。", file=sys.stderr)
        return 2
    return result


@dataclass(frozen=True)
class OpenApp:
    """The command asks for the interface to be opened on this database (None: the default)."""

    db_url: str | None


def dispatch(argv: list[str] | None = None) -> int | OpenApp:
    """Run a command; with no arguments (or only --db), ask for the interface instead."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (len(argv) == 2 and argv[0] == "--db"):
        if argv:  # an explicit --db must name an existing database: a typo must not create one
            from assess.foundation.db import sqlite_path
            from assess.foundation.settings import resolve_db_url

            path = sqlite_path(resolve_db_url(argv[1]))
            if path is not None and not path.exists():
                print(f"错误：数据库文件不存在：{path}（请检查 --db；新建数据库请运行 assess init）", file=sys.stderr)
                return 1
        return OpenApp(argv[1] if argv else None)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from assess.foundation.errors import AssessError, InputErrors

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if isinstance(getattr(args, "round", None), str):
            # --round takes an id, a unique name or a period (e.g. 2026-Q3) in every command.
            from assess.cli.common import open_db, round_id

            args.round = round_id(open_db(args), args.round)
        rc = args.func(args)
    except InputErrors as e:
        for line in e.lines():
            print(f"错误：{line}", file=sys.stderr)
        return 1
    except AssessError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断，未作更改。", file=sys.stderr)
        return 130
    except Exception as e:  # any other failure (a database error too) still gets one line in Chinese
        from assess.foundation.errors import user_message

        logging.getLogger("assess").debug("unexpected", exc_info=True)
        print(f"错误：{user_message(e)}", file=sys.stderr)
        return 1
    finally:
        # The command's database is closed here, not left to the interpreter's shutdown: the
        # command's process may skip collecting it (``assess.cli.process``).
        from assess.cli.common import close_db

        close_db(args)
    if isinstance(rc, OpenApp):
        return rc
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
