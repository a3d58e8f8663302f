"""A real DNS server on loopback for the dns kind's tests (dnslib's UDP server).

It answers from a zone written as zone-file lines: the records of the name and type
asked (following a CNAME for other types, as a recursive resolver's answer does), an
empty NOERROR answer for a name that has records of other types only, NXDOMAIN for a
name it does not know, and SERVFAIL for the names listed as failing. `SilentServer`
is a resolver that never answers (the timeout case): a bound UDP socket nobody reads.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class TableResolver(BaseResolver):
    def __init__(self, zone: list[str], failing: tuple[str, ...] = ()) -> None:
        self.records = [rr for line in zone for rr in RR.fromZone(line)]
        self.failing = {name.rstrip(".").lower() for name in failing}
        self.queries: list[tuple[str, str]] = []  # (name, type) asked, in order

    def resolve(self, request: DNSRecord, handler) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name, qtype))
        if name in self.failing:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if not self._of(name):
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for _ in range(8):  # follow a CNAME chain, as a recursive resolver does
            matching = [rr for rr in self._of(name) if QTYPE[rr.rtype] == qtype]
            if matching or qtype == "CNAME":
                reply.add_answer(*matching)
                break
            aliases = [rr for rr in self._of(name) if QTYPE[rr.rtype] == "CNAME"]
            if not aliases:
                break
            reply.add_answer(*aliases)
            name = str(aliases[0].rdata.label).rstrip(".").lower()
        return reply

    def _of(self, name: str) -> list[RR]:
        return [rr for rr in self.records if str(rr.rname).rstrip(".").lower() == name]


@contextmanager
def dns_server(
    zone: list[str], failing: tuple[str, ...] = ()
) -> Iterator[tuple[str, TableResolver]]:
    """Serve `zone` on 127.0.0.1 at an ephemeral UDP port; yields ("127.0.0.1:port", table)."""
    table = TableResolver(zone, failing)
    server = DNSServer(table, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _: None))
    server.start_thread()
    try:
        yield f"127.0.0.1:{server.server.server_address[1]}", table
    finally:
        server.stop()
        server.server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A UDP port on 127.0.0.1 where queries arrive and are never answered."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
