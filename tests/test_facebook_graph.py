"""The Graph client against the fake Graph API: each of Meta's refusals becomes the right
outcome for the sender, in words a colleague can act on, with nothing a tenant wrote
in them; and the fake keeps Meta's rules, so a bot that breaks them fails here."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from helpbot.channels.facebook.channel import FacebookChannel, message_body, sign, split_text
from helpbot.channels.facebook.graph import Graph, _regain_seconds
from helpbot.channels.facebook.translate import inbound, message_key
from helpbot.config import SettingsError, load_settings
from helpbot.desk.actions import Button, HideComment, SendText
from helpbot.desk.events import ChatKind, ChatRef, Content
from helpbot.postroom.outcomes import OutcomeUnknown, RetryLater, Undeliverable
from helpbot.testing.fake_graph import (
    BAD_TOKEN,
    RATE_LIMITED,
    TRANSIENT,
    FakeGraph,
)


@pytest.fixture
async def fb() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def channel(fb: FakeGraph) -> AsyncIterator[FacebookChannel]:
    made = FacebookChannel(
        None,  # type: ignore[arg-type]  # nothing is received in these tests
        page_id=fb.page_id,
        page_token=fb.token,
        app_secret=fb.app_secret,
        verify_token=fb.verify_token,
        graph_url=fb.base_url,
    )
    yield made
    await made.stop()


def to(psid: str, text: str, **extra: object) -> SendText:
    return SendText(ChatRef("facebook", psid, ChatKind.PRIVATE), text, **extra)  # type: ignore[arg-type]


async def test_a_message_outside_the_24_hour_window_is_undeliverable_with_the_reason(
    fb: FakeGraph, channel: FacebookChannel
) -> None:
    ann = fb.user("7001", "Ann")
    with pytest.raises(Undeliverable) as refused:  # she never wrote to the Page
        await channel.perform(to(ann.psid, "Your repair is booked"))
    assert "reply window has closed" in refused.value.reason
    fb.last_wrote[ann.psid] = fb.now()
    await channel.perform(to(ann.psid, "Your repair is booked"))
    fb.advance(hours=25)
    with pytest.raises(Undeliverable):
        await channel.perform(to(ann.psid, "And another thing"))
    # A colleague's reply may go for 7 days with the HUMAN_AGENT tag.
    await channel.perform(to(ann.psid, "Hello from Priya", author="Priya"))
    assert fb.sent_to(ann) == ["Your repair is booked", "Hello from Priya"]


async def test_one_private_reply_per_comment_and_not_after_7_days(
    fb: FakeGraph, channel: FacebookChannel
) -> None:
    ann = fb.user("7001", "Ann")
    post = fb.post()
    first = fb._add_comment(post, None, ann.psid, ann.name, "help")
    reply = SendText(ChatRef("facebook", first.id, ChatKind.COMMENT_REPLY), "We can help")
    delivered = await channel.perform(reply)
    assert delivered.external_id is not None and len(delivered.external_id) <= 64
    with pytest.raises(Undeliverable) as again:
        await channel.perform(reply)
    assert "already sent" in again.value.reason
    old = fb._add_comment(post, None, ann.psid, ann.name, "old")
    fb.advance(days=8)
    with pytest.raises(Undeliverable) as late:
        await channel.perform(SendText(ChatRef("facebook", old.id, ChatKind.COMMENT_REPLY), "Hi"))
    assert "no longer get a private reply" in late.value.reason


async def test_rate_limits_transient_errors_and_a_bad_token_are_told_apart(
    fb: FakeGraph, channel: FacebookChannel
) -> None:
    ann = fb.user("7001", "Ann")
    fb.last_wrote[ann.psid] = fb.now()
    fb.fail_next("messages", RATE_LIMITED)
    with pytest.raises(RetryLater) as limited:
        await channel.perform(to(ann.psid, "hi"))
    assert limited.value.after is not None and "rate limit" in limited.value.reason
    fb.fail_next("messages", TRANSIENT)
    with pytest.raises(RetryLater):
        await channel.perform(to(ann.psid, "hi"))
    fb.fail_next("messages", BAD_TOKEN)
    with pytest.raises(Undeliverable) as token:
        await channel.perform(to(ann.psid, "hi"))
    assert "token" in token.value.reason
    assert fb.sent_to(ann) == []


def test_graphs_own_estimate_of_a_rate_limit_is_honoured() -> None:
    usage = '{"1": [{"type": "messenger", "estimated_time_to_regain_access": 3}]}'
    assert _regain_seconds({"X-Business-Use-Case-Usage": usage}) == 180
    assert _regain_seconds({"X-Business-Use-Case-Usage": "not json"}) is None


async def test_a_graph_that_never_answers_is_an_unknown_outcome_and_a_closed_port_a_retry() -> None:
    released = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        # Answers only once the test is done with it, so closing the server
        # does not sit out the hang.
        await released.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    slow = Graph(f"http://127.0.0.1:{port}/v21.0", "1", "t", timeout=0.3)
    try:
        with pytest.raises(OutcomeUnknown):
            await slow.send({"recipient": {"id": "1"}})
    finally:
        await slow.close()
        released.set()
        await runner.cleanup()
    gone = Graph(f"http://127.0.0.1:{port}/v21.0", "1", "t")
    try:
        with pytest.raises(RetryLater):
            await gone.send({"recipient": {"id": "1"}})
    finally:
        await gone.close()


async def test_hiding_a_comment_already_deleted_is_done_not_an_error(
    fb: FakeGraph, channel: FacebookChannel
) -> None:
    post = fb.post()
    made = fb._add_comment(post, None, "7001", "Ann Smith", "call me on 07700 900123")
    chat = ChatRef("facebook", post, ChatKind.PAGE_COMMENTS)
    await channel.perform(HideComment(chat, made.id))
    assert fb.comments[made.id].is_hidden
    made.deleted = True
    await channel.perform(HideComment(chat, made.id))


def test_long_answers_and_many_buttons_fit_messengers_limits() -> None:
    parts = split_text("word " * 1000)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    three = ((Button("Yes", data="pub:1:yes"), Button("No, thank you very much indeed", data="n")),)
    template = message_body("Publish this?", three)["attachment"]["payload"]
    assert [b["type"] for b in template["buttons"]] == ["postback", "postback"]
    assert all(len(b["title"]) <= 20 for b in template["buttons"])
    many = tuple((Button(f"Option {n}", data=str(n)),) for n in range(5))
    quick = message_body("Pick one", many)
    assert len(quick["quick_replies"]) == 5


def test_translation_of_the_shapes_meta_sends() -> None:
    page = "1000000000001"
    long_mid = "m_" + "x" * 200
    message = {
        "page_id": page,
        "field": "messaging",
        "first_name": "Ann Marie",
        "event": {"sender": {"id": "7001"}, "message": {"mid": long_mid, "text": "/mycases"}},
    }
    event = inbound(message)
    assert event is not None and event.content is Content.COMMAND
    assert event.command == "mycases" and event.sender.first_name == "Ann"
    assert event.message_id is not None and len(event.message_id) <= 64
    assert message_key(long_mid) == event.message_id
    started = inbound(
        message | {"event": {"sender": {"id": "7001"}, "postback": {"payload": "GET_STARTED"}}}
    )
    assert started is not None and started.command == "start"
    echo = {"sender": {"id": "7001"}, "message": {"mid": "m_1", "text": "x", "is_echo": True}}
    assert inbound(message | {"event": echo}) is None
    comment = {
        "from": {"id": "7001", "name": "Ann Smith"},
        "post_id": f"{page}_5",
        "comment_id": "5_9",
        "parent_id": f"{page}_5",
        "created_time": 1764000000,
        "item": "comment",
        "verb": "add",
        "message": "hello",
    }
    in_group = inbound({"page_id": page, "field": "group_feed", "event": comment})
    assert in_group is not None and in_group.chat.kind is ChatKind.PAGE_COMMENTS
    assert "group" in (in_group.chat.title or "")
    own = comment | {"from": {"id": page, "name": "SHAL"}}
    assert inbound({"page_id": page, "field": "feed", "event": own}) is None
    removed = comment | {"verb": "remove"}
    assert inbound({"page_id": page, "field": "feed", "event": removed}) is None
    with pytest.raises(ValueError):
        inbound({"page_id": page, "field": "feed", "event": comment | {"post_id": "1; drop"}})


def test_facebook_settings_are_all_or_nothing_with_one_clear_line() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(facebook_page_id="123", facebook_page_token="t")
    assert str(error.value).startswith("HELPBOT_FACEBOOK_APP_SECRET:")
    with pytest.raises(SettingsError) as error:
        load_settings(
            facebook_page_id="shal",
            facebook_page_token="t",
            facebook_app_secret="s",
            facebook_verify_token="v",
        )
    assert str(error.value).startswith("HELPBOT_FACEBOOK_PAGE_ID:")
    ok = load_settings(
        facebook_page_id="123",
        facebook_page_token="t",
        facebook_app_secret="s",
        facebook_verify_token="v",
    )
    assert ok.facebook_enabled
    assert not load_settings().facebook_enabled


async def test_the_fake_runs_from_the_command_line_and_pushes_signed_events() -> None:
    """The demo's fake: a comment pushed through its control API reaches a webhook,
    signed with the app secret."""
    got: list[tuple[str, bytes]] = []

    async def webhook(request: web.Request) -> web.Response:
        got.append((request.headers.get("X-Hub-Signature-256", ""), await request.read()))
        return web.Response(text="EVENT_RECEIVED")

    app = web.Application()
    app.router.add_post("/facebook/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook = f"http://127.0.0.1:{runner.addresses[0][1]}/facebook/webhook"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpbot.testing.fake_graph",
        "--port",
        "0",
        "--webhook",
        hook,
        "--app-secret",
        "demo-secret",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        base = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        root = base.rsplit("/", 1)[0]
        async with aiohttp.ClientSession() as http:
            comment = {"psid": "7001", "first_name": "Ann", "text": "My boiler is broken"}
            async with http.post(f"{root}/_fake/comment", json=comment) as response:
                answer = await response.json()
            assert answer["webhook_status"] == 200
            ((signature, body),) = got
            assert signature == sign("demo-secret", body)
            assert b"My boiler is broken" in body
            async with http.get(f"{root}/_fake/comments") as response:
                (listed,) = await response.json()
            assert listed["id"] == answer["comment_id"]
    finally:
        process.terminate()
        await process.wait()
        await runner.cleanup()
