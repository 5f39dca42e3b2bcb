"""The dumps' gzip copies (release/compress.py): deterministic, level 9, level 6 for large dumps."""

from __future__ import annotations

import gzip
import zlib

import pytest

from ketamine_kg.release import compress

DATA = b"".join(
    b'<https://example.org/s%d> <https://example.org/p> "%d" .\n' % (i, i * i) for i in range(5000)
)


def _deflated_at(level: int, data: bytes) -> bytes:
    raw = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return raw.compress(data) + raw.flush()


@pytest.mark.parametrize(("limit", "level"), [(len(DATA) + 1, 9), (len(DATA), 6)])
def test_a_dump_is_gzipped_at_the_level_for_its_size(
    monkeypatch: pytest.MonkeyPatch, limit: int, level: int
) -> None:
    monkeypatch.setattr(compress, "LARGE_DUMP", limit)
    packed = compress.gzip_bytes(DATA)
    assert gzip.decompress(packed) == DATA
    assert packed == compress.gzip_bytes(DATA)  # the same bytes every time
    assert packed[4:8] == b"\0\0\0\0" and packed[3] == 0  # mtime 0, no file name
    assert packed[10:-8] == _deflated_at(level, DATA)  # the member's deflate stream


def test_the_levels_differ_on_this_data() -> None:
    """Otherwise the test above could not tell them apart."""
    assert _deflated_at(9, DATA) != _deflated_at(6, DATA)
