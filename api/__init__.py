"""The aiohttp.web application: /health, /metrics and the /api/v1 JSON API."""
