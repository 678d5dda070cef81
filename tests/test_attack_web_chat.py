"""The web chat as deployed: HELPBOT_HOST is loopback, so tenants reach it through an
https proxy. The browser's Origin is then the public https address, never the
plain-http address the proxy talks to."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from helpbot.store.casebook import Casebook
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


async def report_boiler(url: str, forwarded_for: str) -> None:
    """One visitor, through the proxy, which adds the address it saw last."""
    headers = {"X-Forwarded-For": forwarded_for}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{url}/chat", headers=headers)
        async with session.ws_connect(f"{url}/chat/ws", origin=url, headers=headers) as ws:
            await ws.receive_json(timeout=10)
            await ws.send_json({"type": "message", "text": "my boiler is broken"})
            await ws.receive_json(timeout=10)


async def test_tenants_behind_the_proxy_are_not_one_address(
    store: Store, understanding: Any
) -> None:
    """Every visitor reaches the server from the proxy's loopback address. Limits meant
    for one address (three new cases an hour) must not become three for the whole town,
    and a visitor cannot dodge them by writing their own X-Forwarded-For."""
    async with running_web_chat(store, understanding, trust_proxy=True) as (url, parts):
        limit = parts.desk.settings.web_new_cases_per_hour
        for n in range(limit + 1):
            await report_boiler(url, f"203.0.113.{n + 1}")
        await parts.postroom.idle()
        assert len(await Casebook(store).all_cases()) == limit + 1
        # One real address, made-up entries in front of it: still one address.
        for n in range(limit + 1):
            await report_boiler(url, f"198.51.100.{n + 1}, 192.0.2.7")
        await parts.postroom.idle()
        assert len(await Casebook(store).all_cases()) == 2 * limit + 1


async def test_without_a_trusted_proxy_a_made_up_address_changes_nothing(
    store: Store, understanding: Any
) -> None:
    """The operator has not said a proxy sets X-Forwarded-For (HELPBOT_TRUST_PROXY off).
    A visitor on this machine writing a new address in the header each time is still one
    address: the fourth everyday report in the hour is held back, and /healthz tells the
    operator the header is arriving untrusted."""
    async with running_web_chat(store, understanding) as (url, parts):
        limit = parts.desk.settings.web_new_cases_per_hour
        for n in range(limit + 2):
            await report_boiler(url, f"203.0.113.{n + 1}")
        await parts.postroom.idle()
        assert len(await Casebook(store).all_cases()) == limit
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/healthz") as health:
                report = await health.json()
        assert any("HELPBOT_TRUST_PROXY" in w for w in report["warnings"])


async def test_a_quiet_install_has_no_proxy_warning(store: Store, understanding: Any) -> None:
    async with running_web_chat(store, understanding) as (url, _parts):
        async with aiohttp.ClientSession() as session:
            await session.get(f"{url}/chat")
            async with session.get(f"{url}/healthz") as health:
                report = await health.json()
        assert "warnings" not in report or not any(
            "HELPBOT_TRUST_PROXY" in w for w in report["warnings"]
        )
