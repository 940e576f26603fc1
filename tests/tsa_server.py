"""A throwaway RFC 3161 time-stamp authority for the tests, on 127.0.0.1 only.

The tokens come from ``openssl ts -reply``: an implementation independent of the
asn1crypto / pyHanko code that checks them, so the tests prove that real tokens
verify (as freetsa.org's, which runs OpenSSL's TSA, do), not only that our reader
understands our writer. A small ``http.server`` handler does the HTTP part of
RFC 3161 section 3.4 (POST ``application/timestamp-query``, answer
``application/timestamp-reply``) and, per :class:`Behaviour`, misbehaves the ways a
real server or network can: an HTTP error, a token for another hash, a token signed
by a certificate outside the configured root, a wrong nonce, a malformed body, a
rejection, a server too slow to answer.

The test PKI (a root, a TSA certificate with the critical timeStamping extended key
usage, and a stranger's pair) is made with ``cryptography``, which can set any
validity window, so an expired root is one argument away.
"""

from __future__ import annotations

import contextlib
import enum
import http.server
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_OPENSSL_CONF = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/{signer}.pem
signer_key = $dir/{signer}.key
certs = $dir/{signer}-chain.pem
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 3
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidence-locker tests"),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    *,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
    eku_critical: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        usage = {"key_cert_sign": True, "crl_sign": True, "digital_signature": False}
    else:
        usage = {"key_cert_sign": False, "crl_sign": False, "digital_signature": True}
        # RFC 3161 section 2.3: exactly this one extended key usage, marked critical
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=eku_critical
        )
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=not ca,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
            **usage,
        ),
        critical=True,
    )
    signer = issuer_key or key
    return builder.sign(signer, hashes.SHA256())


