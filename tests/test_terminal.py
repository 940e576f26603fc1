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
PASSPHRASE = "终于 correct horse"


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
    term.send("short")  # under the 12 characters the guide recommends: warned, asked again
    term.expect("only 5 characters")
    term.expect("Choose a longer one?")
    term.send("y")
    term.expect("Choose a passphrase:")
    term.send("first try, long enough")
    term.expect("Repeat it:")
    term.send("typo")
    term.expect("differ")
    term.expect("Choose a passphrase:")
    term.send(PASSPHRASE)
    term.expect("Repeat it:")
    term.send(PASSPHRASE)
    assert term.finish() == 0
    assert "Recovery key" in term.seen
    assert PASSPHRASE not in term.seen and "first try" not in term.seen  # never echoed

    term = Terminal(["log", "sms"], env)  # each missing option asked for, in turn
    term.expect("What was said or written")
    term.send("您的贷款已逾期")
    term.expect("Phone number or address")
    term.send("95577")
    term.expect("Passphrase:")
    term.send(PASSPHRASE)
    assert term.finish() == 0
    assert "Logged SMS" in term.seen

    term = Terminal(["--lang", "zh", "list"], env)  # three tries at the prompt
    for left in ("2", "1"):
        term.expect("口令：")
        term.send("wrong")
        term.expect(f"口令错误；请重试（还剩 {left} 次）")
    term.expect("口令：")
    term.send("wrong again")
    assert term.finish() == 1
    assert "错误: 口令错误" in term.seen

    term = Terminal(["list"], env)
    term.expect("Passphrase:")
    term.send("wrong")
    term.expect("try again (2 left)")
    term.send(PASSPHRASE)
    assert term.finish() == 0
    assert "您的贷款已逾期" in term.seen


def test_init_can_keep_a_short_passphrase(tmp_path: Path) -> None:
    term = Terminal(["init"], env_for(tmp_path))
    term.expect("Choose a passphrase:")
    term.send("short")
    term.expect("Choose a longer one?")
    term.send("n")
    term.expect("Repeat it:")
    term.send("short")
    assert term.finish() == 0 and "Recovery key" in term.seen


def test_a_pasted_sms_is_shown_and_confirmed_at_a_terminal(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "evidence_locker", "init"],
        env={**env, "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for answer, code in (("n", 1), ("y", 0)):
        term = Terminal(
            ["log", "sms", "--paste"], {**env, "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE}
        )
        term.expect("Paste the message")
        os.write(term.master, "95577 2025-02-09 18:43\n【XX农商银行】您的贷款已逾期\n".encode())
        os.write(term.master, b"\x04")  # Ctrl-D on an empty line ends the paste
        term.expect("Read from the pasted text:")
        term.expect("XX农商银行")
        term.expect("2025-02-09 18:43")
        term.expect("Log this?")
        term.send(answer)
        assert term.finish() == code
    listed = subprocess.run(
        [sys.executable, "-m", "evidence_locker", "list", "--json"],
        env={**env, "EVIDENCE_LOCKER_PASSPHRASE": PASSPHRASE},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert listed.stdout.count('"organisation": "XX农商银行"') == 1  # "n" logged nothing
