"""Checksums: SHA-256 of files, bytes and JSON-able values (one implementation for bindata)."""

from __future__ import annotations

import hashlib
import json
import os


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_json(obj, *, length: int | None = None) -> str:
    """Hex SHA-256 of ``obj`` as canonical JSON (sorted keys); the first ``length`` digits.

    Used for cache keys: the same parameters always give the same key.
    """
    digest = sha256_bytes(json.dumps(obj, sort_keys=True).encode("utf-8"))
    return digest if length is None else digest[:length]
