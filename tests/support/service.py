"""Running run.py as a real process, as `make run` does, for start-up and shutdown tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from core.settings import PROJECT_ROOT, Settings
from tests.support.http import free_port

RUN_PY = PROJECT_ROOT / "run.py"


def clean_env(**variables: str) -> dict[str, str]:
    """The process environment without any of our settings, plus `variables`."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    env.update(variables)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Service:
    process: asyncio.subprocess.Process
    port: int
    output: bytearray

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    async def wait_healthy(self, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"service exited early:\n{self.text}")
                try:
                    async with http.get(f"{self.base_url}/health") as resp:
                        if resp.status == 200:
                            return await resp.json()
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"service not healthy within {timeout}s:\n{self.text}")

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, float]:
        """Send `sig`; return the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.sleep(0)  # let the output reader drain
        return code, time.monotonic() - started


async def start_service(cwd: Path, **variables: str) -> Service:
    port = int(variables.setdefault("API_PORT", str(free_port())))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUN_PY),
        cwd=cwd,
        env=clean_env(**variables),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = bytearray()

    async def collect() -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(4096):
            output.extend(chunk)

    asyncio.get_running_loop().create_task(collect())
    return Service(process, port, output)


async def run_to_exit(cwd: Path, timeout: float = 90.0, **variables: str) -> tuple[int, str]:
    """Run run.py until it exits on its own; return its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUN_PY),
        cwd=cwd,
        env=clean_env(**variables),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.send_signal(signal.SIGKILL)
        raise
    return process.returncode or 0, (out + err).decode()
