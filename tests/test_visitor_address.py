"""Which address a web request is counted under, for the per-address limits of the web
chat and the console's sign-in lockout (helpbot/web/visitor_address.py)."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from helpbot.web.console.guard import client_address
from helpbot.web.console.settings import ConsoleSettings
from helpbot.web.visitor_address import VisitorAddresses


def _request(peer: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (peer, 40000) if key == "peername" else default
    )
    return make_mocked_request("GET", "/console/sign-in", headers=headers, transport=transport)


def test_a_guesser_behind_the_proxy_cannot_pick_a_new_address_each_time() -> None:
    """nginx appends the address it saw; whatever the visitor wrote comes first."""
    console = ConsoleSettings(trust_proxy=True)
    for made_up in ("203.0.113.1", "203.0.113.2", "10.0.0.1, 203.0.113.3"):
        request = _request("127.0.0.1", f"{made_up}, 198.51.100.7")
        assert client_address(request, console) == "198.51.100.7"


def test_the_older_setting_name_still_trusts_the_proxy() -> None:
    request = _request("127.0.0.1", "198.51.100.7")
    assert client_address(request, ConsoleSettings(console_trust_proxy=True)) == "198.51.100.7"


def test_without_a_trusted_proxy_the_header_is_ignored_even_from_this_machine() -> None:
    addresses = VisitorAddresses(trust_proxy=False)
    assert addresses.warnings == []
    assert addresses.of(_request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"
    assert client_address(_request("127.0.0.1", "203.0.113.9"), ConsoleSettings()) == "127.0.0.1"
    # The operator is told once why every visitor now looks like one address.
    assert len(addresses.warnings) == 1 and "HELPBOT_TRUST_PROXY" in addresses.warnings[0]


def test_a_header_no_proxy_wrote_falls_back_to_the_connection() -> None:
    addresses = VisitorAddresses(trust_proxy=True)
    for junk in ("", "not-an-address", "198.51.100.7, <script>", "1.2.3.4, " + "9" * 300):
        assert addresses.of(_request("127.0.0.1", junk)) == "127.0.0.1"
    assert addresses.warnings == []


def test_a_second_header_line_from_the_proxy_is_the_one_that_counts() -> None:
    """HAProxy's `option forwardfor` adds its own line: reading only the first line let
    the visitor's made-up address through (outside review)."""
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        ("127.0.0.1", 40000) if key == "peername" else default
    )
    from multidict import CIMultiDict

    headers = CIMultiDict([("X-Forwarded-For", "100.64.0.5"), ("X-Forwarded-For", "198.18.0.1")])
    request = make_mocked_request("GET", "/chat", headers=headers, transport=transport)
    assert VisitorAddresses(trust_proxy=True).of(request) == "198.18.0.1"


@pytest.mark.parametrize(
    ("written", "counted"),
    [
        ("2001:db8::1", "2001:db8::/64"),
        ("2001:db8::4", "2001:db8::/64"),  # the same home or phone
        ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
        ("::ffff:7.7.7.10", "7.7.7.10"),
        ("7.7.7.10:51234", "7.7.7.10"),
        ("[2001:db8::9]:443", "2001:db8::/64"),
        ("203.0.113.77, ", "203.0.113.77"),  # a trailing comma (outside review)
    ],
)
def test_addresses_are_counted_as_one_home_or_phone(written: str, counted: str) -> None:
    assert VisitorAddresses(trust_proxy=True).of(_request("127.0.0.1", written)) == counted
