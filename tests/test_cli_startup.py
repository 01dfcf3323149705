"""Start-up of a command (issue 17, point 4): a command line loads only the command module it
names, the table of commands matches what the modules register, and the migration heads are read
from the assignment lines alone (checked against Alembic in ``test_foundation_db``)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

from assess.cli import COMMANDS, MODULES, _command_module, build_parser

ROOT = Path(__file__).resolve().parent.parent


def test_commands_table_matches_the_modules():
    assert list(COMMANDS) == MODULES
    for name in MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"assess.cli.{name}").register(sub)
        assert tuple(sub.choices) == COMMANDS[name], name


def test_command_module_is_found_behind_global_options():
    assert _command_module(["rank", "--round", "1"]) == "results"
    assert _command_module(["--db", "x.db", "audit", "verify"]) == "core"
    assert _command_module(["--user", "admin", "--db", "x.db", "selfcheck", "submit"]) == "rounds"
    assert _command_module(["--help"]) is None
    assert _command_module(["nosuch"]) is None
    assert _command_module([]) is None


def test_one_command_parser_parses_like_the_whole_one():
    argv = ["rank", "--round", "2026-Q3", "--format", "csv", "--db", "x.db"]
    assert vars(build_parser(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_a_command_imports_only_its_own_module(tmp_path):
    # A fresh interpreter: `rank` on a missing database fails at once, having loaded results only.
    code = (
        "import sys\n"
        "from assess.cli import main\n"
        "rc = main(['rank', '--round', '1', '--db', sys.argv[1]])\n"
        "print(sorted(m for m in sys.modules if m.startswith('assess.cli.')))\n"
        "print(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none.db")], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    mods, rc = out.stdout.strip().splitlines()
    assert rc == "1" and "数据库文件不存在" in out.stderr
    assert eval(mods) == ["assess.cli.common", "assess.cli.results"]


def test_unknown_command_still_lists_every_command(capsys):
    from assess.cli import main

    try:
        main(["nosuch"])
    except SystemExit as e:
        assert e.code == 2
    err = capsys.readouterr().err
    assert "rank" in err and "selfcheck" in err and "run" in err
