"""GET /health: whether this process can serve, judged by whether the database answers."""

from __future__ import annotations

from aiohttp import web

from db.connection import ping

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    if await ping():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "error", "detail": "database unreachable"}, status=503)
