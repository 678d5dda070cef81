"""The fake in a process of its own, driven over its control API.

Benchmarks and crash tests want the fake's CPU out of the bot's process and the fake
to outlive the bot (it keeps re-POSTing updates while the bot restarts)::

    async with FakeTelegramProcess(latency_ms=50) as fake:
        bot = Bot(fake.token, base_url=fake.base_url)
        await fake.add_fault({"kind": "outage", "status": 500, "seconds": 10})
        await fake.deliver({"from": {"id": 42, "first_name": "Ann"}, "text": "hi"})
        print(await fake.counts())
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import urlsplit

import aiohttp

__all__ = ["FakeTelegramProcess"]

JSON = dict[str, Any]


class FakeTelegramProcess:
    """Starts ``python -m helpbot.testing.fake_telegram --port 0`` and talks to it."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        latency_ms: float = 0.0,
        allow_unstarted: bool = False,
        extra_args: tuple[str, ...] = (),
        startup_timeout: float = 30.0,
    ) -> None:
        self.token = token
        self.args = ["--port", "0", "--quiet", "--token", token, *extra_args]
        if latency_ms:
            self.args += ["--latency-ms", str(latency_ms)]
        if allow_unstarted:
            self.args.append("--allow-unstarted")
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self.process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Root URL (control API under ``/_fake/``)."""
        return self.base_url.removesuffix("/bot")

    @property
    def port(self) -> int:
        return urlsplit(self.base_url).port or 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "helpbot.testing.fake_telegram",
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), self.startup_timeout)
        except TimeoutError:
            await self.stop()
            raise
        self.base_url = line.decode().strip()
        if not self.base_url.startswith("http"):
            await self.stop()
            raise RuntimeError(f"the fake did not start: {line!r}")
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 10)
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()

    # --- the control API ----------------------------------------------------------------

    async def deliver(
        self, update: JSON, *, deadline: float = 30.0, max_attempts: int | None = None
    ) -> JSON:
        """Deliver until the bot's webhook accepts it (see POST /_fake/deliver); the answer
        says ``ok`` and, in ``result``, ``accepted``, ``attempts`` and the last ``status``."""
        body = {"update": update, "deadline": deadline, "max_attempts": max_attempts}
        return cast(JSON, await self._request("POST", "/_fake/deliver", body, (200, 504)))

    async def post_update(self, update: JSON) -> JSON:
        """One delivery attempt (POST /_fake/updates)."""
        return cast(JSON, await self._request("POST", "/_fake/updates", update))

    async def add_fault(self, fault: JSON) -> JSON:
        """POST /_fake/faults: ``{"kind": "storm", "retry_after": 5, "seconds": 35}``..."""
        return cast(JSON, await self._request("POST", "/_fake/faults", fault))

    async def faults(self) -> list[JSON]:
        return cast(list[JSON], (await self._request("GET", "/_fake/faults"))["result"])

    async def clear_faults(self) -> None:
        await self._request("DELETE", "/_fake/faults")

    async def calls(self, method: str | None = None, *, since: int = 0) -> list[JSON]:
        query = f"?since={since}" + (f"&method={method}" if method else "")
        return cast(list[JSON], await self._request("GET", "/_fake/calls" + query))

    async def sent(self, chat_id: int | None = None) -> list[JSON]:
        query = f"?chat_id={chat_id}" if chat_id is not None else ""
        return cast(list[JSON], await self._request("GET", "/_fake/sent" + query))

    async def counts(self) -> JSON:
        return cast(JSON, await self._request("GET", "/_fake/counts"))

    async def clear_calls(self) -> None:
        await self._request("DELETE", "/_fake/calls")

    async def _request(
        self, verb: str, path: str, body: Any = None, accept: tuple[int, ...] = (200,)
    ) -> Any:
        if self._session is None:
            raise RuntimeError("the fake is not running; use `async with`")
        async with self._session.request(verb, self.url + path, json=body) as response:
            answer = await response.json()
            if response.status not in accept:
                raise RuntimeError(f"{verb} {path}: {response.status} {answer}")
            return answer
