"""RFC 3161 time-stamp tokens: what one says, and whether it holds.

A token is a CMS SignedData (RFC 5652) whose content is a TSTInfo: the hash of the
stamped data (the "message imprint"), the TSA's clock (genTime), a serial number
and the requester's nonce.

Parsing is asn1crypto's; signatures are verified by pyhanko-certvalidator's
signature validator (over pyca/cryptography) and the certificate path to the
user's root by pyhanko-certvalidator. We do not call pyHanko's
``validate_tst_signed_data``: importing ``pyhanko.sign`` costs about a second (it
brings the PDF signer and aiohttp), which alone would break the ``stamp`` and
``verify`` targets; the RFC 5652 section 5.4 checks it makes are spelled out here
instead, and ``tests/test_tsp.py`` compares our verdict with pyHanko's and with
``openssl ts -verify`` on the same tokens.

What :func:`check_token` requires, each a distinct failure (:class:`TokenProblem`):

- one SignerInfo, content type id-ct-TSTInfo, signed attributes whose content-type
  is TSTInfo and whose message-digest is the hash of the TSTInfo bytes;
- the message imprint equals the hash of the data (SHA-256/384/512 only);
- an ESSCertID or ESSCertIDv2 attribute (RFC 3161 section 2.4.1, RFC 5816) naming
  the signer's certificate, which the token carries;
- the signature verifies with that certificate's key;
- that certificate has the timeStamping extended key usage, marked critical (RFC
  3161 section 2.3) and chains to one of the given roots at genTime; the root was
  itself valid then.

Revocation is not checked: verification runs offline, and a TSA's CRL tells nothing
about the past without archived revocation data. docs/threat-model.md says so.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, parser, pem, tsp, x509

from evidence_locker.crypto import _primitives as P
from evidence_locker.errors import UsageError

# hashes a token may use for its imprint and signed attributes; SHA-1 is refused
_HASHES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
# what asn1crypto and certvalidator raise on hostile bytes, however deep they sit
_MALFORMED_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


class TokenProblem:
    """Why a token does not verify (i18n keys, ``tsa.token.*``)."""

    MALFORMED = "tsa.token.malformed"
    IMPRINT = "tsa.token.imprint"
    ESS = "tsa.token.ess"
    SIGNATURE = "tsa.token.signature"
    USAGE = "tsa.token.usage"
    UNTRUSTED = "tsa.token.untrusted"
    ROOT_EXPIRED = "tsa.token.root_expired"
    CERT_EXPIRED = "tsa.token.cert_expired"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a token says, read without judging it."""

    gen_time: datetime
    serial: int
    nonce: int | None
    policy: str
    hash_algorithm: str
    imprint: bytes
    signer: str  # the signing certificate's subject, human readable
    tsa_name: str | None  # the TSTInfo's optional tsa field


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The verdict on one token. ``trusted`` only when every check passed.

    ``problem`` is a ``TokenProblem`` key; with UNTRUSTED, ROOT_EXPIRED and
    CERT_EXPIRED the signature itself verified (``signature_ok``), which a report
    shows differently from a broken token.
    """

    info: TokenInfo | None
    problem: str | None = None
    signature_ok: bool = False
    root_subject: str | None = None
    root_sha256: str | None = None
    detail: str = ""

    @property
    def trusted(self) -> bool:
        return self.problem is None


def load_roots(data: bytes) -> list[bytes]:
    """DER certificates from a PEM file (one or more) or a single DER certificate.

    Raises UsageError if none can be read; every one must parse as X.509.
    """
    ders: list[bytes] = []
    try:
        if pem.detect(data):
            for kind, _headers, der in pem.unarmor(data, multiple=True):
                if kind == "CERTIFICATE":
                    ders.append(der)
        else:
            ders.append(data)
        for der in ders:
            x509.Certificate.load(der, strict=True).native  # noqa: B018  (parse fully)
    except (ValueError, TypeError, OSError) as exc:
        raise UsageError("tsa.root_unreadable", detail=str(exc)) from None
    if not ders:
        raise UsageError("tsa.root_unreadable", detail="no certificate in the file")
    return ders


def certificate_summary(der: bytes) -> tuple[str, str, datetime, datetime]:
    """Subject, SHA-256 fingerprint (hex), not-before and not-after of a certificate."""
    cert = x509.Certificate.load(der)
    validity = cert["tbs_certificate"]["validity"]
    return (
        cert.subject.human_friendly,
        hashlib.sha256(der).hexdigest(),
        validity["not_before"].native,
        validity["not_after"].native,
    )


@dataclass(slots=True)
class _Parsed:
    """A token taken apart. The signed bytes are captured as they arrived, before
    anything is parsed further: asn1crypto re-encodes (and so re-sorts) a SET whose
    children it has touched, and real servers sign SETs in whatever order they wrote
    them; re-sorted bytes would fail a genuine signature."""

    tst: tsp.TSTInfo
    signer_info: cms.SignerInfo
    signed_attrs_der: bytes | None  # the [0] IMPLICIT SET re-tagged as SET OF, as signed
    econtent: bytes  # the TSTInfo's DER, as hashed into the message-digest attribute
    certs: list[tuple[bytes, x509.Certificate]]  # (DER as sent, parsed copy)
    signer: x509.Certificate | None
    signer_der: bytes | None


def _parse(token: bytes) -> _Parsed:
    info = cms.ContentInfo.load(token, strict=True)
    if info["content_type"].native != "signed_data":
        raise ValueError("not a CMS SignedData")
    signed = info["content"]
    eci = signed["encap_content_info"]
    if eci["content_type"].native != "tst_info":
        raise ValueError("not a time-stamp token")
    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise ValueError("a time-stamp token has exactly one signer")
    signer_info = infos[0]
    attrs = signer_info["signed_attrs"]
    attrs_der = None if isinstance(attrs, core.Void) else parser.emit(0, 1, 17, attrs.contents)
    econtent = eci["content"].contents
    tst = tsp.TSTInfo.load(econtent, strict=True)
    certs = []
    for choice in signed["certificates"] or []:
        if choice.name == "certificate":
            raw = choice.dump()
            certs.append((raw, x509.Certificate.load(raw, strict=True)))
    signer_der, signer = _signer_certificate(signer_info["sid"], certs)
    return _Parsed(tst, signer_info, attrs_der, econtent, certs, signer, signer_der)


def read_token(token: bytes) -> TokenInfo:
    """What the token says (time, serial, imprint...). Raises ValueError if malformed."""
    try:
        return _info(_parse(token))
    except _MALFORMED_ERRORS as exc:
        raise ValueError(f"malformed time-stamp token: {exc}") from None


def _info(parsed: _Parsed) -> TokenInfo:
    tst = parsed.tst
    imprint = tst["message_imprint"]
    tsa = tst["tsa"]
    return TokenInfo(
        gen_time=tst["gen_time"].native,
        serial=tst["serial_number"].native,
        nonce=tst["nonce"].native,
        policy=tst["policy"].dotted,
        hash_algorithm=imprint["hash_algorithm"]["algorithm"].native,
        imprint=imprint["hashed_message"].native,
        signer=parsed.signer.subject.human_friendly if parsed.signer is not None else "?",
        tsa_name=None if isinstance(tsa, core.Void) else _general_name(tsa),
    )


def _general_name(name: x509.GeneralName) -> str:
    chosen = name.chosen
    return chosen.human_friendly if isinstance(chosen, x509.Name) else str(chosen.native)


def _same_name(a: x509.Name, b: x509.Name) -> bool:
    """Equal names; equal DER is the common case and spares RFC 4518 string prep."""
    return a.dump() == b.dump() or a == b


def _signer_certificate(
    sid: cms.SignerIdentifier, certs: list[tuple[bytes, x509.Certificate]]
) -> tuple[bytes | None, x509.Certificate | None]:
    for raw, cert in certs:
        if sid.name == "issuer_and_serial_number":
            if cert.serial_number == sid.chosen["serial_number"].native and _same_name(
                cert.issuer, sid.chosen["issuer"]
            ):
                return raw, cert
        elif cert.key_identifier == sid.chosen.native:
            return raw, cert
    return None, None


def _attribute(attrs: cms.CMSAttributes, name: str) -> object | None:
    found = [a for a in attrs if a["type"].native == name]
    if not found:
        return None
    if len(found) != 1 or len(found[0]["values"]) != 1:
        raise ValueError(f"attribute {name} must occur once")
    return found[0]["values"][0]


def _ess_matches(signed_attrs: cms.CMSAttributes, cert_der: bytes, cert: x509.Certificate) -> bool:
    """RFC 2634 / RFC 5035 ESSCertID(v2): the first entry is the signer's certificate."""
    v2 = _attribute(signed_attrs, "signing_certificate_v2")
    v1 = _attribute(signed_attrs, "signing_certificate")
    if v2 is not None:
        certid = v2["certs"][0]
        algorithm = certid["hash_algorithm"]["algorithm"].native
        if algorithm not in _HASHES:
            return False
        digest = _HASHES[algorithm](cert_der).digest()
    elif v1 is not None:
        certid = v1["certs"][0]
        digest = hashlib.sha1(cert_der, usedforsecurity=False).digest()
    else:
        return False
    if digest != certid["cert_hash"].native:
        return False
    issuer_serial = certid["issuer_serial"]
    if isinstance(issuer_serial, core.Void):
        return True
    names = [n.chosen for n in issuer_serial["issuer"] if n.name == "directory_name"]
    return issuer_serial["serial_number"].native == cert.serial_number and any(
        _same_name(cert.issuer, n) for n in names
    )


