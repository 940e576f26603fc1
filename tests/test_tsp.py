"""RFC 3161 client and token verification (evidence_locker/crypto/tsp_client.py,
tsp_token.py).

Tokens come from ``openssl ts -reply`` behind the local server (tests/tsa_server.py);
verdicts are cross-checked with ``openssl ts -verify`` and with pyHanko's own
time-stamp validation, two implementations independent of ours.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, parser, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import tsp_client as C
from evidence_locker.crypto import tsp_token as T
from evidence_locker.errors import UsageError
from tests.tsa_server import Behaviour, TsaServer, make_pki, openssl_reply, unused_port

DATA = "evidence-locker/0123\n3\nAAAA\n\n— evidence-locker/0123 sig\n".encode()


def _token(pki, data: bytes = DATA) -> bytes:  # type: ignore[no-untyped-def]
    nonce = C.new_nonce()
    response = openssl_reply(pki, C.build_request(data, nonce))
    return C.token_from_response(response, url="test", nonce=nonce)


@pytest.fixture(scope="module")
def token(tsa_pki) -> bytes:  # type: ignore[no-untyped-def]
    return _token(tsa_pki)


@pytest.fixture(scope="module")
def roots(tsa_pki) -> list[bytes]:  # type: ignore[no-untyped-def]
    return T.load_roots(tsa_pki.root_pem)


def _openssl_verify(tmp_path: Path, token: bytes, data: bytes, root: Path) -> bool:
    (tmp_path / "t.tst").write_bytes(token)
    (tmp_path / "data").write_bytes(data)
    proc = subprocess.run(
        [
            *("openssl", "ts", "-verify", "-token_in", "-in", str(tmp_path / "t.tst")),
            *("-data", str(tmp_path / "data"), "-CAfile", str(root)),
        ],
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0 and "Verification: OK" in proc.stdout


def _pyhanko_verdict(token: bytes, data: bytes, root_pem: bytes) -> bool:
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    signed = cms.ContentInfo.load(token)["content"]
    gen_time = signed["encap_content_info"]["content"].parsed["gen_time"].native
    roots = [x509.Certificate.load(r) for r in T.load_roots(root_pem)]
    context = ValidationContext(trust_roots=roots, moment=gen_time)
    status = asyncio.run(
        validate_tst_signed_data(signed, context, lambda algo: hashlib.new(algo, data).digest())
    )
    return bool(status["intact"] and status["valid"] and status["trust_problem_indic"] is None)


# -- the request ----------------------------------------------------------------------


def test_request_is_read_by_openssl_as_we_mean_it(tmp_path: Path) -> None:
    (tmp_path / "q.tsq").write_bytes(C.build_request(DATA, 0x1234ABCD))
    out = subprocess.run(
        ["openssl", "ts", "-query", "-in", str(tmp_path / "q.tsq"), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Hash Algorithm: sha256" in out
    assert "Nonce: 0x1234ABCD" in out
    assert "Certificate required: yes" in out
    digest = hashlib.sha256(DATA).hexdigest()
    hexdump = "".join(
        line.split(" - ")[1][:47].replace("-", " ").replace(" ", "")
        for line in out.splitlines()
        if " - " in line
    )
    assert hexdump == digest


def test_nonces_are_large_and_differ() -> None:
    nonces = {C.new_nonce() for _ in range(50)}
    assert len(nonces) == 50 and all(0 < n < 2**63 for n in nonces)


# -- a good token ---------------------------------------------------------------------


def test_good_token_verifies_and_says_what_openssl_says(
    token: bytes, roots: list[bytes], tsa_pki, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    check = T.check_token(token, DATA, roots)
    assert check.trusted and check.signature_ok
    assert check.root_subject and "Test TSA Root" in check.root_subject
    assert check.root_sha256 == hashlib.sha256(roots[0]).hexdigest()
    assert check.info is not None
    assert abs(check.info.gen_time - datetime.now(UTC)) < timedelta(minutes=5)
    assert check.info.imprint == hashlib.sha256(DATA).digest()
    assert "Test TSA Signer" in check.info.signer
    assert _openssl_verify(tmp_path, token, DATA, tsa_pki.root_path)
    assert _pyhanko_verdict(token, DATA, tsa_pki.root_pem)


def test_the_stored_token_is_the_servers_bytes(tsa, roots: list[bytes], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token, check = C.request_token(tsa.url, DATA, roots, timeout=10)
    assert check.trusted
    (tmp_path / "r.tsr").write_bytes(tsa.last_response)
    subprocess.run(
        [
            *("openssl", "ts", "-reply", "-in", str(tmp_path / "r.tsr")),
            *("-token_out", "-out", str(tmp_path / "t.tst")),
        ],
        check=True,
        capture_output=True,
    )
    assert token == (tmp_path / "t.tst").read_bytes()


def test_unsorted_certificate_set_is_accepted_byte_for_byte(tsa, roots: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    tsa.behaviour = Behaviour.UNSORTED_CERTS
    token, check = C.request_token(tsa.url, DATA, roots, timeout=10)
    assert check.trusted
    certs = cms.ContentInfo.load(token)["content"]["certificates"]
    encodings = [c.dump() for c in certs]
    assert encodings != sorted(encodings)  # still in the order the server sent
    assert token in tsa.last_response


def _resign(pki, token: bytes, attrs_contents: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """The token with its signed attributes' contents replaced (same length) and
    signed again by the TSA's key, as a server that wrote them so would send it."""
    key = serialization.load_pem_private_key((pki.directory / "tsa.key").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    info = cms.ContentInfo.load(token)["content"]["signer_infos"][0]
    old_attrs = info["signed_attrs"].contents
    old_sig = info["signature"].native
    signed_set = parser.emit(0, 1, 17, attrs_contents)
    while True:  # ECDSA signatures vary in length; keep the token's layout
        sig = key.sign(signed_set, ec.ECDSA(hashes.SHA256()))
        if len(sig) == len(old_sig):
            break
    assert token.count(old_attrs) == 1 and token.count(old_sig) == 1
    return token.replace(old_attrs, attrs_contents).replace(old_sig, sig)


def test_unsorted_signed_attributes_are_accepted(token: bytes, roots: list[bytes], tsa_pki) -> None:  # type: ignore[no-untyped-def]
    attrs = cms.ContentInfo.load(token)["content"]["signer_infos"][0]["signed_attrs"]
    encodings = [a.dump() for a in attrs]
    unsorted = b"".join(sorted(encodings, reverse=True))
    assert unsorted != b"".join(sorted(encodings))
    resigned = _resign(tsa_pki, token, unsorted)
    assert T.check_token(resigned, DATA, roots).trusted
    assert _pyhanko_verdict(resigned, DATA, tsa_pki.root_pem)


# -- every way a token or a server can be wrong ------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "key"),
    [
        (Behaviour.HTTP_ERROR, "tsa.http_error"),
        (Behaviour.OTHER_HASH, "tsa.token.imprint"),
        (Behaviour.OTHER_SIGNER, "tsa.token.untrusted"),
        (Behaviour.WRONG_NONCE, "tsa.nonce"),
        (Behaviour.MALFORMED, "tsa.malformed_reply"),
        (Behaviour.REJECTION, "tsa.rejected"),
        (Behaviour.WRONG_TYPE, "tsa.not_a_reply"),
    ],
)
def test_a_misbehaving_server_is_named(tsa, roots: list[bytes], behaviour, key: str) -> None:  # type: ignore[no-untyped-def]
    tsa.behaviour = behaviour
    with pytest.raises(C.TimestampError) as info:
        C.request_token(tsa.url, DATA, roots, timeout=10)
    assert info.value.key == key
    assert tsa.url in str(info.value) and "\n" not in str(info.value)


