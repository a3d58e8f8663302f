"""Reading what a PNG says about itself, to check charts without decoding them."""

from __future__ import annotations


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; AssertionError if `data` is not a PNG."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