def _critical_time_stamping(cert: x509.Certificate) -> bool:
    for ext in cert["tbs_certificate"]["extensions"] or []:
        if ext["extn_id"].native == "extended_key_usage":
            return bool(ext["critical"].native) and ext["extn_value"].native == ["time_stamping"]
    return False


def check_token(token: bytes, data: bytes, roots: Sequence[bytes]) -> TokenCheck:
    """Verify ``token`` over ``data`` against ``roots`` (DER). Never raises on bad input."""
    return check_tokens([(token, data)], roots)[0]


def check_token_digest(token: bytes, digest: bytes, roots: Sequence[bytes]) -> TokenCheck:
    """Verify ``token`` over data known only by its SHA-256 ``digest`` (a PDF document
    time-stamp, whose byte ranges pyHanko hashes)."""
    paths = _PathCache(roots)
    return _check_one(token, lambda algo: digest if algo == "sha256" else None, paths)


def check_tokens(items: Sequence[tuple[bytes, bytes]], roots: Sequence[bytes]) -> list[TokenCheck]:
    """Verify many (token, data) pairs against ``roots``; one verdict each, in order.

    Tokens of one TSA share their signing certificate, so its path is built once and
    reused for every token whose genTime lies where every certificate on that path
    was valid: with revocation not consulted, the verdict cannot differ there.
    """
    paths = _PathCache(roots)
    return [_check_one(token, _hashing(data), paths) for token, data in items]


