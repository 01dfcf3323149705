"""The SSH deployment (deploy/sshd_config.d/assess.conf, deploy/assess-ssh): a real sshd on
127.0.0.1 with the deployment's Match block, a key login that shows the app's login screen at 80×24
and signs in inside the app, and no remote command, shell, port forwarding, sftp or scp.

Runs as root (sshd must). Skips with a reason when sshd or root is missing, except in CI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assess.foundation.db import Database
from assess.foundation.users import add_user

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)


def _missing() -> str | None:
    if SSHD is None:
        return "没有安装 openssh-server（apt-get install openssh-server）"
    if os.geteuid() != 0:
        return "需要 root 运行 sshd"
    for tool in ("ssh", "ssh-keygen", "sftp", "scp", "tmux"):
        if shutil.which(tool) is None:
            return f"缺少 {tool}"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI 中必须运行 SSH 部署测试：{reason}")
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("sshd")
    os.chmod(tmp, 0o755)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "hostkey")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "client")], check=True)
    keys = tmp / "authorized_keys"
    keys.write_text((tmp / "client.pub").read_text())

    # The app's database and configuration, as /etc/assess/config.toml would give them.
    db_path = tmp / "assess.foundation.db"
    db = Database(f"sqlite:///{db_path}")
    db.upgrade(backup=False)
    add_user(db, None, "admin", "admin", PASSWORD, "管理员")
    db.dispose()
    config = tmp / "config.toml"
    config.write_text(f'database = "{db_path}"\noffice = "测试办公室"\nidle_lock_minutes = 0\n', encoding="utf-8")
    app = tmp / "assess"
    app.write_text(f"""#!/bin/sh
export PYTHONPATH={ROOT} ASSESS_CONFIG={config} HOME={tmp}
cd {ROOT}
exec {sys.executable} -m tui.launcher
""")
    app.chmod(0o755)
    wrapper = tmp / "assess-ssh"
    text = (DEPLOY / "assess-ssh").read_text()
    assert "ASSESS_BIN=/usr/local/bin/assess\n" in text
    wrapper.write_text(text.replace("ASSESS_BIN=/usr/local/bin/assess\n", f"ASSESS_BIN={app}\n"))
    wrapper.chmod(0o755)

    # The deployment's Match block, for this machine's user (root) and the files above.
    block = (DEPLOY / "sshd_config.d" / "assess.conf").read_text()
    for old, new in (("Match User assess", "Match User root"), ("/etc/assess/authorized_keys", str(keys)),
                     ("/usr/local/bin/assess-ssh", str(wrapper))):
        assert old in block
        block = block.replace(old, new)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp / "sshd_config"
    conf.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {tmp / 'hostkey'}
PidFile {tmp / 'sshd.pid'}
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile none
PasswordAuthentication no
Subsystem sftp internal-sftp
LogLevel VERBOSE
{block}""")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    check = subprocess.run([SSHD, "-t", "-f", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    log = tmp / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(conf)], stderr=log.open("w"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    ssh = ["ssh", "-F", "/dev/null", "-i", str(tmp / "client"), "-o", "IdentitiesOnly=yes",
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
           "-o", "LogLevel=ERROR", "-p", str(port)]
    yield {"ssh": ssh, "port": port, "tmp": tmp, "key": tmp / "client", "log": log}
    proc.terminate()
    proc.wait(timeout=10)


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, **kw)


def _tmux(sock, *args):
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True, timeout=20)


def _wait_for(sock, words, seconds=60) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(sock, "capture-pane", "-p", "-t", "s").stdout
        if all(w in screen for w in words):
            return screen
        time.sleep(0.3)
    raise AssertionError(f"屏幕上没有出现 {words}：\n{screen}")


