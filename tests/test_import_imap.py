"""``import imap://...`` against a real IMAP server (Dovecot) that these tests start on
127.0.0.1 with TLS: filters, what is new on a re-run, nothing changed on the server,
the ID command, and every way the connection can be refused."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence_locker.locker import import_state

from .conftest import records
from .imap_server import DovecotServer, have_dovecot

pytestmark = pytest.mark.skipif(not have_dovecot(), reason="dovecot (dovecot-imapd) not installed")

USER, PASSWORD = "wang@example.cn", "授权码-8k3Jx"


def mail(sender: str, date: str, subject: str, body: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[DovecotServer]:
    with DovecotServer() as running:
        yield running


@pytest.fixture
def mailbox(server: DovecotServer, request: pytest.FixtureRequest) -> str:
    """A fresh user for this test, with three messages; returns the import URL."""
    user = f"u{abs(hash(request.node.name)) % 10**8}@example.cn"
    server.add_user(user, PASSWORD)
    server.deliver(user, mail("催收部 <a@collector.example>", "Sun, 09 Feb 2025 10:00:00 +0800",
                              "最后通知", "三天内不还款就上门", "a1@ce"))  # fmt: skip
    server.deliver(user, mail("b@collector.example", "Sun, 01 Dec 2024 10:00:00 +0800",
                              "old", "2024 年的旧邮件", "b1@collector.example"))  # fmt: skip
    server.deliver(user, mail("friend@example.cn", "Mon, 10 Feb 2025 09:00:00 +0800",
                              "hi", "周末吃饭", "c1@example.cn"))  # fmt: skip
    return f"imap://{user}@127.0.0.1:{server.tls_port}/INBOX"


@pytest.fixture
def imap_cli(ready, server: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def run(url: str, *args: str, password: str | None = PASSWORD, ca: bool = True):  # type: ignore[no-untyped-def]
        extra = ["--ca-file", str(server.ca_file)] if ca else []
        return ready("import", url, *extra, *args, env={"EVIDENCE_LOCKER_IMAP_PASSWORD": password})

    return run


def test_a_mailbox_is_filtered_and_a_rerun_reads_only_what_is_new(  # type: ignore[no-untyped-def]
    imap_cli, ready, mailbox: str, server: DovecotServer
) -> None:
    first = imap_cli(
        mailbox, "--only-from", "*@collector.example", "--since", "2025-01-01", "--json"
    )
    assert first.code == 0, first.err
    out = json.loads(first.out)
    assert out["format"] == "imap" and out["read"] == 3
    assert out["imported"] == 1 and out["filtered"] == 2
    (record,) = records(ready)
    assert record["content"] == "三天内不还款就上门" and record["address"] == "a@collector.example"
    assert record["source"]["file_name"] == mailbox.replace("@example.cn@", "%40example.cn@")
    assert any(a["name"] == "message.eml" for a in record["attachments"])
    again = json.loads(imap_cli(mailbox, "--json").out)
    assert again["read"] == 0  # nothing new was fetched at all
    user = mailbox.split("//")[1].rsplit("@", 1)[0]
    server.deliver(user, mail("c@collector.example", "Tue, 11 Feb 2025 21:30:00 +0800",
                              "催款", "今晚必须还款", "d1@collector.example"))  # fmt: skip
    third = json.loads(imap_cli(mailbox, "--only-from", "*@collector.example", "--json").out)
    assert third["read"] == 1 and third["imported"] == 1
    # the server's mailbox is as it was: nothing marked seen, nothing moved or deleted
    assert all("S" not in flags for flags in server.flags(user))
    assert "ID sent: name=evidence-locker" in server.log()
    assert ready("verify").code == 0


def test_the_resume_state_names_no_server_account_or_password(  # type: ignore[no-untyped-def]
    imap_cli, mailbox: str, tmp_path: Path
) -> None:
    assert imap_cli(mailbox).code == 0
    state = import_state.state_file().read_text()
    assert "127.0.0.1" not in state and "example.cn" not in state and PASSWORD not in state
    assert "last_uid" in state and "uidvalidity" in state


def test_a_dry_run_remembers_nothing(imap_cli, mailbox: str) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(imap_cli(mailbox, "--dry-run", "--json").out)["read"] == 3
    assert json.loads(imap_cli(mailbox, "--dry-run", "--json").out)["read"] == 3


def test_refusals_are_clear_and_import_nothing(imap_cli, ready, mailbox: str) -> None:  # type: ignore[no-untyped-def]
    wrong = imap_cli(mailbox, password="not the code")
    assert wrong.code == 1 and "refused the user name or password" in wrong.err
    missing = imap_cli(mailbox, password=None)
    assert missing.code == 1 and "password is needed" in missing.err
    untrusted = imap_cli(mailbox, ca=False)
    assert untrusted.code == 1 and "not trusted" in untrusted.err
    in_url = imap_cli(mailbox.replace("@127.0.0.1", ":pw@127.0.0.1"))
    assert in_url.code == 2 and "shell history" in in_url.err
    closed = imap_cli(mailbox.replace(str(mailbox.split(":")[2].split("/")[0]), "1"))
    assert closed.code == 1 and "cannot talk to the mail server" in closed.err
    for r in (wrong, missing, untrusted, in_url, closed):
        assert "Traceback" not in r.err and PASSWORD not in r.err
    assert records(ready) == []


def test_starttls_is_used_on_the_plain_port(  # type: ignore[no-untyped-def]
    imap_cli, mailbox: str, server: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_locker.importers import imap

    monkeypatch.setattr(imap, "STARTTLS_PORTS", {server.plain_port})
    plain = mailbox.replace(f":{server.tls_port}/", f":{server.plain_port}/")
    r = imap_cli(plain, "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["imported"] == 3


class PlainServer:
    """An IMAP greeting without STARTTLS: the client must leave before any password."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(20)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
            try:
                while data := conn.recv(4096):
                    self.received += data
                    tag = data.split(b" ", 1)[0]
                    if b"CAPABILITY" in data.upper():
                        conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                    conn.sendall(tag + b" OK done\r\n")
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=10)


def test_a_server_without_tls_never_sees_the_password(  # type: ignore[no-untyped-def]
    imap_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evidence_locker.importers import imap

    fake = PlainServer()
    try:
        monkeypatch.setattr(imap, "STARTTLS_PORTS", {fake.port})
        r = imap_cli(f"imap://{USER}@127.0.0.1:{fake.port}/INBOX")
    finally:
        fake.close()
    assert r.code == 1 and "does not offer TLS" in r.err
    assert b"LOGIN" not in fake.received.upper() and b"AUTHENTICATE" not in fake.received.upper()
    assert PASSWORD.encode() not in fake.received