def _hashing(data: bytes) -> Callable[[str], bytes | None]:
    """The expected imprint of ``data`` for a token's hash algorithm."""
    return lambda algo: _HASHES[algo](data).digest() if algo in _HASHES else None


def _check_one(
    token: bytes, expected: Callable[[str], bytes | None], paths: _PathCache
) -> TokenCheck:
    try:
        parsed = _parse(token)
        info = _info(parsed)
    except _MALFORMED_ERRORS as exc:
        return TokenCheck(None, TokenProblem.MALFORMED, detail=str(exc))
    try:
        return _judge(parsed, info, expected, paths)
    except _MALFORMED_ERRORS as exc:
        return TokenCheck(info, TokenProblem.MALFORMED, detail=str(exc)[:200])


def _judge(
    parsed: _Parsed,
    info: TokenInfo,
    expected: Callable[[str], bytes | None],
    paths: _PathCache,
) -> TokenCheck:
    want = expected(info.hash_algorithm)
    if want is None or want != info.imprint:
        return TokenCheck(info, TokenProblem.IMPRINT)
    cert, cert_der = parsed.signer, parsed.signer_der
    if cert is None or cert_der is None:
        return TokenCheck(info, TokenProblem.ESS, detail="signing certificate not included")
    if parsed.signed_attrs_der is None:
        return TokenCheck(info, TokenProblem.SIGNATURE, detail="no signed attributes")
    if not _ess_matches(parsed.signer_info["signed_attrs"], cert_der, cert):
        return TokenCheck(info, TokenProblem.ESS)
    if not _signature_ok(parsed, cert):
        return TokenCheck(info, TokenProblem.SIGNATURE)
    if not _critical_time_stamping(cert):
        return TokenCheck(info, TokenProblem.USAGE, signature_ok=True)
    others = [c for raw, c in parsed.certs if raw != cert_der]
    return paths.check(info, cert_der, cert, others)


