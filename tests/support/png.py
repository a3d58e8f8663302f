"""Reading what a PNG says about itself, and what it shows where, to check charts."""

from __future__ import annotations

import io


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; AssertionError if `data` is not a PNG."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def pixels(data: bytes):
    """The PNG decoded (PIL, which matplotlib brings) as an RGB image, to look at
    what a chart shows where."""
    from PIL import Image

    return Image.open(io.BytesIO(data)).convert("RGB")
