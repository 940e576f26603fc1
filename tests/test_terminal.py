"""A person at a terminal: hidden passphrase prompts, and prompts for missing fields.

The CLI runs on a real pseudo-terminal (its controlling tty), as in a user's shell.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Terminal:
    def __init__(self, args: list[str], env: dict[str, str]):
        self.master, slave = pty.openpty()

        def make_controlling() -> None:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evidence_locker", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            preexec_fn=make_controlling,
            close_fds=True,
        )
        os.close(slave)
        self.seen = ""
        self.pos = 0  # where the next expect starts looking

    def expect(self, text: str, timeout: float = 30.0) -> None:
        """Wait for ``text`` after the previous match (getpass flushes typed-ahead input)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.pos :]:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}; saw {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    assert text in self.seen, f"ended before {text!r}; saw {self.seen!r}"
                self.seen += chunk.decode("utf-8", "replace")
        self.pos = self.seen.index(text, self.pos) + len(text)
        time.sleep(0.05)  # let the program switch the terminal to no-echo before we type

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 60.0) -> int:
        """Read until the program exits (it may block writing if nobody reads)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.proc.wait(timeout=5)
        try:
            while select.select([self.master], [], [], 0.1)[0]:
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.seen += chunk.decode("utf-8", "replace")
        except OSError:
            pass
        os.close(self.master)
        return code


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_LOCKER")}
    env.update(
        EVIDENCE_LOCKER_DIR=str(tmp_path / "locker"),
        EVIDENCE_LOCKER_TZ="Asia/Shanghai",
        LANG="en_US.UTF-8",
        COLUMNS="120",
    )
    return env


def test_init_asks_twice_hides_input_and_log_prompts_for_missing_fields(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    term = Terminal(["init"], env)
    term.expect("Choose a passphrase:")
    term.send("first try")
    term.expect("Repeat it:")
    term.send("typo")
    term.expect("differ")
    term.expect("Choose a passphrase:")
    term.send("终于 correct")
    term.expect("Repeat it:")
    term.send("终于 correct")
    assert term.finish() == 0
    assert "Recovery key" in term.seen
    assert "终于 correct" not in term.seen and "first try" not in term.seen  # never echoed

    term = Terminal(["log", "sms", "--org", "XX农商银行"], env)
    term.expect("Phone number or address")
    term.send("95577")
    term.expect("What was said or written")
    term.send("您的贷款已逾期")
    term.expect("Passphrase:")
    term.send("终于 correct")
    assert term.finish() == 0
    assert "Logged SMS" in term.seen

    term = Terminal(["--lang", "zh", "list"], env)
    term.expect("口令：")
    term.send("wrong")
    assert term.finish() == 1
    assert "口令错误" in term.seen