def test_slow_and_unreachable_servers(tsa_pki, roots: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    with TsaServer(tsa_pki, Behaviour.SLOW, slow_s=2.0) as slow:
        with pytest.raises(C.TimestampError) as info:
            C.request_token(slow.url, DATA, roots, timeout=0.3)
        assert info.value.key == "tsa.timeout"
    with pytest.raises(C.TimestampError) as info:
        C.request_token(f"http://127.0.0.1:{unused_port()}/tsr", DATA, roots, timeout=2)
    assert info.value.key == "tsa.unreachable"


def test_only_http_urls_are_asked() -> None:
    with pytest.raises(UsageError):
        C.post_request("file:///etc/passwd", b"x", timeout=1)


def test_token_under_another_root_is_untrusted_not_broken(tsa_pki, token: bytes) -> None:  # type: ignore[no-untyped-def]
    stranger = T.load_roots((tsa_pki.directory / "stranger-root.pem").read_bytes())
    check = T.check_token(token, DATA, stranger)
    assert check.problem == T.TokenProblem.UNTRUSTED and check.signature_ok
    assert check.info is not None and check.info.gen_time


def test_expired_root(tmp_path: Path) -> None:
    old = make_pki(tmp_path / "old", root_not_after=datetime(2020, 1, 1, tzinfo=UTC))
    check = T.check_token(_token(old), DATA, T.load_roots(old.root_pem))
    assert check.problem == T.TokenProblem.ROOT_EXPIRED and check.signature_ok


def test_root_expired_while_the_tsa_certificate_claims_more(tmp_path: Path) -> None:
    """A CA that issued past its own end: path validation does not look at the
    anchor's dates, we do."""
    now = datetime.now(UTC)
    pki = make_pki(
        tmp_path / "odd",
        root_not_after=now - timedelta(days=1),
        tsa_not_after=now + timedelta(days=300),
    )
    check = T.check_token(_token(pki), DATA, T.load_roots(pki.root_pem))
    assert check.problem == T.TokenProblem.ROOT_EXPIRED


def test_a_token_stays_trusted_after_its_certificates_expire(tmp_path: Path) -> None:
    """Evidence outlives certificates: the path is judged at genTime, not today."""
    import time

    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    brief = make_pki(tmp_path / "brief", root_not_after=end, tsa_not_after=end, stranger=False)
    token = _token(brief)
    roots = T.load_roots(brief.root_pem)
    assert T.check_token(token, DATA, roots).trusted
    time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()) + 1.1)
    later = T.check_token(token, DATA, roots)
    assert later.trusted and later.info is not None and later.info.gen_time < end


