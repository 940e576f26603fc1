"""Tamper evidence: canonical leaf encoding, the RFC 6962 Merkle tree, signed checkpoints."""
