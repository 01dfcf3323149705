"""The process around one command (``assess.cli.process``, issue 17 point 4): the collector's
thresholds while a command runs, everything frozen once it has finished, the command's database
closed before that, and the interface given the default thresholds back."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from assess.cli.process import COMMAND_THRESHOLDS, DEFAULT_THRESHOLDS
from tests.fresh_helpers import ROOT, run_fresh


def test_the_console_script_and_python_m_run_as_a_command_process():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["assess"] == "tui.launcher:run"
    code = """
import gc, json, sys
from assess.cli import process
seen = {}
def command():
    seen["during"] = gc.get_threshold()
    seen["frozen_during"] = gc.get_freeze_count()
    return 3
rc = process.run_command_process(command)
print(json.dumps({**seen, "rc": rc, "after": gc.get_threshold(), "frozen_after": gc.get_freeze_count()}))
"""
    got = json.loads(run_fresh(code))
    assert got["rc"] == 3
    assert tuple(got["during"]) == COMMAND_THRESHOLDS and got["frozen_during"] == 0
    assert tuple(got["after"]) == DEFAULT_THRESHOLDS and got["frozen_after"] > 1000

    code = """
import gc, sys
from tui.launcher import run
sys.argv = ["assess", "roles"]
rc = run()
print(rc, gc.get_freeze_count() > 1000)
"""
    assert run_fresh(code).splitlines()[-1] == "0 True"
    code = """
import gc, runpy, sys
sys.argv = ["assess", "roles"]
try:
    runpy.run_module("assess", run_name="__main__")
except SystemExit as e:
    print(e.code, gc.get_freeze_count() > 1000)
"""
    assert run_fresh(code).splitlines()[-1] == "0 True"  # python -m assess


def test_a_command_closes_its_database_before_the_process_ends(demo_template, tmp_path):
    """A write through ``python -m assess`` on a WAL database: the last connection closed, SQLite
    checkpoints and removes the -wal file. Left to a frozen heap, the connection would stay open and
    the file would remain."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    wal = Path(f"{path}-wal")
    assert not wal.exists()
    from assess.demo.office import DEMO_PASSWORD

    argv = ["--round", "2026-Q4", "--unit", "DQ01", "--user", "clerk1", "--db", str(path)]
    for command in (["selfcheck", "reopen", "--reason", "复核"], ["selfcheck", "submit"]):
        out = subprocess.run([sys.executable, "-m", "assess", *command, *argv], capture_output=True, text=True,
                             cwd=ROOT, timeout=120, env={**os.environ, "ASSESS_PASSWORD": DEMO_PASSWORD})
        assert out.returncode == 0, out.stderr
        assert not wal.exists(), command
    out = subprocess.run([sys.executable, "-m", "assess", "audit", "verify", "--db", str(path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "审计链完整" in out.stdout
    assert not wal.exists()


def test_a_database_a_command_opens_itself_is_closed_too(tmp_path):
    """``assess init`` opens its database without ``open_db``; the process closes every engine it
    still holds (``dispose_open_databases``) before freezing."""
    path = tmp_path / "new.db"
    out = subprocess.run([sys.executable, "-m", "assess", "init", "--db", str(path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "数据库已就绪" in out.stdout, out.stderr
    assert path.exists() and not Path(f"{path}-wal").exists()


def test_the_interface_runs_with_the_default_thresholds(monkeypatch, tmp_path):
    import tui.app
    from tui import launcher

    seen = []
    monkeypatch.setattr(tui.app, "run_app", lambda url: seen.append((url, gc.get_threshold())) or 0)
    before = gc.get_threshold()
    gc.set_threshold(*COMMAND_THRESHOLDS)
    try:
        assert launcher.main([]) == 0
    finally:
        gc.set_threshold(*before)
    assert seen == [(None, DEFAULT_THRESHOLDS)]
