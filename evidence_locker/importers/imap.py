"""A mailbox read over IMAP: ``imap://user@host[:port]/MAILBOX``, TLS only, never changed.

Connection: port 993 (or any port but 143) speaks TLS from the first byte; port 143 must
offer STARTTLS and the client upgrades before it says anything else. A server that
offers neither is refused before the password is sent. Certificates are checked against
the system's trust store (``ca_file`` adds a private CA). The password comes from
``ImportOptions.secret("imap_password")`` (the CLI prompts for it) and is kept nowhere.

Protocol (imapclient): login (AUTHENTICATE PLAIN when offered, so that a UTF-8 password
works), then ``ID`` with this program's name when the server offers it (NetEase's 163
and 126 servers refuse SELECT with "Unsafe Login" until a client identifies itself),
then EXAMINE (read-only: no flag, no \\Seen, nothing in the mailbox changes),
``UID SEARCH`` for the UIDs after the last one imported (and ``SINCE`` the --since day),
sizes first (``RFC822.SIZE``; a message over the bound is rejected unread), then
``BODY.PEEK[]`` in batches. Each message becomes a draft exactly as an ``.eml`` does.

What is new is remembered as (UIDVALIDITY, highest UID) by the caller after the import
commits (:meth:`ImapImporter.resume_state`); a changed UIDVALIDITY means the server
renumbered the mailbox, and everything is read again (the fingerprints skip what the
locker already holds).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import ssl
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evidence_locker.errors import FormatError, UsageError, WrongPassphrase
from evidence_locker.model import ContactDraft

from ._common import ImportOptions, Rejected, TooLarge
from .email_import import _EmailBase

FETCH_BATCH = 50
TIMEOUT_S = 60.0
STARTTLS_PORTS = {143}  # ports where the server speaks plain text until STARTTLS
CLIENT_ID = {"name": "evidence-locker", "version": "1", "vendor": "evidence-locker"}


@dataclass(frozen=True, slots=True)
class ImapAddress:
    user: str
    host: str
    port: int
    mailbox: str

    @property
    def display(self) -> str:
        """The address without any password, as records and messages name it."""
        user = urllib.parse.quote(self.user, safe="")
        port = "" if self.port == 993 else f":{self.port}"
        return f"imap://{user}@{self.host}{port}/{self.mailbox}"


def is_imap_url(text: str) -> bool:
    return text.lower().startswith(("imap://", "imaps://"))


def parse_imap_url(text: str) -> ImapAddress:
    """``imap://user@host/INBOX`` (user may be an address: ``me%40163.com`` or ``me@163.com``)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() not in ("imap", "imaps") or not parts.hostname:
        raise UsageError("import.bad_imap_url", url=text)
    if parts.password is not None:
        raise UsageError("import.imap_password_in_url")
    # urlsplit takes the last "@" as the end of the user part, so me@163.com@host works.
    user = urllib.parse.unquote(parts.username or "")
    if not user:
        raise UsageError("import.bad_imap_url", url=text)
    try:
        port = parts.port or 993
    except ValueError as exc:
        raise UsageError("import.bad_imap_url", url=text) from exc
    mailbox = urllib.parse.unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapAddress(user, parts.hostname, port, mailbox)


