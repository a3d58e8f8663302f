"""Serving an aiohttp app on a free loopback port for a test (`serving` is shared with
the benchmarks, bench/_receiver.py)."""

from __future__ import annotations

import socket

from bench._receiver import serving

__all__ = ["free_port", "serving"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
