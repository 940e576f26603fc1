"""The Merkle tree of RFC 6962 / RFC 9162 (Certificate Transparency), exactly.

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right); the tree over
n leaves splits at the largest power of two smaller than n. Using the public
construction means any CT-style verifier can check our proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf *hashes*."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    # Bottom-up with the compact frontier: O(n) hashing, O(log n) memory.
    frontier = Frontier()
    for h in leaves:
        frontier.append(h)
    return frontier.root()


class Frontier:
    """The right edge of the tree: one perfect-subtree root per set bit of the size.

    Appending is O(log n) and gives the root of every prefix of the log, so the
    ledger can sign a checkpoint after each entry without rereading old leaves.
    """

    __slots__ = ("size", "stack")

    def __init__(self, size: int = 0, stack: list[bytes] | None = None):
        self.size = size
        self.stack: list[bytes] = list(stack or [])
        if len(self.stack) != bin(size).count("1"):
            raise ValueError("frontier does not match its size")

    def append(self, leaf: bytes) -> None:
        h = leaf
        n = self.size
        while n & 1:
            h = node_hash(self.stack.pop(), h)
            n >>= 1
        self.stack.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        h = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> Frontier:
        return Frontier(self.size, self.stack)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1."""
    n = len(leaves)
    if not 0 <= index < n:
        raise IndexError("leaf index out of range")
    return _path(index, leaves, 0, n)


def _path(m: int, leaves: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves, lo, lo + k), _subroot(leaves, lo + k, hi)]
    return [*_path(m - k, leaves, lo + k, hi), _subroot(leaves, lo, lo + k)]


def _subroot(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root(leaves[lo:hi])


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, pairing left to right and carrying an
    odd last node up unchanged. For RFC 6962's left-balanced tree, node ``i`` of level
    ``l`` is then the root of leaves ``[i * 2**l, min((i + 1) * 2**l, n))``."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        prev = levels[-1]
        nxt = [node_hash(prev[i], prev[i + 1]) for i in range(0, len(prev) - 1, 2)]
        if len(prev) % 2:
            nxt.append(prev[-1])
        levels.append(nxt)
    return levels


def inclusion_proofs(indices: Sequence[int], leaves: Sequence[bytes]) -> dict[int, list[bytes]]:
    """Inclusion proofs for many leaves at once, in O(n + k log n).

    Reads the proofs off :func:`_levels`, so they equal :func:`inclusion_proof`'s (a
    test checks it).
    """
    n = len(leaves)
    levels = _levels(leaves)
    out: dict[int, list[bytes]] = {}
    for index in indices:
        if not 0 <= index < n:
            raise IndexError("leaf index out of range")
        proof = []
        i = index
        for level in levels[:-1]:
            sibling = i ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            i >>= 1
        out[index] = proof
    return out


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError("old size out of range")
    return _subproof(old_size, lambda lo, hi: _subroot(leaves, lo, hi), 0, n, True)


def consistency_proofs(old_sizes: Sequence[int], leaves: Sequence[bytes]) -> dict[int, list[bytes]]:
    """Consistency proofs from many earlier sizes to the whole tree, in O(n + k log n).

    Every subtree the RFC's recursion asks for starts at a multiple of the smallest
    power of two at least as large as the subtree, and either is that large or ends
    at the tree's right edge: exactly one node of :func:`_levels`. A test checks the
    proofs equal :func:`consistency_proof`'s.
    """
    n = len(leaves)
    levels = _levels(leaves)

    def subroot(lo: int, hi: int) -> bytes:
        level = (hi - lo - 1).bit_length()
        return levels[level][lo >> level]

    out: dict[int, list[bytes]] = {}
    for m in old_sizes:
        if not 0 < m <= n:
            raise ValueError("old size out of range")
        out[m] = _subproof(m, subroot, 0, n, True)
    return out


def _subproof(
    m: int, subroot: Callable[[int, int], bytes], lo: int, hi: int, whole: bool
) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [subroot(lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, subroot, lo, lo + k, whole), subroot(lo + k, hi)]
    return [*_subproof(m - k, subroot, lo + k, hi, False), subroot(lo, lo + k)]


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old_size == new_size:
        return old_root == new_root and not proof
    if not 0 < old_size < new_size:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node we have
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
