"""The web chat as deployed: HELPBOT_HOST is loopback, so tenants reach it through an
https proxy. The browser's Origin is then the public https address, never the
plain-http address the proxy talks to."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from helpbot.store.records import Store
from helpbot.testing.harness import running_web_chat

PUBLIC = "https://chat.shal.example"


@pytest.mark.parametrize("public_url", [PUBLIC, f"{PUBLIC}/", f"{PUBLIC}/chat"])
async def test_a_tenant_behind_the_https_proxy_can_chat(
    store: Store, understanding: Any, public_url: str
) -> None:
    async with running_web_chat(store, understanding, public_url=public_url) as (url, _parts):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await session.get(f"{url}/chat", headers={"Host": "chat.shal.example"})
            # As the proxy forwards it: the public Host and the browser's https Origin.
            async with session.ws_connect(
                f"{url}/chat/ws", origin=PUBLIC, headers={"Host": "chat.shal.example"}
            ) as ws:
                welcome = await ws.receive_json(timeout=10)
                assert welcome["type"] == "reply"
            # Another site's page is still refused.
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(
                    f"{url}/chat/ws",
                    origin="https://chat.shal.example.evil.test",
                    headers={"Host": "chat.shal.example"},
                )
            assert refused.value.status == 403
