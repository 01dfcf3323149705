"""The system-wide configuration file: every key, environment and --db overrides, and errors that
name the file, the line and the key (assess.foundation.settings)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assess.cli import dispatch
from assess.foundation.settings import (
    ConfigError,
    Settings,
    load_config,
    local_time,
    office,
    resolve_db_url,
)

ENV = ["ASSESS_DB", "ASSESS_OFFICE", "ASSESS_ISSUER", "ASSESS_TZ", "ASSESS_IDLE_MINUTES", "ASSESS_EXPORT_DIR",
       "ASSESS_BACKUP_DIR", "ASSESS_ANCHORS"]


@pytest.fixture
def conf(tmp_path, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("ASSESS_CONFIG", str(path))

    def write(text: str) -> Path:
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_every_key_is_read_from_the_file(conf, tmp_path):
    db = tmp_path / "office.db"
    conf(f'''# 办公室配置
database = "{db}"
office = "某县纪委监委"
issuer = "某县考核办"
timezone = "Asia/Urumqi"
idle_lock_minutes = 3
export_dir = "{tmp_path / 'out'}"
backup_dir = "{tmp_path / 'bak'}"
anchors_file = "{tmp_path / 'anchors.txt'}"
''')
    o = office()
    assert (o.name, o.issuer, o.timezone, o.export_dir) == ("某县纪委监委", "某县考核办", "Asia/Urumqi", tmp_path / "out")
    s = Settings.from_env()
    assert s.db_url == f"sqlite:///{db}" and s.idle_lock_minutes == 3.0
    # 2026-01-01 00:00 UTC is 06:00 in Urumqi (UTC+6)
    assert local_time(datetime(2026, 1, 1, tzinfo=UTC)).hour == 6
    assert load_config()["backup_dir"] == str(tmp_path / "bak")


def test_environment_and_db_flag_override_the_file(conf, tmp_path, monkeypatch):
    conf(f'database = "{tmp_path / "a.db"}"\nissuer = "文件落款"\nidle_lock_minutes = 3\n')
    monkeypatch.setenv("ASSESS_ISSUER", "环境落款")
    monkeypatch.setenv("ASSESS_IDLE_MINUTES", "0")
    monkeypatch.setenv("ASSESS_DB", str(tmp_path / "b.db"))
    assert office().issuer == "环境落款"
    assert Settings.from_env().idle_lock_minutes == 0.0
    assert resolve_db_url() == f"sqlite:///{tmp_path / 'b.db'}"
    assert resolve_db_url(str(tmp_path / "c.db")) == f"sqlite:///{tmp_path / 'c.db'}"


def test_zero_idle_minutes_in_the_file_turns_the_lock_off(conf):
    conf("idle_lock_minutes = 0\n")
    assert Settings.from_env().idle_lock_minutes == 0.0


def test_missing_file_means_defaults(conf):
    assert load_config() == {}
    assert office().issuer == "考核工作领导小组办公室" and office().timezone == "Asia/Shanghai"


@pytest.mark.parametrize("text, line, words", [
    ('office = "甲"\ntimezone = "Mars/Olympus"\n', 2, ["timezone", "不是有效的时区"]),
    ('office = "甲"\n\nidle_lock_minutes = "很久"\n', 3, ["idle_lock_minutes", "分钟数"]),
    ('idle_lock_minutes = -1\n', 1, ["idle_lock_minutes", "不小于 0"]),
    ('issuer = 12\n', 1, ["issuer", "应为文字"]),
    ('office = "甲"\ndatabse = "x.db"\n', 2, ["databse", "未知的键"]),
    ('office = "甲"\nissuer = "乙\n', 2, ["不是有效的 TOML"]),
])
def test_bad_file_names_file_line_and_key(conf, text, line, words):
    path = conf(text)
    with pytest.raises(ConfigError) as e:
        office() if "database" not in text else Settings.from_env()
    msg = str(e.value)
    assert f"配置文件 {path} 第 {line} 行" in msg
    for w in words:
        assert w in msg


def test_bad_environment_value_is_named(conf, monkeypatch):
    monkeypatch.setenv("ASSESS_TZ", "Nowhere/City")
    with pytest.raises(ConfigError, match="环境变量 ASSESS_TZ"):
        office()


def test_commands_read_the_file_and_report_bad_config(conf, tmp_path, capsys):
    db = tmp_path / "fromconf.db"
    conf(f'database = "{db}"\n')
    assert dispatch(["init"]) == 0
    assert db.exists() and str(db) in capsys.readouterr().out
    path = conf(f'database = "{db}"\ntimezone = 8\n')
    assert dispatch(["user", "list"]) == 1
    err = capsys.readouterr().err
    assert f"配置文件 {path} 第 2 行，键 timezone" in err and "Traceback" not in err


def test_the_app_reads_idle_lock_and_database_from_the_file(conf, tmp_path):
    from tui.app import AssessApp

    conf(f'database = "{tmp_path / "app.db"}"\nidle_lock_minutes = 7\n')
    app = AssessApp(None)
    assert app.db_url == f"sqlite:///{tmp_path / 'app.db'}" and app.idle_minutes == 7.0


def test_the_app_refuses_to_start_on_bad_config(conf, capsys):
    from tui.launcher import main

    path = conf('idle_lock_minutes = "x"\n')
    assert main([]) == 1
    err = capsys.readouterr().err
    assert f"配置文件 {path} 第 1 行，键 idle_lock_minutes" in err


def test_config_command_shows_each_value_and_its_source(conf, tmp_path, monkeypatch, capsys):
    import json

    conf(f'office = "某县纪委监委"\nbackup_dir = "{tmp_path / "bak"}"\n')
    monkeypatch.setenv("ASSESS_TZ", "Asia/Urumqi")
    assert dispatch(["config", "--format", "json"]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)["settings"]}
    assert rows["office"]["value"] == "某县纪委监委" and rows["office"]["source"].startswith("配置文件")
    assert rows["timezone"]["value"] == "Asia/Urumqi" and rows["timezone"]["source"] == "环境变量 ASSESS_TZ"
    assert rows["issuer"]["value"] == "考核工作领导小组办公室" and rows["issuer"]["source"] == "默认"
    assert rows["anchors_file"]["value"] is None
    assert dispatch(["config", "backup_dir"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'bak'}\n"
    assert dispatch(["config", "nonsense"]) == 1
    assert "未知的键 nonsense" in capsys.readouterr().err
