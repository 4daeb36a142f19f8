"""Merkle tree hashes, inclusion and consistency proofs as RFC 9162 §2.1 defines them.

Standard library only and free of Django, so the standalone verifier (`legal.verify_log`)
and the site share one implementation of the verification algorithms. Proofs are built
from the recursive definitions (§2.1.3.1, §2.1.4.1) over the list of leaf hashes, and
checked with the iterative algorithms of §2.1.3.2 and §2.1.4.2.
"""

import hashlib

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n):
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    # Bottom-up with the odd node carried up: the same tree as the recursive definition.
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf `index` in the tree of `leaves`."""
    if not 0 <= index < len(leaves):
        raise ValueError("index outside the tree")
    path = []
    while len(leaves) > 1:
        k = _split(len(leaves))
        if index < k:
            path.append(root(leaves[k:]))
            leaves = leaves[:k]
        else:
            path.append(root(leaves[:k]))
            leaves, index = leaves[k:], index - k
    return path[::-1]


def consistency_proof(first: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(first, D[n]): that the tree of the first `first` leaves is a prefix of this one."""
    n = len(leaves)
    if not 0 < first <= n:
        raise ValueError("first size outside the tree")
    proof = []
    complete = True  # the subtree so far is exactly the old tree: its hash is not needed
    m = first
    while m != len(leaves):
        k = _split(len(leaves))
        if m <= k:
            proof.append(root(leaves[k:]))
            leaves = leaves[:k]
        else:
            proof.append(root(leaves[:k]))
            leaves, m, complete = leaves[k:], m - k, False
    if not complete:
        proof.append(root(leaves))
    return proof[::-1]


class ProofError(ValueError):
    """A proof does not verify."""


def root_from_inclusion_proof(index: int, tree_size: int, entry_hash: bytes, proof: list[bytes]) -> bytes:
    """The root that `proof` gives for leaf `index` (RFC 9162 §2.1.3.2); raises ProofError."""
    if not 0 <= index < tree_size:
        raise ProofError("leaf index outside the tree")
    fn, sn, r = index, tree_size - 1, entry_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof too short")
    return r


def verify_inclusion(index: int, tree_size: int, entry_hash: bytes, proof: list[bytes], root_hash: bytes) -> None:
    if root_from_inclusion_proof(index, tree_size, entry_hash, proof) != root_hash:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, proof: list[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError. Equal sizes need an empty proof and equal roots."""
    if not 0 < first <= second:
        raise ProofError("tree sizes out of order")
    if first == second:
        if proof or first_hash != second_hash:
            raise ProofError("equal tree sizes with different roots or a non-empty proof")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    if first & (first - 1) == 0:
        proof = [first_hash, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof too short")
    if fr != first_hash or sr != second_hash:
        raise ProofError("consistency proof does not lead to both roots")