def _root(
    subject: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    return _certificate(
        subject,
        key,
        issuer=None,
        issuer_key=None,
        ca=True,
        not_before=not_before,
        not_after=not_after,
    )


def _write_signer(
    directory: Path,
    label: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    root: x509.Certificate,
) -> None:
    """``label``.pem, .key and -chain.pem (the root, sent beside the signer's own)."""
    (directory / f"{label}.pem").write_bytes(_pem(cert))
    (directory / f"{label}.key").write_bytes(_key_pem(key))
    (directory / f"{label}-chain.pem").write_bytes(_pem(root))


@dataclass
class Pki:
    """A root and a TSA certificate under it, written as PEM files in ``directory``."""

    directory: Path
    root: x509.Certificate
    tsa: x509.Certificate

    @property
    def root_pem(self) -> bytes:
        return _pem(self.root)

    @property
    def root_path(self) -> Path:
        return self.directory / "root.pem"


def make_pki(
    directory: Path,
    *,
    name: str = "Test TSA",
    root_not_after: datetime | None = None,
    tsa_not_after: datetime | None = None,
    eku_critical: bool = True,
    rsa_signer: bool = False,
    stranger: bool = True,
) -> Pki:
    """Write root.pem, tsa.pem/tsa.key, tsa-chain.pem (and a stranger's pair and root).

    Each token then carries the signer's certificate and the root (``certs``), as
    freetsa.org's do.

    The root is RSA (as most public TSAs' are), the TSA key ECDSA P-256 (as some
    newer ones are), so both signature families are exercised. ``root_not_after``
    ends the root's (and by default the TSA certificate's) validity, ``tsa_not_after``
    the TSA certificate's alone; ``eku_critical=False`` makes a certificate RFC 3161
    forbids; ``rsa_signer`` gives the TSA an RSA key.
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    not_before = now - timedelta(days=30)
    not_after = root_not_after or now + timedelta(days=3650)
    if not_after < now:
        not_before = not_after - timedelta(days=365)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _root(f"{name} Root", root_key, not_before, not_after)
    tsa_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_signer
        else ec.generate_private_key(ec.SECP256R1())
    )
    tsa = _certificate(
        f"{name} Signer",
        tsa_key,
        issuer=root,
        issuer_key=root_key,
        ca=False,
        not_before=not_before,
        not_after=tsa_not_after or not_after,
        eku_critical=eku_critical,
    )
    (directory / "root.pem").write_bytes(_pem(root))
    _write_signer(directory, "tsa", tsa_key, tsa, root)
    if stranger:
        # a TSA certificate of the same shape, under a root nobody configured
        later = now + timedelta(days=3650)
        other_root_key = ec.generate_private_key(ec.SECP256R1())
        other_root = _root(f"{name} Stranger Root", other_root_key, not_before, later)
        other_key = ec.generate_private_key(ec.SECP256R1())
        other = _certificate(
            f"{name} Stranger",
            other_key,
            issuer=other_root,
            issuer_key=other_root_key,
            ca=False,
            not_before=not_before,
            not_after=later,
        )
        (directory / "stranger-root.pem").write_bytes(_pem(other_root))
        _write_signer(directory, "stranger", other_key, other, other_root)
    for signer in ("tsa", "stranger"):
        (directory / f"{signer}.cnf").write_text(
            _OPENSSL_CONF.format(dir=directory, signer=signer), encoding="utf-8"
        )
    (directory / "serial").write_text("01\n", encoding="ascii")
    return Pki(directory, root, tsa)


class Behaviour(enum.Enum):
    """How the server answers. Every kind but OK is a failure the client must name."""

    OK = "ok"
    UNSORTED_CERTS = "unsorted-certs"  # valid token, certificate SET in non-DER order
    HTTP_ERROR = "http-error"  # 500 Internal Server Error
    OTHER_HASH = "other-hash"  # a valid token, but for another message
    OTHER_SIGNER = "other-signer"  # signed by a certificate outside the root
    WRONG_NONCE = "wrong-nonce"  # a valid token for another request's nonce
    MALFORMED = "malformed"  # right content type, bytes that are not DER
    REJECTION = "rejection"  # a well-formed TimeStampResp with status "rejection"
    WRONG_TYPE = "wrong-type"  # a token, but served as text/html (a captive portal)
    SLOW = "slow"  # answers after the client's timeout


def openssl_reply(pki: Pki, query: bytes, *, signer: str = "tsa") -> bytes:
    """Run ``openssl ts -reply`` on a DER TimeStampReq; return the DER TimeStampResp."""
    with tempfile.TemporaryDirectory(prefix="el-tsq-") as tmp:
        qpath, rpath = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
        qpath.write_bytes(query)
        subprocess.run(
            [
                "openssl",
                "ts",
                "-reply",
                "-config",
                str(pki.directory / f"{signer}.cnf"),
                "-queryfile",
                str(qpath),
                "-out",
                str(rpath),
            ],
            check=True,
            capture_output=True,
        )
        return rpath.read_bytes()


def _query_for(digest: bytes, nonce: int | None) -> bytes:
    req = {
        "version": 1,
        "message_imprint": {
            "hash_algorithm": {"algorithm": "sha256"},
            "hashed_message": digest,
        },
        "cert_req": True,
    }
    if nonce is not None:
        req["nonce"] = nonce
    return tsp.TimeStampReq(req).dump()


def unsort_certificates(response: bytes) -> bytes:
    """The same response with its certificate SET in descending DER order.

    DER wants a SET OF sorted ascending; OpenSSL, like many servers, writes the
    certificates in chain order instead. Forcing the order DER forbids makes sure a
    strict parser's habit of refusing (or silently re-sorting) it would show. The
    certificates are outside the signature, and reordering keeps every length, so
    the bytes are spliced in place: the token stays valid and no encoder touches it.
    """
    resp = tsp.TimeStampResp.load(response)
    certs = resp["time_stamp_token"]["content"]["certificates"]
    old = certs.contents
    encodings = [c.dump() for c in certs]
    new = b"".join(sorted(encodings, reverse=True))
    assert len(encodings) >= 2 and new != b"".join(sorted(encodings))
    assert len(new) == len(old) and response.count(old) == 1
    return response.replace(old, new)


class _StatusOnly(tsp.TimeStampResp):
    # RFC 3161: a refusal carries no token (asn1crypto's class requires one)
    _fields = [("status", tsp.PKIStatusInfo)]  # noqa: RUF012


def _rejection() -> bytes:
    return _StatusOnly(
        {
            "status": {
                "status": "rejection",
                "status_string": ["unsupported algorithm"],
                "fail_info": tsp.PKIFailureInfo({"bad_alg"}),
            }
        }
    ).dump()


class TsaServer:
    """An HTTP time-stamp authority on 127.0.0.1, one request at a time.

    ``behaviour`` may be changed between requests; ``requests`` counts them and
    ``last_response`` keeps the bytes sent, so a test can compare what was stored
    with what the server sent, byte for byte.
    """

    def __init__(self, pki: Pki, behaviour: Behaviour = Behaviour.OK, slow_s: float = 3.0):
        self.pki = pki
        self.behaviour = behaviour
        self.slow_s = slow_s
        self.requests = 0
        self.busy_s = 0.0  # time spent making answers: the "network" side of a request
        self.last_response: bytes | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                started = time.perf_counter()
                status, ctype, payload = server.answer(self.headers.get("Content-Type"), body)
                server.busy_s += time.perf_counter() - started
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (the SLOW case)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, per test
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/tsr"

    def answer(self, content_type: str | None, body: bytes) -> tuple[int, str, bytes]:
        with self._lock:
            self.requests += 1
            kind = self.behaviour
        reply_type = "application/timestamp-reply"
        if content_type != "application/timestamp-query":
            return 400, "text/plain", b"expected application/timestamp-query"
        if kind is Behaviour.HTTP_ERROR:
            return 500, "text/html", b"<h1>Internal Server Error</h1>"
        if kind is Behaviour.MALFORMED:
            return 200, reply_type, b"\x30\x82\xff\xff not a time-stamp response"
        if kind is Behaviour.REJECTION:
            return 200, reply_type, _rejection()
        if kind is Behaviour.SLOW:
            time.sleep(self.slow_s)
        query = body
        req = tsp.TimeStampReq.load(body)
        nonce = req["nonce"].native
        if kind is Behaviour.OTHER_HASH:
            query = _query_for(b"\x42" * 32, nonce)
        elif kind is Behaviour.WRONG_NONCE:
            digest = req["message_imprint"]["hashed_message"].native
            query = _query_for(digest, (nonce or 0) + 1)
        signer = "stranger" if kind is Behaviour.OTHER_SIGNER else "tsa"
        response = openssl_reply(self.pki, query, signer=signer)
        if kind is Behaviour.UNSORTED_CERTS:
            response = unsort_certificates(response)
        self.last_response = response
        if kind is Behaviour.WRONG_TYPE:
            return 200, "text/html", response
        return 200, reply_type, response

    def __enter__(self) -> TsaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def running(pki: Pki, behaviour: Behaviour = Behaviour.OK) -> Iterator[TsaServer]:
    with TsaServer(pki, behaviour) as server:
        yield server


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def have_openssl_ts() -> bool:
    try:
        out = subprocess.run(["openssl", "ts", "-help"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode in (0, 1) and b"-reply" in out.stderr + out.stdout


os.environ.setdefault("OPENSSL_CONF", "/dev/null")  # no system config in the way
