"""A minimal HTTP + HTTPS + DNS target for benchmarks, run in its own process.

`start_target_process()` forks a process serving `GET /...` with a short body on one
plain and one TLS port (a certificate made with trustme), and a UDP DNS server (the dns
kind's test server, dnslib) answering `DNS_NAME` with an A record `DNS_ADDRESS`; it
returns the ports and the CA file a client must trust. Kept apart from the measured
process so its CPU is not counted as the app's. The plain port is also the tcp kind's
target (a connection opened and closed).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

BODY = b"ok " * 100
DNS_NAME = "bench.test"
DNS_ADDRESS = "192.0.2.1"


@dataclass
class TargetProcess:
    process: mp.Process
    http_port: int
    https_port: int
    dns_resolver: str  # "127.0.0.1:port"
    ca_file: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def _serve(conn, ca_dir: str) -> None:  # runs in the child process
    import trustme
    from aiohttp import web

    from tests.support.dns_server import dns_server

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    ca = trustme.CA()
    ca_file = str(Path(ca_dir) / "bench-ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="text/plain")

    async def main(dns_resolver: str) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        plain = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context, backlog=4096)
        await plain.start()
        await secure.start()
        conn.send(
            (
                plain._server.sockets[0].getsockname()[1],
                secure._server.sockets[0].getsockname()[1],
                dns_resolver,
                ca_file,
            )
        )
        await asyncio.Event().wait()

    with dns_server([f"{DNS_NAME}. 60 IN A {DNS_ADDRESS}"]) as (dns_resolver, _):
        asyncio.run(main(dns_resolver))


def start_target_process() -> TargetProcess:
    ca_dir = tempfile.mkdtemp(prefix="bench-ca-")
    parent, child = mp.Pipe()
    process = mp.get_context("fork").Process(target=_serve, args=(child, ca_dir), daemon=True)
    process.start()
    if not parent.poll(30):
        process.terminate()
        raise RuntimeError("the target server did not start")
    return TargetProcess(process, *parent.recv())