def _signature_ok(parsed: _Parsed, cert: x509.Certificate) -> bool:
    """RFC 5652 section 5.4: content-type and message-digest attributes, then the
    signature over the signed attributes as they were signed."""
    from pyhanko_certvalidator.sig_validate import (
        DefaultSignatureValidator,
        SignatureValidationContext,
    )

    signer_info = parsed.signer_info
    attrs = signer_info["signed_attrs"]
    md = signer_info["digest_algorithm"]["algorithm"].native
    if md not in _HASHES or parsed.signed_attrs_der is None:
        return False
    if getattr(_attribute(attrs, "content_type"), "native", None) != "tst_info":
        return False
    digest = _attribute(attrs, "message_digest")
    if digest is None or digest.native != _HASHES[md](parsed.econtent).digest():
        return False
    try:
        DefaultSignatureValidator().validate_signature(
            signer_info["signature"].native,
            parsed.signed_attrs_der,
            cert.public_key,
            signer_info["signature_algorithm"],
            SignatureValidationContext(contextual_md_algorithm=md),
        )
    except (P.InvalidSignature, ValueError):  # certvalidator's own errors subclass the first
        return False
    return True


def _failed(problem: str, exc: Exception) -> dict[str, object]:
    """A path verdict on a token whose signature itself verified."""
    return {"problem": problem, "signature_ok": True, "detail": str(exc)}


def _validity(cert: x509.Certificate) -> tuple[datetime, datetime]:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native, validity["not_after"].native


def _loadable(roots: Sequence[bytes]) -> list[x509.Certificate]:
    """The roots that are certificates; anything else anchors nothing (a proof file's
    ``tsa_roots`` is hostile input: ``[""]`` once raised from inside asn1crypto)."""
    out = []
    for der in roots:
        try:
            cert = x509.Certificate.load(der)
            _ = cert.native  # parse it all now, not halfway through building a path
        except (ValueError, TypeError, KeyError):
            continue
        out.append(cert)
    return out


class _PathCache:
    """Certificate paths to the roots, judged at a token's genTime, built once per
    signing certificate and validity window."""

    def __init__(self, roots: Sequence[bytes]):
        self.anchors = _loadable(roots)
        # signer DER -> (first, last moment the verdict holds, verdict fields)
        self._done: dict[bytes, list[tuple[datetime, datetime, dict[str, object]]]] = {}

    def check(
        self,
        info: TokenInfo,
        cert_der: bytes,
        cert: x509.Certificate,
        others: list[x509.Certificate],
    ) -> TokenCheck:
        for start, end, found in self._done.get(cert_der, []):
            if start <= info.gen_time <= end:
                return TokenCheck(info, **found)  # type: ignore[arg-type]
        found, window = self._validate(info.gen_time, cert, others)
        if window is not None:
            self._done.setdefault(cert_der, []).append((*window, found))
        return TokenCheck(info, **found)  # type: ignore[arg-type]

    def _validate(
        self, moment: datetime, cert: x509.Certificate, others: list[x509.Certificate]
    ) -> tuple[dict[str, object], tuple[datetime, datetime] | None]:
        from pyhanko_certvalidator import CertificateValidator, ValidationContext
        from pyhanko_certvalidator import errors as cv_errors

        context = ValidationContext(
            trust_roots=self.anchors,
            other_certs=others,
            moment=moment,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(cert, validation_context=context)
        try:
            path = asyncio.run(validator.async_validate_usage(set(), {"time_stamping"}))
        except (cv_errors.ExpiredError, cv_errors.NotYetValidError) as exc:
            expired = self.anchors and all(
                not _validity(a)[0] <= moment <= _validity(a)[1] for a in self.anchors
            )
            problem = TokenProblem.ROOT_EXPIRED if expired else TokenProblem.CERT_EXPIRED
            return _failed(problem, exc), None
        except cv_errors.InvalidCertificateError as exc:
            return {"problem": TokenProblem.USAGE, "signature_ok": True, "detail": str(exc)}, None
        except (cv_errors.PathBuildingError, cv_errors.PathValidationError) as exc:
            return {
                "problem": TokenProblem.UNTRUSTED,
                "signature_ok": True,
                "detail": str(exc),
            }, None
        root = getattr(path.trust_anchor.authority, "certificate", None)
        if root is None:
            return {"problem": TokenProblem.UNTRUSTED, "signature_ok": True}, None
        subject, fingerprint, not_before, not_after = certificate_summary(root.dump())
        found: dict[str, object] = {
            "root_subject": subject,
            "root_sha256": fingerprint,
            "signature_ok": True,
        }
        if not not_before <= moment <= not_after:
            # RFC 5280 path validation does not look at the anchor's own dates; a
            # court would, so a root that had expired when the token was made fails.
            found.update(problem=TokenProblem.ROOT_EXPIRED, detail=not_after.isoformat())
            return found, None
        windows = [_validity(c) for c in path] + [(not_before, not_after)]
        return found, (max(w[0] for w in windows), min(w[1] for w in windows))
