"""A minimal HTTP + HTTPS target for benchmarks, run in its own process.

`start_target_process()` forks a process serving `GET /...` with a short body on one
plain and one TLS port (a certificate made with trustme), and returns the ports and the
CA file a client must trust. Kept apart from the measured process so its CPU is not
counted as the app's.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

BODY = b"ok " * 100


@dataclass
class TargetProcess:
    process: mp.Process
    http_port: int
    https_port: int
    ca_file: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def _serve(conn, ca_dir: str) -> None:  # runs in the child process
    import trustme
    from aiohttp import web

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

    async def main() -> None:
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
                ca_file,
            )
        )
        await asyncio.Event().wait()

    asyncio.run(main())


def start_target_process() -> TargetProcess:
    ca_dir = tempfile.mkdtemp(prefix="bench-ca-")
    parent, child = mp.Pipe()
    process = mp.get_context("fork").Process(target=_serve, args=(child, ca_dir), daemon=True)
    process.start()
    if not parent.poll(30):
        process.terminate()
        raise RuntimeError("the target server did not start")
    http_port, https_port, ca_file = parent.recv()
    return TargetProcess(process, http_port, https_port, ca_file)