def test_key_login_opens_the_app_and_ends_with_it(server):
    sock = f"assess-ssh-{os.getpid()}"
    cmd = " ".join([*server["ssh"], "-tt", "root@127.0.0.1"])
    assert _tmux(sock, "new-session", "-d", "-x", "80", "-y", "24", "-s", "s", cmd).returncode == 0
    try:
        screen = _wait_for(sock, ["考核评议系统", "用户名", "密码"])
        assert len(screen.rstrip("\n").split("\n")) <= 24
        assert _tmux(sock, "display-message", "-p", "-t", "s", "#{pane_width}x#{pane_height}").stdout.strip() == "80x24"
        # Each person signs in inside the app.
        _tmux(sock, "send-keys", "-t", "s", "admin", "Enter")
        time.sleep(0.5)
        _tmux(sock, "send-keys", "-t", "s", PASSWORD, "Enter")
        _wait_for(sock, ["进行中的考核轮次", "管理员"])
        # Quitting the app ends the session: there is no shell behind it.
        _tmux(sock, "send-keys", "-t", "s", "C-q")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _tmux(sock, "has-session", "-t", "s").returncode == 0:
            time.sleep(0.3)
        assert _tmux(sock, "has-session", "-t", "s").returncode != 0, "退出界面后 SSH 会话仍在"
    finally:
        _tmux(sock, "kill-server")


@pytest.mark.parametrize("tty", [[], ["-tt"]])
def test_remote_commands_and_shells_are_refused(server, tty):
    for remote in (["id"], ["/bin/sh", "-c", "'echo pwned-$((6*7))'"], ["bash", "-i"]):
        r = _run([*server["ssh"], *tty, "root@127.0.0.1", *remote])
        assert r.returncode != 0
        assert "uid=" not in r.stdout and "pwned-42" not in r.stdout + r.stderr
        assert "本服务器只提供考核评议界面" in r.stdout + r.stderr


def test_login_without_a_terminal_is_refused(server):
    r = _run([*server["ssh"], "-T", "root@127.0.0.1"])
    assert r.returncode != 0 and "请在终端中登录" in r.stderr


def test_port_forwarding_is_refused(server):
    port = server["port"]
    r = _run([*server["ssh"], "-W", f"127.0.0.1:{port}", "root@127.0.0.1"])
    assert r.returncode != 0 and "SSH-2.0" not in r.stdout
    assert "forwarding failed" in r.stderr or "prohibited" in r.stderr, r.stderr
    # -L: the client listens, but the server opens nothing behind it (no sshd banner comes back).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
    fwd = subprocess.Popen([*server["ssh"], "-N", "-L", f"127.0.0.1:{local}:127.0.0.1:{port}", "root@127.0.0.1"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        got = b""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", local), timeout=2) as c:
                    c.settimeout(3)
                    try:
                        got = c.recv(100)
                    except TimeoutError:
                        got = b""
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("本地转发端口没有打开")
        assert b"SSH-2.0" not in got
    finally:
        fwd.terminate()
        fwd.communicate(timeout=10)
    log = server["log"].read_text()
    assert log.count("refused local port forward: originator 127.0.0.1") >= 2, log  # the -W and -L attempts
    r = _run([*server["ssh"], "-N", "-o", "ExitOnForwardFailure=yes", "-R", f"127.0.0.1:0:127.0.0.1:{port}",
              "root@127.0.0.1"])
    assert r.returncode != 0 and "forwarding failed" in r.stderr, r.stderr


def test_sftp_and_scp_are_refused(server, tmp_path):
    tmp, port, key = server["tmp"], str(server["port"]), str(server["key"])
    opts = ["-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
    batch = tmp_path / "batch"
    batch.write_text(f"get {tmp / 'assess.foundation.db'} {tmp_path / 'stolen.db'}\n")
    r = _run(["sftp", *opts, "-P", port, "-b", str(batch), "root@127.0.0.1"])
    assert r.returncode != 0 and not (tmp_path / "stolen.db").exists()
    src = tmp_path / "payload.txt"
    src.write_text("x")
    for legacy in ([], ["-O"]):
        target = tmp_path / f"dropped{len(legacy)}.txt"
        r = _run(["scp", *legacy, *opts, "-P", port, str(src), f"root@127.0.0.1:{target}"])
        assert r.returncode != 0 and not target.exists()
        r = _run(["scp", *legacy, *opts, "-P", port, f"root@127.0.0.1:{tmp / 'assess.foundation.db'}", str(tmp_path / "copy.db")])
        assert r.returncode != 0 and not (tmp_path / "copy.db").exists()
