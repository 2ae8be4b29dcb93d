"""The only places that touch a file's bytes: atomic writes, checksums, manifest, DCASE CSV.

Every module of bindata that writes a file goes through :mod:`bindata.io.atomic`, hashes through
:mod:`bindata.io.checksum` and reads or writes a dataset's manifest through
:mod:`bindata.io.manifest`; see ``docs/design.md`` ("Files").
"""

from .atomic import (
    TMP_MARK,
    atomic_path,
    is_temporary,
    remove_stale_temporaries,
    write_bytes,
    write_json,
    write_npy,
    write_text,
    write_wav,
)
from .checksum import sha256_bytes, sha256_file, sha256_json
from .manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    RUN_MARKER,
    manifest_path,
    manifest_problems,
    read_json,
    read_manifest,
    write_manifest,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "RUN_MARKER",
    "TMP_MARK",
    "atomic_path",
    "is_temporary",
    "manifest_path",
    "manifest_problems",
    "read_json",
    "read_manifest",
    "remove_stale_temporaries",
    "sha256_bytes",
    "sha256_file",
    "sha256_json",
    "write_bytes",
    "write_json",
    "write_manifest",
    "write_npy",
    "write_text",
    "write_wav",
]
