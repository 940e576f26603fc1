"""The Merkle tree against the Certificate Transparency vectors and its own proofs."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from evidence_locker.ledger import merkle

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())


def test_roots_match_certificate_transparency_vectors() -> None:
    leaves = [merkle.leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves_hex"]]
    for n, expected in enumerate(VECTORS["roots_hex"], start=1):
        assert merkle.root(leaves[:n]).hex() == expected


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 70), st.data())
def test_inclusion_proofs_verify_and_detect_changes(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    root = merkle.root(leaves)
    i = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(i, leaves)
    assert merkle.verify_inclusion(i, n, leaves[i], proof, root)
    assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"forged"), proof, root)
    if n > 1:
        assert not merkle.verify_inclusion((i + 1) % n, n, leaves[i], proof, root)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = bytes(32)
        assert not merkle.verify_inclusion(i, n, leaves[i], bad, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 70), st.data())
def test_consistency_proofs_verify_and_detect_rewrites(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    m = data.draw(st.integers(1, n))
    proof = merkle.consistency_proof(m, leaves)
    old_root, new_root = merkle.root(leaves[:m]), merkle.root(leaves)
    assert merkle.verify_consistency(m, n, old_root, new_root, proof)
    rewritten = list(leaves)
    j = data.draw(st.integers(0, m - 1))
    rewritten[j] = merkle.leaf_hash(b"rewritten history")
    if m < n:
        assert not merkle.verify_consistency(m, n, merkle.root(rewritten[:m]), new_root, proof)
        assert not merkle.verify_consistency(m, n, old_root, merkle.root(rewritten), proof)


@given(st.lists(st.binary(max_size=8), max_size=40))
def test_frontier_gives_the_root_of_every_prefix(items: list[bytes]) -> None:
    frontier = merkle.Frontier()
    leaves: list[bytes] = []
    for item in items:
        leaves.append(merkle.leaf_hash(item))
        frontier.append(leaves[-1])
        assert frontier.root() == merkle.root(leaves)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 130))
def test_batch_proofs_equal_the_recursive_definition(n: int) -> None:
    leaves = _leaves(n)
    batch = merkle.inclusion_proofs(range(n), leaves)
    for i in range(n):
        assert batch[i] == merkle.inclusion_proof(i, leaves)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 130))
def test_batch_consistency_proofs_equal_the_recursive_definition(n: int) -> None:
    leaves = _leaves(n)
    batch = merkle.consistency_proofs(range(1, n + 1), leaves)
    for m in range(1, n + 1):
        assert batch[m] == merkle.consistency_proof(m, leaves)
