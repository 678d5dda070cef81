"""The address a web request came from, for limits that count per address (new web-chat
cases, identity-check tries, console sign-in lockout).

X-Forwarded-For is whatever the sender wrote unless a proxy we trust wrote it. Only the
operator knows whether one does (HELPBOT_TRUST_PROXY), so nothing is guessed from the
peer: a proxy that passes the visitor's own header through unchanged would otherwise let
anyone pick a new address per request and walk past every per-address limit. When it is
trusted, only the last entry counts: the proxy appends the address it saw, and entries
before it are the visitor's own writing.
"""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

log = logging.getLogger(__name__)

UNTRUSTED_PROXY = (
    "Web requests arrive with X-Forwarded-For but HELPBOT_TRUST_PROXY is off, so every "
    "visitor behind the proxy counts as one address for the web chat's limits. Set it to "
    "true if (and only if) the proxy sets X-Forwarded-For itself."
)


def visitor_address(request: web.Request, *, trust_proxy: bool) -> str:
    peer = request.remote or "unknown"
    # A proxy may append its own header line rather than extend the visitor's: every
    # line counts, in order, and the last entry of the last line is the proxy's.
    entries = [
        entry.strip()
        for line in request.headers.getall("X-Forwarded-For", ())
        for entry in line.split(",")
        if entry.strip()
    ]
    if entries and trust_proxy:
        written = _address(entries[-1])
        if written is not None:
            return written
    return _address(peer) or peer[:64]


def _address(text: str) -> str | None:
    """An address as limits count it: an IPv4 address, or an IPv6 one's /64 (one home
    or phone is given a whole /64, so one address each would be no limit at all); an
    IPv4 address written as IPv6 is that IPv4 address; a port is dropped."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class VisitorAddresses:
    """Reads each request's address; remembers, for /healthz, a proxy it was not told of."""

    def __init__(self, *, trust_proxy: bool) -> None:
        self.trust_proxy = trust_proxy
        self.untrusted_proxy_seen = False

    def of(self, request: web.Request) -> str:
        if not self.trust_proxy and not self.untrusted_proxy_seen:
            if "X-Forwarded-For" in request.headers:
                self.untrusted_proxy_seen = True
                log.warning(UNTRUSTED_PROXY)
        return visitor_address(request, trust_proxy=self.trust_proxy)

    @property
    def warnings(self) -> list[str]:
        return [UNTRUSTED_PROXY] if self.untrusted_proxy_seen else []
