"""Keys that arrive together (as they do over SSH) are applied in the order they were typed.

The real ``assess`` program runs in a pseudo-terminal at 80×24; each burst is written to the
terminal in ONE write, and the screen is read back through a terminal emulator (pyte). Before
``tui.text_input.TextInput``, ``abc`` then Left+X in one burst gave ``abcX`` and
End+Backspace+8 lost the 8 (Textual ran the field's editing bindings only after the key had bubbled
up to the app, so the characters behind it were inserted first).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

pyte = pytest.importorskip("pyte")

LEFT, END, HOME, BACKSPACE, DELETE = b"\x1b[D", b"\x1b[F", b"\x1b[H", b"\x7f", b"\x1b[3~"


class Terminal:
    """``assess`` on a pty of 80×24, read through a VT emulator."""

    def __init__(self, db_path: str) -> None:
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
        env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", ASSESS_DB=db_path, ASSESS_IDLE_MINUTES="0")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from tui.launcher import main; sys.exit(main([]))"],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.pump(0.2)
            if needle in self.text():
                return
        raise AssertionError(f"等待“{needle}”超时；屏幕：\n{self.text()}")

    def burst(self, data: bytes) -> None:
        os.write(self.master, data)  # one write: the program reads the keys together
        self.pump(0.6)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        os.close(self.master)


@pytest.fixture
def terminal(sqlite_db):
    from assess.foundation.users import add_user

    from .conftest import PASSWORD

    add_user(sqlite_db, None, "admin", "admin", PASSWORD, "管理员")
    path = sqlite_db.url.removeprefix("sqlite:///")
    sqlite_db.dispose()
    term = Terminal(path)
    try:
        term.wait_for("用户名")
        yield term
    finally:
        term.close()


def field_line(term: Terminal, prefix: str) -> str:
    for line in term.screen.display:
        if prefix in line:
            return line
    raise AssertionError(f"屏幕上没有“{prefix}”：\n{term.text()}")


def test_editing_keys_keep_their_place_in_a_burst(terminal):
    terminal.burst(b"abc")
    terminal.burst(LEFT + b"X")
    assert "abXc" in field_line(terminal, "abXc"), terminal.text()
    terminal.burst(END + BACKSPACE + b"8")
    assert "abX8" in field_line(terminal, "abX8"), terminal.text()
    terminal.burst(HOME + DELETE + b"Z" + END + LEFT + LEFT + BACKSPACE + b"Q")
    assert "ZQX8" in field_line(terminal, "ZQX8"), terminal.text()


def test_a_whole_login_typed_in_bursts_succeeds(terminal):
    from .conftest import PASSWORD

    # The user name keyed with a slip corrected inside the same burst, then the password the same way.
    terminal.burst(b"admn" + LEFT + b"i" + END + b"\r")
    terminal.burst(PASSWORD.encode() + b"x" + BACKSPACE + b"\r")
    terminal.wait_for("总览")


def test_tab_between_fields_inside_one_burst(terminal):
    """User name, Tab, password, Enter: all in one write. The password's characters arrive after the
    Tab, so they must land in the password field (they used to go on into the user name)."""
    from .conftest import PASSWORD

    terminal.burst(b"admin\t" + PASSWORD.encode() + b"\r")
    terminal.wait_for("总览")


def test_enter_to_the_next_field_inside_one_burst(terminal):
    """User name, Enter, password, Enter: one write. Enter moves to the password field at once, so the
    characters behind it land there."""
    from .conftest import PASSWORD

    terminal.burst(b"admin\r" + PASSWORD.encode() + b"\r")
    terminal.wait_for("总览")