def test_token_for_other_data_fails_the_imprint(token: bytes, roots: list[bytes]) -> None:
    assert T.check_token(token, DATA + b"x", roots).problem == T.TokenProblem.IMPRINT


def test_flipped_signature_fails(token: bytes, roots: list[bytes], tsa_pki, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sig = cms.ContentInfo.load(token)["content"]["signer_infos"][0]["signature"].native
    bad = token.replace(sig, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert T.check_token(bad, DATA, roots).problem == T.TokenProblem.SIGNATURE
    assert not _openssl_verify(tmp_path, bad, DATA, tsa_pki.root_path)


def _edit_attrs(pki, token: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """Re-sign the token after ``edit`` changed its signed attributes (asn1crypto
    re-encodes them; the signature is made over the new encoding)."""
    key = serialization.load_pem_private_key((pki.directory / "tsa.key").read_bytes(), None)
    info = cms.ContentInfo.load(token)
    signer = info["content"]["signer_infos"][0]
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    attrs = cms.CMSAttributes(edit(list(signer["signed_attrs"])))
    to_sign = attrs.dump(force=True)  # a universal SET OF, as RFC 5652 signs it
    signer["signed_attrs"] = attrs
    signer["signature"] = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    return info.dump(force=True)


def test_missing_or_wrong_ess_cert_id_fails(token: bytes, roots: list[bytes], tsa_pki) -> None:  # type: ignore[no-untyped-def]
    def drop(attrs):  # type: ignore[no-untyped-def]
        return [a for a in attrs if a["type"].native not in ("signing_certificate_v2",)]

    def other_cert(attrs):  # type: ignore[no-untyped-def]
        out = []
        for a in attrs:
            if a["type"].native == "signing_certificate_v2":
                value = tsp.SigningCertificateV2.load(a["values"][0].dump())
                value["certs"][0]["cert_hash"] = hashlib.sha256(b"another certificate").digest()
                a = cms.CMSAttribute({"type": "signing_certificate_v2", "values": [value]})
            out.append(a)
        return out

    control = _edit_attrs(tsa_pki, token, lambda attrs: attrs)
    assert T.check_token(control, DATA, roots).trusted  # the re-signing itself is sound
    for edit in (drop, other_cert):
        check = T.check_token(_edit_attrs(tsa_pki, token, edit), DATA, roots)
        assert check.problem == T.TokenProblem.ESS


def _pyhanko_token(pki) -> bytes:  # type: ignore[no-untyped-def]
    """A token from pyHanko's test TSA (RSA only; ESSCertID v1, SHA-1)."""
    from asn1crypto import keys
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    cert = x509.Certificate.load(T.load_roots((pki.directory / "tsa.pem").read_bytes())[0])
    key = serialization.load_pem_private_key((pki.directory / "tsa.key").read_bytes(), None)
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stamper = DummyTimeStamper(cert, keys.PrivateKeyInfo.load(der_key))
    return asyncio.run(stamper.async_timestamp(hashlib.sha256(DATA).digest(), "sha256")).dump()


def test_tsa_certificate_without_critical_time_stamping_usage(tmp_path: Path) -> None:
    """RFC 3161 section 2.3 wants the usage critical. OpenSSL refuses to sign with
    such a certificate, so pyHanko's test TSA makes the tokens; the control (same
    maker, a proper certificate) also covers RSA signers and ESSCertID v1."""
    bad = make_pki(tmp_path / "nc", eku_critical=False, rsa_signer=True, stranger=False)
    check = T.check_token(_pyhanko_token(bad), DATA, T.load_roots(bad.root_pem))
    assert check.problem == T.TokenProblem.USAGE
    good = make_pki(tmp_path / "ok", rsa_signer=True, stranger=False)
    assert T.check_token(_pyhanko_token(good), DATA, T.load_roots(good.root_pem)).trusted


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_flipped_bit_never_changes_what_a_trusted_token_attests(
    token: bytes, roots: list[bytes], position: int, bit: int
) -> None:
    """Hostile bytes never crash the checker, and no mutation that still verifies
    can change the attested time or imprint (bits outside the signature, such as
    the copy of the root the token carries, may flip harmlessly)."""
    position %= len(token)
    bad = bytearray(token)
    bad[position] ^= 1 << bit
    check = T.check_token(bytes(bad), DATA, roots)
    good = T.check_token(token, DATA, roots)
    if check.trusted:
        assert check.info is not None and good.info is not None
        assert (check.info.gen_time, check.info.imprint) == (good.info.gen_time, good.info.imprint)


def test_malformed_tokens_are_reported_not_raised(roots: list[bytes]) -> None:
    for junk in (b"", b"\x30\x00", b"\x30\x82\xff\xff" + b"\x00" * 10, bytes(range(256))):
        assert T.check_token(junk, DATA, roots).problem == T.TokenProblem.MALFORMED
        with pytest.raises(ValueError):
            T.read_token(junk)


# -- roots ----------------------------------------------------------------------------


def test_roots_from_pem_bundle_or_der(tsa_pki) -> None:  # type: ignore[no-untyped-def]
    pem = tsa_pki.root_pem
    stranger = (tsa_pki.directory / "stranger-root.pem").read_bytes()
    assert len(T.load_roots(pem + stranger)) == 2
    der = T.load_roots(pem)[0]
    assert T.load_roots(der) == [der]
    for junk in (b"", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b"hello"):
        with pytest.raises(UsageError):
            T.load_roots(junk)


def test_many_tokens_share_one_path_check(tsa_pki, roots: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    tokens = [_token(tsa_pki, DATA + bytes([i])) for i in range(3)]
    checks = T.check_tokens([(t, DATA + bytes([i])) for i, t in enumerate(tokens)], roots)
    assert all(c.trusted for c in checks)
    mixed = T.check_tokens([(tokens[0], DATA + b"\x00"), (tokens[1], DATA)], roots)
    assert mixed[0].trusted and mixed[1].problem == T.TokenProblem.IMPRINT
