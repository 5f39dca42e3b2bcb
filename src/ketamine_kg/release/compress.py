"""The precompressed copies of the dumps: deterministic gzip, byte-identical across builds.

A gzip member records a modification time and, optionally, the original file name (RFC 1952,
section 2.3); both are left empty (mtime 0, no name), so the bytes depend only on the content
and on zlib's compressor at level 9. Static hosts serve them in place of the dump to clients
that accept gzip (nginx `gzip_static`, docs/hosting.md) and as downloads of their own.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping

from ketamine_kg.release.directory import GZIP_SUFFIX, is_dump


def gzip_bytes(data: bytes) -> bytes:
    """`data` as one gzip member with no file name and modification time 0.

    >>> packed = gzip_bytes(b"<a> <b> <c> .")
    >>> list(packed[3:8]), gzip.decompress(packed)  # flags (no name), mtime
    ([0, 0, 0, 0, 0], b'<a> <b> <c> .')
    """
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(data)
    return buffer.getvalue()


def compressed_dumps(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """`<name>.gz` for every dump among `files` (directory.is_dump), by name."""
    return {name + GZIP_SUFFIX: gzip_bytes(data) for name, data in files.items() if is_dump(name)}