class ImapImporter(_EmailBase):
    """The messages of one IMAP mailbox (see the module docstring)."""

    name = "imap"

    def __init__(self, source: str | os.PathLike[str], options: ImportOptions) -> None:
        text = os.fspath(source)
        if not is_imap_url(text):  # --format imap given a file
            raise FormatError("import.not_imap_url", file=text)
        self.address = parse_imap_url(text)
        self._state: dict[str, Any] | None = None
        super().__init__(self.address.display, options)

    def _identify(self) -> tuple[str, str]:
        shown = self.address.display
        return shown, hashlib.sha256(shown.encode("utf-8")).hexdigest()

    def resume_state(self) -> dict[str, Any] | None:
        """What to remember once this import is committed: where the next one starts."""
        return self._state

    def _entries(self) -> Iterator[ContactDraft | Rejected]:
        client = self._connect()
        from imapclient import exceptions

        try:
            yield from self._read(client)
        finally:
            # Leaving anyway: the server may already have closed the connection.
            with contextlib.suppress(OSError, exceptions.IMAPClientError):
                client.logout()

    def _connect(self) -> Any:
        import imapclient
        from imapclient import exceptions

        context = ssl.create_default_context(cafile=self.options.tls_ca_file)
        host, port = self.address.host, self.address.port
        shown = self.address.display
        try:
            if port in STARTTLS_PORTS:
                client = imapclient.IMAPClient(host, port, ssl=False, timeout=TIMEOUT_S)
                if not client.has_capability("STARTTLS"):
                    client.shutdown()
                    raise FormatError("import.imap_no_tls", url=shown)
                client.starttls(context)
            else:
                client = imapclient.IMAPClient(
                    host, port, ssl=True, ssl_context=context, timeout=TIMEOUT_S
                )
        except ssl.SSLCertVerificationError as exc:
            raise FormatError(
                "import.imap_bad_certificate", url=shown, detail=exc.verify_message
            ) from exc
        except ssl.SSLError as exc:
            raise FormatError("import.imap_no_tls", url=shown) from exc
        except (OSError, exceptions.IMAPClientError) as exc:
            raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
        password = self.options.secret("imap_password") if self.options.secret else None
        if not password:
            client.shutdown()
            raise FormatError("import.imap_password_needed", url=shown)
        try:
            if client.has_capability("AUTH=PLAIN"):
                client.plain_login(self.address.user, password)
            else:
                client.login(self.address.user, password)
            if client.has_capability("ID"):
                client.id_(CLIENT_ID)
        except exceptions.LoginError as exc:
            client.shutdown()
            raise WrongPassphrase("import.imap_login_failed", url=shown) from exc
        except (OSError, exceptions.IMAPClientError) as exc:
            client.shutdown()
            raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
        return client

    def _read(self, client: Any) -> Iterator[ContactDraft | Rejected]:
        from imapclient import exceptions

        shown = self.address.display
        try:
            selected = client.select_folder(self.address.mailbox, readonly=True)
        except exceptions.IMAPClientAbortError as exc:
            raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
        except exceptions.IMAPClientError as exc:
            raise FormatError("import.imap_no_mailbox", url=shown, detail=str(exc)) from exc
        except OSError as exc:
            raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
        validity = int(selected.get(b"UIDVALIDITY", 0))
        resume = self.options.resume or {}
        after = int(resume.get("last_uid", 0)) if resume.get("uidvalidity") == validity else 0
        criteria: list[Any] = ["UID", f"{after + 1}:*"]
        since = self.options.filters.since
        if since is not None:
            criteria += ["SINCE", since.astimezone(UTC).date()]
        try:
            uids = sorted(u for u in client.search(criteria) if u > after)
        except (exceptions.IMAPClientError, OSError, TimeoutError) as exc:
            raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
        last = after
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            try:
                yield from self._batch(client, batch)
            except (exceptions.IMAPClientError, OSError, TimeoutError) as exc:
                raise FormatError("import.imap_unreachable", url=shown, detail=str(exc)) from exc
            last = batch[-1]
            self.rows_read = (start + len(batch), len(uids))
        self._state = {"uidvalidity": validity, "last_uid": max(last, after)}

    def _batch(self, client: Any, uids: list[int]) -> Iterator[ContactDraft | Rejected]:
        limit = self.options.max_message_bytes
        sizes = client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        wanted = []
        for uid in uids:
            info = sizes.get(uid, {})
            size = int(info.get(b"RFC822.SIZE", 0))
            if size > limit:
                yield TooLarge("message", size, limit).rejected(f"UID {uid}", None)
            else:
                wanted.append(uid)
        if not wanted:
            return
        bodies = client.fetch(wanted, ["BODY.PEEK[]"])
        for uid in wanted:
            raw = bodies.get(uid, {}).get(b"BODY[]")
            if not isinstance(raw, bytes):
                yield Rejected(f"UID {uid}", None, "import.bad_message", {"detail": "empty"})
                continue
            arrived = sizes.get(uid, {}).get(b"INTERNALDATE")
            fallback = _aware(arrived, self.zone)
            self.part = (self.address.display, hashlib.sha256(raw).hexdigest())
            yield self._message(raw, f"UID {uid}", None, fallback)
        self.part = None


def _aware(value: Any, zone: Any) -> datetime | None:
    """INTERNALDATE as imapclient returns it (naive local time of this computer)."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.astimezone(zone)
