"""``assess doctor``: a server set up as README "服务器部署" says passes; each thing broken on
purpose is reported as a problem, with its fix, and the exit status is 1. Also the same findings
in the interface (command palette, admin only)."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from assess.cli import dispatch
from assess.foundation import audit
from assess.foundation.settings import local_time
from assess.integrity.anchors import append_anchor

from .conftest import make_users
from .deploy_helpers import roles_fixture  # noqa: F401  (the roles fixture)


def _doctor(capsys, *extra) -> tuple[int, dict[str, dict]]:
    capsys.readouterr()
    rc = dispatch(["doctor", "--format", "json", *extra])
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] == (rc == 0)
    return rc, {f["check"]: f for f in data["findings"]}


@pytest.fixture
def server(sqlite_db, tmp_path, monkeypatch):
    """A SQLite office as deployed: private data folder and file, a fresh backup, today's anchor."""
    for name in ("ASSESS_DB", "ASSESS_TZ", "ASSESS_BACKUP_DIR", "ASSESS_ANCHORS"):
        monkeypatch.delenv(name, raising=False)
    data = sqlite_db.path.parent
    os.chmod(data, 0o700)
    make_users(sqlite_db)
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    (backups / "assess-2026-12-01.db").write_bytes(b"x")
    anchors = tmp_path / "anchors.txt"
    head = audit.verify(sqlite_db)
    append_anchor(anchors, local_time(datetime.now(UTC)).date(), head.head_seq, head.head_hash)
    config = tmp_path / "config.toml"
    config.write_text(f'database = "{sqlite_db.path}"\nbackup_dir = "{backups}"\nanchors_file = "{anchors}"\n',
                      encoding="utf-8")
    os.chmod(config, 0o644)
    monkeypatch.setenv("ASSESS_CONFIG", str(config))
    return {"db": sqlite_db, "data": data, "backups": backups, "anchors": anchors, "config": config}


def test_a_server_set_up_as_documented_passes(server, capsys):
    rc, found = _doctor(capsys)
    assert rc == 0, found
    for check in ("配置文件", "数据库", "数据目录权限", "数据库文件权限", "时区", "最近备份", "审计链", "最近核验", "锚点"):
        assert found[check]["level"] == "ok", found[check]
    assert "审计链包含全部 1 个锚点" in found["锚点"]["message"]
    capsys.readouterr()
    assert dispatch(["doctor"]) == 0
    assert "[通过] 数据库文件权限" in capsys.readouterr().out


@pytest.mark.parametrize("breakage, check, words", [
    ("db_world_readable", "数据库文件权限", ["-rw-r--r--", "chmod 600"]),
    ("dir_open", "数据目录权限", ["对其他用户开放", "chmod 700"]),
    ("config_writable", "配置文件", ["可被他人修改", "chmod 644"]),
    ("old_backup", "最近备份", ["3.0 天前", "assess-nightly"]),
    ("no_backup", "最近备份", ["没有备份"]),
    ("backup_dir_open", "最近备份", ["对其他用户开放", "chmod 700"]),
    ("anchors_writable", "最近核验", ["可被他人修改", "chattr +a"]),
    ("old_anchor", "最近核验", ["3 天前"]),
    ("forged_anchor", "锚点", ["不符", "从锚点之前的备份恢复"]),
    ("missing_db", "数据库", ["数据库文件不存在", "assess init"]),
    ("bad_config", "配置文件", ["第 4 行，键 timezone", "改正"]),
])
def test_each_problem_is_reported_with_its_fix(server, capsys, breakage, check, words):
    db = server["db"]
    if breakage == "db_world_readable":
        os.chmod(db.path, 0o644)
    elif breakage == "dir_open":
        os.chmod(server["data"], 0o755)
    elif breakage == "config_writable":
        os.chmod(server["config"], 0o666)
    elif breakage == "old_backup":
        old = time.time() - 3 * 86400
        os.utime(server["backups"] / "assess-2026-12-01.db", (old, old))
    elif breakage == "backup_dir_open":
        os.chmod(server["backups"], 0o755)
    elif breakage == "anchors_writable":
        os.chmod(server["anchors"], 0o666)
    elif breakage == "no_backup":
        (server["backups"] / "assess-2026-12-01.db").unlink()
    elif breakage == "old_anchor":
        server["anchors"].write_text("")
        head = audit.verify(db)
        append_anchor(server["anchors"], local_time(datetime.now(UTC)).date() - timedelta(days=3), head.head_seq,
                      head.head_hash)
    elif breakage == "forged_anchor":
        append_anchor(server["anchors"], date.today(), 2, "f" * 64)
    elif breakage == "missing_db":
        server["config"].write_text(server["config"].read_text().replace(str(db.path), str(db.path) + ".gone"))
    elif breakage == "bad_config":
        server["config"].write_text(server["config"].read_text() + 'timezone = "Moon/Base"\n')
    rc, found = _doctor(capsys)
    assert rc == 1
    f = found[check]
    assert f["level"] == "error", found
    text = f["message"] + f["fix"]
    for w in words:
        assert w in text, (w, f)
    # Only the broken thing is reported as a problem.
    assert [c for c, v in found.items() if v["level"] == "error"] == [check]


def test_postgresql_roles(roles, pg_db, capsys, monkeypatch):
    monkeypatch.delenv("ASSESS_DB", raising=False)
    rc, found = _doctor(capsys, "--db", pg_db.url)  # the test server's superuser
    assert rc == 1 and found["数据库角色"]["level"] == "error" and "超级用户" in found["数据库角色"]["message"]
    assert dispatch(["init", "--db", roles["owner"], "--app-role", roles["app_role"]]) == 0
    rc, found = _doctor(capsys, "--db", roles["owner"])
    assert found["数据库角色"]["level"] == "error" and "拥有" in found["数据库角色"]["message"]
    rc, found = _doctor(capsys, "--db", roles["app"])
    assert found["数据库角色"]["level"] == "ok", found["数据库角色"]
    rc, found = _doctor(capsys, "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert rc == 1 and "无法连接" in found["数据库"]["message"]


async def test_the_interface_lists_the_same_findings_for_admins(server):
    from assess.integrity.doctor import run_checks
    from tui.doctor import DoctorScreen

    from .tui_helpers import SIZE, login, make_app, settle

    app = make_app(server["db"])
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "clerk")
        assert not any(c.title == "检查服务器设置" for c in app.get_system_commands(app.screen))
        app.action_doctor()
        await settle(pilot)
        assert not isinstance(app.screen, DoctorScreen)
    app = make_app(server["db"])
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot, "admin")
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "检查服务器设置")
        command.callback()
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, DoctorScreen)
        expected = run_checks(app.db_url)
        assert [f.check for f in app.screen.findings] == [f.check for f in expected]
        table = app.screen.query_one("#doctor-table")
        assert table.row_count == len(expected)
        await pilot.press("down")
        detail = str(app.screen.query_one("#doctor-detail").render())
        assert expected[1].check in detail
        await pilot.press("escape")
        assert not isinstance(app.screen, DoctorScreen)
