"""The bot as its own operating-system process, as an operator runs it: for tests that
kill it (SIGKILL mid-burst), stop its database, or measure it (the benchmark)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """``python -m helpbot serve`` (or ``work``) with HELPBOT_* settings from ``env``."""

    def __init__(
        self, env: dict[str, str], *, log: Path, command: str = "serve", args: tuple[str, ...] = ()
    ) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
        self.env = base | {"HELPBOT_LOG_LEVEL": "WARNING"} | env
        self.log = log
        self.command = command
        self.args = args
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, *, ready: str | None = "helpbot telegram:", timeout: float = 60) -> None:  # noqa: ASYNC109
        """Start it and wait until it prints the line that says it is serving."""
        self.starts += 1
        handle = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "helpbot",
            self.command,
            *self.args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=handle,
        )
        handle.close()
        if ready is None:
            return
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise RuntimeError(f"the bot exited before it was ready; see {self.log}")
                if line.startswith(ready):
                    break
        # Keep reading so a full pipe never blocks it.
        asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with contextlib.suppress(Exception):
            while await self.process.stdout.readline():
                pass

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye, as a crash or an OOM kill."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self, timeout: float = 30) -> int | None:  # noqa: ASYNC109
        """SIGTERM and wait: what a deploy does."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def exited(self, timeout: float = 30) -> int:  # noqa: ASYNC109
        """Wait for it to end by itself (after a signal already sent); its exit code."""
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def wait_dead(self) -> None:
        if self.process is not None:
            await self.process.wait()

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.kill()
