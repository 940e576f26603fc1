"""A throwaway Dovecot IMAP server for the tests: TLS only, on 127.0.0.1, in a temp folder.

Started and stopped by the tests (``DovecotServer`` is a context manager); nothing is
left running. Users live in a passwd-file (Dovecot re-reads it when it changes), mail
in Maildirs that the tests fill by writing message files, as a delivery agent would.
Dovecot refuses to serve mail as root, so its processes and the mail files belong to
``nobody``; the server's folder is therefore made under /tmp readable by all (pytest's
own temp folders are private to root), and removed when the server stops. Dovecot
needs root to switch users: without it the tests skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
auth_mechanisms = plain login
disable_plaintext_auth = yes
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
imap_id_log = *
mail_location = maildir:{root}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {plain_port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}

service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def have_dovecot() -> bool:
    return (
        shutil.which("dovecot") is not None
        and shutil.which("openssl") is not None
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DovecotServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="el-dovecot-", dir="/tmp"))
        self.tls_port = free_port()
        self.plain_port = free_port()
        self.ca_file = self.root / "cert.pem"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> DovecotServer:
        root = self.root
        for sub in ("run", "state", "home"):
            (root / sub).mkdir(parents=True)
        root.chmod(0o755)
        (root / "run").chmod(0o755)
        (root / "home").chmod(0o755)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(root / "key.pem"), "-out", str(self.ca_file),
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        (root / "passwd").write_text("")
        (root / "passwd").chmod(0o644)
        (root / "dovecot.conf").write_text(
            CONFIG.format(root=root, tls_port=self.tls_port, plain_port=self.plain_port)
        )
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("dovecot did not start: " + self.log())

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self, user: str, password: str) -> None:
        """Add a login. Dovecot looks at the passwd-file at most once per clock
        second, so this returns only after the second it was written in has
        passed: a login in that same second could still miss the new user."""
        with (self.root / "passwd").open("a", encoding="utf-8") as fh:
            fh.write(f"{user}:{{PLAIN}}{password}::::::\n")
        time.sleep(1.05 - time.time() % 1)
        home = self.root / "home" / user
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        for path in (home, *home.rglob("*")):
            shutil.chown(path, "nobody", "nogroup")

    def deliver(self, user: str, message: bytes) -> None:
        """Put ``message`` in the user's INBOX, as a local delivery agent does."""
        maildir = self.root / "home" / user / "Maildir"
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.localhost"
        (maildir / "tmp" / name).write_bytes(message)
        shutil.chown(maildir / "tmp" / name, "nobody", "nogroup")
        (maildir / "tmp" / name).rename(maildir / "new" / name)

    def flags(self, user: str) -> list[str]:
        """The Maildir info of every message (``:2,S`` once it is marked seen)."""
        maildir = self.root / "home" / user / "Maildir"
        return sorted(p.name.partition(":")[2] for p in (maildir / "cur").iterdir()) + [
            "" for _ in (maildir / "new").iterdir()
        ]
