"""The public pages' static files (web/static), served by the app itself (no CDN, no
external font) under /assets/<name>.<hash>.<extension>: the hash of the content is in
the name, so a browser may keep a file for a year, and a new version is a new URL.

The files are small and read once, at the first use, with their gzip form.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/assets/"
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
HASH_CHARS = 12


@dataclass(frozen=True)
class Asset:
    name: str  # as served: "status.3f9a0c1b2d4e.css"
    body: bytes
    gzipped: bytes
    content_type: str


@cache
def _assets() -> tuple[dict[str, Asset], dict[str, str]]:
    """(asset by served name, served name by file name)."""
    served: dict[str, Asset] = {}
    names: dict[str, str] = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix not in CONTENT_TYPES:
            continue
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:HASH_CHARS]
        name = f"{path.stem}.{digest}{path.suffix}"
        served[name] = Asset(name, body, gzip.compress(body, mtime=0), CONTENT_TYPES[path.suffix])
        names[path.name] = name
    return served, names


def asset(name: str) -> Asset | None:
    """The asset served as `name` (with its hash), None for any other name."""
    return _assets()[0].get(name)


def asset_url(file_name: str) -> str:
    """The URL of web/static/<file_name> (KeyError for a file that is not there)."""
    return PREFIX + _assets()[1][file_name]
