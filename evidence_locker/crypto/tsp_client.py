"""The RFC 3161 client: ask a time-stamp authority (TSA) to stamp our data.

RFC 3161 section 3.4: POST a DER TimeStampReq as ``application/timestamp-query``,
read a TimeStampResp back as ``application/timestamp-reply``. The request carries
only the SHA-256 of the data, never the data: the TSA learns a hash and the time
of asking. Every way the exchange can fail (no network, a slow or broken server, a
refusal, a reply to another request, a token that does not verify) raises
:class:`TimestampError` with its own message, before anything is stored.

The HTTP part is the standard library's ``urllib`` (proxies from the environment
are honoured); tokens are checked by :mod:`evidence_locker.crypto.tsp_token`.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Sequence

from asn1crypto import cms, core, tsp

from evidence_locker.crypto import _primitives as P
from evidence_locker.crypto.tsp_token import TokenCheck, check_token_digest, read_token
from evidence_locker.errors import LockerError, UsageError

HASH_ALGORITHM = "sha256"
MAX_RESPONSE_BYTES = 1024 * 1024  # a TSA reply is a few KiB; bound a hostile one
REPLY_TYPES = ("application/timestamp-reply", "application/timestamp-response")


class TimeStampResp(tsp.TimeStampResp):
    """RFC 3161's TimeStampResp. asn1crypto 1.5 declares ``timeStampToken`` required,
    so a rejection (status only, as RFC 3161 section 2.4.2 sends it) would not parse
    and a refusal would read as garbage; the field is OPTIONAL in the RFC's module."""

    _fields = [  # noqa: RUF012  (asn1crypto's declarative schema)
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class TimestampError(LockerError):
    """Asking a TSA failed: unreachable, slow, an HTTP error, or a token that does
    not verify. Nothing is stored when this is raised."""

    key = "tsa.failed"


def build_request(data: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq for SHA-256(data), asking for the TSA's certificate."""
    return build_digest_request(hashlib.sha256(data).digest(), nonce)


def build_digest_request(digest: bytes, nonce: int) -> bytes:
    """A DER TimeStampReq for a SHA-256 ``digest`` computed elsewhere."""
    if len(digest) != hashlib.sha256().digest_size:
        raise ValueError("a SHA-256 digest is 32 bytes")
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": HASH_ALGORITHM},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def new_nonce() -> int:
    """64 random bits, positive (RFC 3161 section 2.4.1 recommends a large nonce)."""
    return int.from_bytes(P.random_bytes(8), "big") >> 1 or 1


def post_request(url: str, body: bytes, *, timeout: float) -> bytes:
    """POST a query (RFC 3161 section 3.4); the reply's bytes, or TimestampError."""
    if not url.startswith(("http://", "https://")):
        raise UsageError("tsa.bad_url", url=url)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
            "User-Agent": "evidence-locker",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            payload = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError("tsa.http_error", url=url, status=exc.code) from None
    except TimeoutError:
        raise TimestampError("tsa.timeout", url=url, seconds=f"{timeout:g}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise TimestampError("tsa.timeout", url=url, seconds=f"{timeout:g}") from None
        raise TimestampError("tsa.unreachable", url=url, detail=str(reason)) from None
    if ctype not in REPLY_TYPES:
        raise TimestampError("tsa.not_a_reply", url=url, content_type=ctype or "none")
    if len(payload) > MAX_RESPONSE_BYTES:
        raise TimestampError("tsa.malformed_reply", url=url)
    return payload


def token_from_response(response: bytes, *, url: str, nonce: int) -> bytes:
    """The TimeStampToken's bytes from a granted TimeStampResp, exactly as sent.

    Raises TimestampError when the response is malformed, not granted, or answers
    another request (its nonce).
    """
    try:
        resp = TimeStampResp.load(response, strict=True)
        status = resp["status"]["status"].native
    except (ValueError, TypeError, KeyError):
        raise TimestampError("tsa.malformed_reply", url=url) from None
    if status not in ("granted", "granted_with_mods"):
        texts = resp["status"]["status_string"].native or []
        raise TimestampError("tsa.rejected", url=url, status=status, detail="; ".join(texts) or "-")
    token = resp["time_stamp_token"]
    if isinstance(token, core.Void):
        raise TimestampError("tsa.malformed_reply", url=url)
    # dump() of a parsed, unmodified value returns the bytes it was parsed from
    raw = token.dump()
    try:
        info = read_token(raw)
    except ValueError:
        raise TimestampError("tsa.malformed_reply", url=url) from None
    if info.nonce != nonce:
        raise TimestampError("tsa.nonce", url=url)
    return raw


def request_token(
    url: str, data: bytes, roots: Sequence[bytes], *, timeout: float = 10.0
) -> tuple[bytes, TokenCheck]:
    """Time-stamp ``data`` at ``url``; the token's bytes and its (trusted) check.

    Everything that could make the token worthless raises TimestampError naming
    the reason, so the caller never stores an unverified token.
    """
    return request_token_for_digest(url, hashlib.sha256(data).digest(), roots, timeout=timeout)


def request_token_for_digest(
    url: str, digest: bytes, roots: Sequence[bytes], *, timeout: float = 10.0
) -> tuple[bytes, TokenCheck]:
    """:func:`request_token` for data known by its SHA-256 only (a PDF's byte ranges)."""
    nonce = new_nonce()
    response = post_request(url, build_digest_request(digest, nonce), timeout=timeout)
    token = token_from_response(response, url=url, nonce=nonce)
    check = check_token_digest(token, digest, roots)
    if not check.trusted:
        problem = check.problem or "tsa.failed"
        raise TimestampError(problem, source=url, url=url, detail=check.detail)
    return token, check
