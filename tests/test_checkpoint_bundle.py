"""Signed checkpoints (C2SP note format) and the dossier's proof bundle."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.crypto import Signer, random_bytes
from evidence_locker.ledger import merkle
from evidence_locker.ledger.bundle import EntryReveal, build_bundle, verify_bundle
from evidence_locker.ledger.canonical import SALT_SIZE, commitment, entry_leaf_hash
from evidence_locker.ledger.checkpoint import (
    Checkpoint,
    open_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

ORIGIN = "evidence-locker/test"


def test_note_has_the_signed_note_shape_and_verifies() -> None:
    signer = Signer(b"\x07" * 32)
    cp = Checkpoint(ORIGIN, 5, b"\x01" * 32)
    note = sign_note(cp, signer)
    body, sig = note.split("\n\n")
    assert body == f"{ORIGIN}\n5\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
    assert sig.startswith("\u2014 " + ORIGIN + " ")
    assert open_note(note, ORIGIN, signer.public_key) == cp
    name, key = parse_verifier_key(verifier_key(ORIGIN, signer.public_key))
    assert (name, key) == (ORIGIN, signer.public_key)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda n: n.replace("\n5\n", "\n6\n"),
        lambda n: n.replace(ORIGIN, ORIGIN + "x", 1),
        lambda n: n[:-10] + ("A" if n[-10] != "A" else "B") + n[-9:],
        lambda n: n.split("\n\n")[0] + "\n",
    ],
)
def test_any_change_to_a_note_fails(mutate) -> None:  # type: ignore[no-untyped-def]
    signer = Signer(b"\x07" * 32)
    note = sign_note(Checkpoint(ORIGIN, 5, b"\x01" * 32), signer)
    with pytest.raises(ValueError):
        open_note(mutate(note), ORIGIN, signer.public_key)


def test_note_signed_by_another_key_fails() -> None:
    note = sign_note(Checkpoint(ORIGIN, 1, b"\x01" * 32), Signer(b"\x01" * 32))
    with pytest.raises(ValueError):
        open_note(note, ORIGIN, Signer(b"\x02" * 32).public_key)


def _tree(n: int) -> tuple[list[EntryReveal], list[bytes], Signer]:
    entries, leaves = [], []
    for seq in range(n):
        fields = {
            "content": (random_bytes(SALT_SIZE), f"第{seq}条 message {seq}"),
            "address": (random_bytes(SALT_SIZE), f"+861380013800{seq}"),
        }
        header = {"seq": seq, "id": f"id{seq}", "record_id": f"id{seq}", "kind": "record"}
        commitments = {k: commitment(s, v) for k, (s, v) in fields.items()}
        leaves.append(entry_leaf_hash(header, commitments))
        entries.append(EntryReveal(seq=seq, header=header, fields=fields))
    return entries, leaves, Signer(b"\x03" * 32)


def test_bundle_verifies_with_and_without_redaction() -> None:
    entries, leaves, signer = _tree(9)
    note = sign_note(Checkpoint(ORIGIN, 9, merkle.root(leaves)), signer)
    chosen = [entries[2], dataclasses.replace(entries[5], redact=frozenset({"address"}))]
    anchor = sign_note(Checkpoint(ORIGIN, 4, merkle.root(leaves[:4])), signer)
    bundle = build_bundle(
        origin=ORIGIN,
        public_key=signer.public_key,
        checkpoint_note=note,
        leaves=leaves,
        entries=chosen,
        anchors=[(anchor, 4)],
    )
    text = json.dumps(bundle, ensure_ascii=False)
    assert "+8613800138005" not in text  # the redacted number is not in the bundle
    report = verify_bundle(text)
    assert report.ok, report.failures
    assert report.verified == [2, 5] and report.anchors_ok == 1


def test_bundle_names_the_changed_or_moved_entry() -> None:
    entries, leaves, signer = _tree(6)
    note = sign_note(Checkpoint(ORIGIN, 6, merkle.root(leaves)), signer)
    bundle = build_bundle(
        origin=ORIGIN,
        public_key=signer.public_key,
        checkpoint_note=note,
        leaves=leaves,
        entries=entries,
    )
    changed = copy.deepcopy(bundle)
    changed["entries"][3]["revealed"]["content"]["value"] = "第3条 edited"
    report = verify_bundle(changed)
    assert not report.ok and report.failures[0][:2] == (3, "id3")
    moved = copy.deepcopy(bundle)
    moved["entries"][1]["seq"] = 2
    assert not verify_bundle(moved).ok
    forged_head = copy.deepcopy(bundle)
    forged_head["checkpoint"] = sign_note(
        Checkpoint(ORIGIN, 6, merkle.root(leaves)), Signer(b"\x09" * 32)
    )
    assert verify_bundle(forged_head).failures[0][2].startswith("checkpoint")


@pytest.mark.parametrize("junk", [b"", b"{}", b"[]", b"\xff\xfe", b'{"format": 1}', b"null"])
def test_bundle_verifier_reports_junk_without_raising(junk: bytes) -> None:
    report = verify_bundle(junk) if junk else verify_bundle("")
    assert not report.ok


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(max_codepoint=127), max_size=6), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_canonical_json_equals_rfc8785(value: object) -> None:
    import rfc8785

    from evidence_locker.ledger.canonical import jcs

    try:
        expected = rfc8785.dumps(value)
    except Exception:  # e.g. lone surrogates: both must refuse
        with pytest.raises(Exception):  # noqa: B017
            jcs(value)
        return
    assert jcs(value) == expected
