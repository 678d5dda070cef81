"""The fake Telegram Bot API, driven by the real python-telegram-bot HTTP stack.

If PTB parses every answer and every injected update with nothing left in
``api_kwargs``, the field names and shapes are the Bot API's, so bot code proven
against the fake runs against Telegram unchanged.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import sniffio  # noqa: F401  - PTB's httpx stack must find it (DESIGN.md: CPU cost without it)
from aiohttp import web
from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    TelegramObject,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from helpbot.testing import SECRET_HEADER, FakeTelegram, FakeUser
from helpbot.testing.fake_telegram_text import format_text

TOKEN = "123456:TEST-TOKEN"
JSON = dict[str, Any]


def said(description: str) -> str:
    """A pytest.raises pattern for an API description (PTB strips "Bad Request: " and
    capitalises what is left)."""
    return "(?i)" + re.escape(description)


def assert_exact(obj: object, path: str = "result") -> None:
    """PTB keeps fields it does not know in api_kwargs: there must be none, anywhere."""
    if isinstance(obj, TelegramObject):
        assert not obj.api_kwargs, f"{path} has fields PTB does not know: {obj.api_kwargs}"
        for name, value in obj._get_attrs(recursive=False).items():
            assert_exact(value, f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for index, item in enumerate(obj):
            assert_exact(item, f"{path}[{index}]")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username="shal_helpbot") as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as real_bot:
        yield real_bot


@pytest.fixture
def ann(tg: FakeTelegram) -> FakeUser:
    return tg.user(4201, "Ann", "ann_tenant", last_name="Jones")


@pytest.fixture
def staff_user(tg: FakeTelegram) -> FakeUser:
    return tg.user(9001, "Sam", "sam_staff")


# --- basics -------------------------------------------------------------------------------


async def test_get_me_returns_the_bot_user(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert_exact(me)
    assert me.username == "shal_helpbot"
    assert me.id == 123456 == tg.bot_user["id"]
    assert me.is_bot
    assert tg.base_url.startswith("http://127.0.0.1:") and tg.base_url.endswith("/bot")


async def test_send_message_with_inline_keyboard(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    await tg.deliver(tg.private_message(ann, "hello"))
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="case:yes")]])
    first = await bot.send_message(ann.id, "Is this about a repair?", reply_markup=keyboard)
    second = await bot.send_message(ann.id, "Second")

    assert_exact(first)
    assert first.text == "Is this about a repair?"
    assert first.reply_markup == keyboard
    assert first.chat.id == ann.id and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == tg.bot_user["id"]
    assert isinstance(first.date, dtm.datetime)
    assert second.message_id == first.message_id + 1  # the user's message took id 1

    call = tg.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == ann.id
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "case:yes"
    sent = tg.sent_messages(ann.id)
    assert [m["text"] for m in sent] == ["Is this about a repair?", "Second"]
    assert sent[0]["reply_markup"] == keyboard.to_dict()


async def test_html_is_parsed_into_entities_and_bad_markup_is_rejected(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    tg.start_user(ann)
    message = await bot.send_message(ann.id, "<b>Rent</b> &lt; £500", parse_mode="HTML")
    assert message.text == "Rent < £500"
    assert message.entities[0].type == "bold" and message.entities[0].length == 4
    with pytest.raises(BadRequest, match=said("can't parse entities")):
        await bot.send_message(ann.id, "rent < 500", parse_mode="HTML")
    with pytest.raises(BadRequest, match=said("reserved")):
        await bot.send_message(ann.id, "Call 0300 123 4567.", parse_mode="MarkdownV2")


def test_entity_offsets_are_utf16() -> None:
    text, entities = format_text("🏠 <b>home</b>", parse_mode="HTML")
    assert text == "🏠 home"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]


async def test_text_limits_and_empty_text(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.start_user(ann)
    with pytest.raises(BadRequest, match=said("message is too long")):
        await bot.send_message(ann.id, "x" * 4097)
    await bot.send_message(ann.id, "x" * 4096)
    with pytest.raises(BadRequest, match=said("message text is empty")):
        await bot.send_message(ann.id, "   ")
    failed = [c for c in tg.calls_to("sendMessage") if not c.ok]
    assert [c.failed_with for c in failed] == [400, 400]


async def test_cannot_message_users_who_never_started_or_blocked_the_bot(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    with pytest.raises(Forbidden, match=said("bot can't initiate conversation with a user")):
        await bot.send_message(ann.id, "hello?")
    await tg.deliver(tg.private_message(ann, "/start"))
    await bot.send_message(ann.id, "hello!")
    tg.blocked_users.add(ann.id)
    with pytest.raises(Forbidden, match=said("bot was blocked by the user")):
        await bot.send_message(ann.id, "still there?")
    with pytest.raises(BadRequest, match=said("chat not found")):
        await bot.send_message(777, "nobody")


async def test_unknown_method_and_wrong_token(tg: FakeTelegram, bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{tg.base_url}{TOKEN}/noSuchMethod", json={}) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with session.get(f"{tg.base_url}{TOKEN}/GETME") as response:  # case-insensitive
            assert (await response.json())["result"]["username"] == "shal_helpbot"
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=tg.base_url):  # initialize() calls getMe
            pass
    assert tg.calls[-1].failed_with == 401


async def test_json_form_and_multipart_bodies_are_all_parsed(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    tg.start_user(ann)
    url = f"{tg.base_url}{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as session:
        body = {"chat_id": ann.id, "text": "json", "reply_markup": markup}
        async with session.post(url, json=body) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
        form = {"chat_id": str(ann.id), "text": "123", "reply_markup": json.dumps(markup)}
        async with session.post(url, data=form) as response:
            result = (await response.json())["result"]
            assert result["text"] == "123" and result["reply_markup"] == markup
    document = await bot.send_document(ann.id, InputFile(b"tenancy", filename="lease.pdf"))
    assert_exact(document)
    assert document.document is not None and document.document.file_name == "lease.pdf"
    assert tg.files[document.document.file_id].content == b"tenancy"


# --- forum topics ---------------------------------------------------------------------------


async def test_forum_topic_lifecycle(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    staff = tg.group(-1001234567890, "SHAL staff", forum=True)
    topic = await bot.create_forum_topic(staff.id, "Case 17: damp", icon_color=7322096)
    assert_exact(topic)
    assert topic.name == "Case 17: damp" and topic.icon_color == 7322096
    thread = topic.message_thread_id
    assert thread > 1  # 1 is the General topic
    assert tg.topics[staff.id][thread]["name"] == "Case 17: damp"

    message = await bot.send_message(staff.id, "New case", message_thread_id=thread)
    assert_exact(message)
    assert message.message_thread_id == thread and message.is_topic_message
    # Telegram: a topic message replying to nothing replies to the topic's creation message.
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == thread
    assert message.reply_to_message.forum_topic_created is not None

    assert await bot.edit_forum_topic(staff.id, thread, name="Case 17: damp (urgent)")
    assert tg.topics[staff.id][thread]["name"] == "Case 17: damp (urgent)"
    assert await bot.close_forum_topic(staff.id, thread)
    with pytest.raises(BadRequest, match=said("message thread not found")):
        await bot.send_message(staff.id, "closed?", message_thread_id=thread)
    with pytest.raises(BadRequest, match=said("TOPIC_NOT_MODIFIED")):
        await bot.close_forum_topic(staff.id, thread)
    assert await bot.reopen_forum_topic(staff.id, thread)
    await bot.send_message(staff.id, "open again", message_thread_id=thread)
    assert await bot.delete_forum_topic(staff.id, thread)
    assert thread not in tg.topics[staff.id]
    assert tg.is_deleted(staff.id, message.message_id)


async def test_topic_deleted_by_hand_gives_thread_not_found(
    tg: FakeTelegram, bot: Bot, staff_user: FakeUser
) -> None:
    staff = tg.group(-1001, "Staff", forum=True)
    topic = tg.topic(staff, "Case 3", creator=staff_user)
    update = tg.topic_message(staff, topic["message_thread_id"], staff_user, "I'll take it")
    assert update["message"]["is_topic_message"] is True
    tg.delete_topic_by_hand(staff.id, topic["message_thread_id"])
    with pytest.raises(BadRequest, match=said("message thread not found")):
        await bot.send_message(staff.id, "reply", message_thread_id=topic["message_thread_id"])
    with pytest.raises(BadRequest, match=said("message thread not found")):
        await bot.send_message(staff.id, "general", message_thread_id=1)
    with pytest.raises(BadRequest, match=said("not a forum")):
        await bot.create_forum_topic(tg.group(-1002, "Tenants").id, "x")


async def test_reply_in_general_topic_carries_a_thread_id_that_is_not_a_topic(
    tg: FakeTelegram, bot: Bot, staff_user: FakeUser
) -> None:
    staff = tg.group(-1001, "Staff", forum=True)
    notice = await bot.send_message(staff.id, "Rota for today")
    update = tg.group_message(staff, staff_user, "thanks", reply_to=notice)  # a PTB Message
    parsed = Update.de_json(update, bot)
    assert parsed.message is not None
    assert parsed.message.message_thread_id == notice.message_id
    assert not parsed.message.is_topic_message
    with pytest.raises(BadRequest, match=said("message thread not found")):
        await bot.send_message(staff.id, "x", message_thread_id=parsed.message.message_thread_id)
    # Replying (no thread id) is how to answer in General.
    answer = await bot.send_message(
        staff.id, "you're welcome", reply_to_message_id=parsed.message.message_id
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.reply_to_message is None  # never nested


async def test_copy_and_forward_message(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    staff = tg.group(-1001, "Staff", forum=True)
    thread = (await bot.create_forum_topic(staff.id, "Case 1")).message_thread_id
    original = tg.private_message(ann, "my boiler is broken")["message"]
    copied = await bot.copy_message(
        staff.id, ann.id, original["message_id"], message_thread_id=thread
    )
    assert_exact(copied)
    stored = tg.message(staff.id, copied.message_id)
    assert stored is not None and stored["text"] == "my boiler is broken"
    assert stored["message_thread_id"] == thread
    forwarded = await bot.forward_message(staff.id, ann.id, original["message_id"])
    assert_exact(forwarded)
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == ann.id  # type: ignore[attr-defined]
    with pytest.raises(BadRequest, match=said("message to copy not found")):
        await bot.copy_message(staff.id, ann.id, 999)
    assert [m["message_id"] for m in tg.sent_messages(staff.id)] == [
        copied.message_id,
        forwarded.message_id,
    ]


# --- edits, deletes, callbacks ------------------------------------------------------------


async def test_edit_and_delete(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.start_user(ann)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Take", callback_data="take")]])
    message = await bot.send_message(ann.id, "Case 4", reply_markup=keyboard)
    edited = await bot.edit_message_text("Case 4 (taken)", ann.id, message.message_id)
    assert_exact(edited)
    assert edited.text == "Case 4 (taken)" and edited.edit_date is not None
    assert edited.reply_markup is None  # editing without reply_markup drops the keyboard
    with pytest.raises(BadRequest, match=said("message is not modified")):
        await bot.edit_message_text("Case 4 (taken)", ann.id, message.message_id)
    await bot.edit_message_reply_markup(ann.id, message.message_id, reply_markup=keyboard)
    assert await bot.delete_message(ann.id, message.message_id)
    assert tg.is_deleted(ann.id, message.message_id)
    with pytest.raises(BadRequest, match=said("message to delete not found")):
        await bot.delete_message(ann.id, message.message_id)
    with pytest.raises(BadRequest, match=said("message to edit not found")):
        await bot.edit_message_text("gone", ann.id, message.message_id)


async def test_callback_on_a_bot_message(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.start_user(ann)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="consent:yes")]])
    sent = await bot.send_message(
        ann.id, "May we move this to a private case?", reply_markup=keyboard
    )
    update = Update.de_json(tg.callback(ann, tg.sent_messages(ann.id)[-1], "consent:yes"), bot)
    assert_exact(update)
    query = update.callback_query
    assert query is not None and query.data == "consent:yes"
    assert query.from_user.id == ann.id and query.chat_instance
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Thanks")
    assert tg.callback_answers[query.id]["text"] == "Thanks"
    with pytest.raises(BadRequest, match=said("query is too old")):
        await bot.answer_callback_query(query.id)


async def test_inline_button_data_over_64_bytes_is_rejected(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    tg.start_user(ann)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="c" * 65)]])
    with pytest.raises(BadRequest, match=said("BUTTON_DATA_INVALID")):
        await bot.send_message(ann.id, "too much data", reply_markup=keyboard)


# --- members and join requests --------------------------------------------------------------


async def test_join_requests_and_members(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, staff_user: FakeUser
) -> None:
    tenants = tg.group(-1005, "SHAL tenants", owner=staff_user)
    update = Update.de_json(tg.join_request(tenants, ann, bio="Flat 3, Elm Court"), bot)
    assert_exact(update)
    request = update.chat_join_request
    assert request is not None
    assert request.from_user.id == ann.id and request.user_chat_id == ann.id
    assert request.bio == "Flat 3, Elm Court" and isinstance(request.date, dtm.datetime)
    assert tg.join_request_status(tenants.id, ann.id) == "pending"

    assert await bot.approve_chat_join_request(tenants.id, ann.id)
    assert tg.join_request_status(tenants.id, ann.id) == "approved"
    with pytest.raises(BadRequest, match=said("HIDE_REQUESTER_MISSING")):
        await bot.decline_chat_join_request(tenants.id, ann.id)
    member = await bot.get_chat_member(tenants.id, ann.id)
    assert_exact(member)
    assert member.status == "member"

    await bot.restrict_chat_member(tenants.id, ann.id, ChatPermissions(can_send_messages=False))
    restricted = await bot.get_chat_member(tenants.id, ann.id)
    assert_exact(restricted)
    assert restricted.status == "restricted" and not restricted.can_send_messages  # type: ignore[attr-defined]
    await bot.ban_chat_member(tenants.id, ann.id)
    assert (await bot.get_chat_member(tenants.id, ann.id)).status == "kicked"
    await bot.unban_chat_member(tenants.id, ann.id, only_if_banned=True)
    assert tg.member_status(tenants.id, ann.id) == "left"
    with pytest.raises(BadRequest, match=said("can't remove chat owner")):
        await bot.ban_chat_member(tenants.id, staff_user.id)

    admins = await bot.get_chat_administrators(tenants.id)
    assert_exact(admins)
    assert [a.status for a in admins] == ["creator", "administrator"]
    chat = await bot.get_chat(tenants.id)
    assert_exact(chat)
    assert chat.title == "SHAL tenants" and chat.type == "supergroup"


async def test_chat_member_update_parses_and_is_tracked(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    tenants = tg.group(-1005, "SHAL tenants")
    update = Update.de_json(tg.chat_member_update(tenants, ann, "left", "member"), bot)
    assert_exact(update)
    assert update.chat_member is not None
    assert update.chat_member.new_chat_member.status == "member"
    assert tg.member_status(tenants.id, ann.id) == "member"


# --- every builder produces exact Update JSON -----------------------------------------------


def _builders(tg: FakeTelegram, ann: FakeUser) -> dict[str, Callable[[], JSON]]:
    staff = tg.group(-1001, "Staff", forum=True)
    thread = tg.topic(staff, "Case 1")["message_thread_id"]
    first = tg.private_message(ann, "hi")
    return {
        "private": lambda: tg.private_message(ann, "hello @someone see https://shal.org.uk"),
        "group": lambda: tg.group_message(staff, ann, "hi all", reply_to=first),
        "topic": lambda: tg.topic_message(staff, thread, ann, "in topic"),
        "command": lambda: tg.command(staff, ann, "help", "me", mention_bot=True),
        "sticker": lambda: tg.sticker(ann, ann),
        "photo": lambda: tg.photo(ann, ann, caption="the damp patch"),
        "voice": lambda: tg.voice(ann, ann),
        "document": lambda: tg.document(staff, ann, thread_id=thread),
        "edited": lambda: tg.edited_message(first, "hi, edited"),
        "join": lambda: tg.join_request(staff, ann),
        "callback": lambda: tg.callback(ann, first, "x"),
        "member": lambda: tg.chat_member_update(staff, ann, "member", "kicked", until_date=0),
        "restricted": lambda: tg.chat_member_update(staff, ann, "member", "restricted"),
        "my_member": lambda: tg.my_chat_member_update(ann, ann, "member", "kicked"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "private",
        "group",
        "topic",
        "command",
        "sticker",
        "photo",
        "voice",
        "document",
        "edited",
        "join",
        "callback",
        "member",
        "restricted",
        "my_member",
    ],
)
async def test_update_builders_produce_exact_bot_api_json(
    tg: FakeTelegram, bot: Bot, ann: FakeUser, kind: str
) -> None:
    raw = _builders(tg, ann)[kind]()
    update = Update.de_json(json.loads(json.dumps(raw)), bot)
    assert_exact(update, kind)
    assert update.update_id == raw["update_id"]


async def test_update_ids_increase(tg: FakeTelegram, ann: FakeUser) -> None:
    ids = [tg.private_message(ann, str(n))["update_id"] for n in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


async def test_bot_command_entity_like_telegram(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    group = tg.group(-1003, "Tenants")
    for raw, command in [
        (tg.private_message(ann, "/start"), "/start"),
        (tg.group_message(group, ann, "/report@shal_helpbot leak in flat 3"), None),
    ]:
        message = Update.de_json(raw, bot).message
        assert message is not None and message.text is not None
        assert message.text.startswith("/")
        entity = message.entities[0]
        assert entity.type == "bot_command" and entity.offset == 0
        expected = command or "/report@shal_helpbot"
        assert entity.length == len(expected)
        assert message.parse_entity(entity) == expected
    plain = Update.de_json(tg.private_message(ann, "no command here"), bot).message
    assert plain is not None and plain.entities == ()


# --- getUpdates -------------------------------------------------------------------------------


async def test_long_polling_receives_a_pushed_private_message(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()  # long polling: waiting for an update
    update = tg.private_message(ann, "my rent is late")
    assert await tg.deliver(update) is None
    updates = await asyncio.wait_for(poll, 1)
    assert len(updates) == 1
    assert_exact(updates[0])
    message = updates[0].message
    assert message is not None and message.text == "my rent is late"
    assert message.from_user is not None and message.from_user.id == ann.id
    assert message.chat.type == "private"

    # Unconfirmed updates come back; an offset past them confirms and drops them.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update["update_id"]]
    assert await bot.get_updates(offset=update["update_id"] + 1, timeout=0) == ()
    assert tg.pending_updates == []


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = asyncio.get_running_loop().time()
    assert await bot.get_updates(timeout=0.2) == ()
    assert asyncio.get_running_loop().time() - started >= 0.15


async def test_duplicate_delivery_and_allowed_updates(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    group = tg.group(-1003, "Tenants")
    message = tg.private_message(ann, "once")
    await tg.deliver(message)
    await tg.deliver(tg.chat_member_update(group, ann, "left", "member"))
    # Telegram's default allowed_updates leaves out chat_member.
    first = await bot.get_updates(timeout=0)
    assert [u.update_id for u in first] == [message["update_id"]]
    await tg.deliver_again(message)
    second = await bot.get_updates(offset=message["update_id"] + 1, timeout=0)
    assert [u.update_id for u in second] == [message["update_id"]]

    joined = tg.chat_member_update(group, ann, "member", "left")
    await tg.deliver(joined)
    third = await bot.get_updates(timeout=0, allowed_updates=["message", "chat_member"])
    assert [u.update_id for u in third] == [joined["update_id"]]


# --- faults ---------------------------------------------------------------------------------


async def test_429_raises_retry_after(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.start_user(ann)
    tg.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ann.id, "hi")
    retry_after = caught.value.retry_after  # PTB 22.x: int, or timedelta with PTB_TIMEDELTA=1
    seconds = retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after
    assert seconds == 1
    call = tg.calls_to("sendMessage")[-1]
    assert call.failed_with == 429 and not call.ok
    assert call.description == "Too Many Requests: retry after 1"
    assert (await bot.send_message(ann.id, "hi")).text == "hi"  # only the next call failed


async def test_5xx_raise_network_errors(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    tg.start_user(ann)
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match=said("Internal Server Error")):
        await bot.send_message(ann.id, "hi")
    tg.fail_next("*", status=502, count=2)
    with pytest.raises(NetworkError, match=said("Bad Gateway")):
        await bot.send_chat_action(ann.id, "typing")
    with pytest.raises(NetworkError):
        await bot.get_me()
    assert await bot.get_me()


async def test_delay_makes_the_client_time_out_but_the_message_is_sent(
    tg: FakeTelegram, ann: FakeUser
) -> None:
    tg.start_user(ann)
    tg.delay_next("sendMessage", 0.5)
    async with Bot(TOKEN, base_url=tg.base_url, request=HTTPXRequest(read_timeout=0.1)) as slow:
        with pytest.raises(TimedOut):
            await slow.send_message(ann.id, "are you there?")
    [call] = await tg.wait_for("sendMessage", timeout=2)
    assert call.delayed == 0.5 and call.ok
    assert tg.sent_messages(ann.id)[0]["text"] == "are you there?"


async def test_wait_for_explains_what_was_called(tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_me()
    with pytest.raises(AssertionError, match=r"sendMessage[\s\S]*getMe\(\)"):
        await tg.wait_for("sendMessage", timeout=0.05)


# --- webhook ----------------------------------------------------------------------------------


async def test_webhook_delivery_with_secret_header(
    tg: FakeTelegram, bot: Bot, ann: FakeUser
) -> None:
    received: list[tuple[str | None, JSON]] = []

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            received.append((request.headers.get(SECRET_HEADER), json.loads(body)))
        except ValueError:
            return web.Response(status=400)  # a malformed update reached the webhook as-is
        ok = request.headers.get(SECRET_HEADER) == "s3cret"
        return web.Response(status=200 if ok else 403)

    app = web.Application()
    app.router.add_post("/telegram", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        assert_exact(info)
        assert info.url == url and info.allowed_updates == ("message",)
        assert tg.webhook is not None and tg.webhook.secret_token == "s3cret"
        with pytest.raises(Conflict, match=said("webhook is active")):
            await bot.get_updates()

        update = tg.private_message(ann, "via webhook")
        assert await tg.deliver(update) == 200
        assert await tg.deliver(update, secret_override="wrong") == 403
        assert await tg.deliver(update, omit_secret=True) == 403
        assert await tg.deliver(tg.join_request(tg.group(-1009, "G"), ann)) is None  # not allowed
        assert [secret for secret, _ in received] == ["s3cret", "wrong", None]
        assert received[0][1] == update
        info = await bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
        assert await tg.deliver(tg.raw_update("{not json")) == 400  # raw text goes out as-is

        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


# --- files --------------------------------------------------------------------------------------


async def test_get_file_and_download(tg: FakeTelegram, bot: Bot, ann: FakeUser) -> None:
    update = Update.de_json(tg.photo(ann, ann, caption="damp", content=b"JPEGDATA"), bot)
    assert update.message is not None and update.message.caption == "damp"
    largest = update.message.photo[-1]
    assert (largest.width, largest.height) == (1280, 960)
    file = await bot.get_file(largest.file_id)
    assert_exact(file)
    assert bytes(await file.download_as_bytearray()) == b"JPEGDATA"
    with pytest.raises(BadRequest, match=said("invalid file_id")):
        await bot.get_file("nope")
    sent = await bot.send_photo(ann.id, largest.file_id, caption="received")
    assert_exact(sent)
    assert sent.photo[-1].file_id == largest.file_id


async def test_commands(bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Start"), ("help", "How I can help")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


# --- the demo server ----------------------------------------------------------------------------


async def test_control_api_shorthand(tg: FakeTelegram, bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        shorthand = {"from": {"id": 55, "first_name": "Bob"}, "chat_id": 55, "text": "/start"}
        async with session.post(f"{tg.url}/_fake/updates", json=shorthand) as response:
            assert response.status == 200
            body = await response.json()
        assert body["result"]["update"]["message"]["entities"][0]["type"] == "bot_command"
        [update] = await bot.get_updates(timeout=1)
        assert update.message is not None and update.message.text == "/start"
        async with session.get(f"{tg.url}/_fake/calls") as response:
            calls = await response.json()
        assert [c["method"] for c in calls] == ["getMe", "getUpdates"]


def test_command_line_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helpbot.testing.fake_telegram", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    for shown in ("--port", "--latency-ms", "/_fake/updates", "/_fake/deliver", "/_fake/faults"):
        assert shown in result.stdout


def test_old_module_names_still_import() -> None:
    """Other tests and other people's bots import from where the fake used to live."""
    from helpbot.testing import FakeChat as FromPackage
    from helpbot.testing.fake_telegram import FakeTelegram as Facade
    from helpbot.testing.fake_telegram_methods import THREAD_NOT_FOUND, int_param
    from helpbot.testing.fake_telegram_objects import FakeChat, FakeUser
    from helpbot.testing.fake_telegram_text import format_text as old_format_text
    from helpbot.testing.fake_telegram_updates import ApiError, document_json

    assert FromPackage is FakeChat and Facade is FakeTelegram
    assert FakeUser(1, "Ann").to_dict()["first_name"] == "Ann"
    assert old_format_text is format_text and callable(int_param) and callable(document_json)
    assert ApiError(400, THREAD_NOT_FOUND).description == THREAD_NOT_FOUND


async def test_command_line_prints_the_port_bound_when_asked() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpbot.testing.fake_telegram",
        "--port",
        "0",
        "--print-port",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert line.isdigit() and int(line) > 0
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{line}/_fake/counts") as response:
                assert (await response.json())["calls_total"] == 0
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_command_line_server_runs_and_prints_base_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpbot.testing.fake_telegram",
        "--port",
        "0",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert line.startswith("http://127.0.0.1:") and line.endswith("/bot")
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{line}{TOKEN}/getMe") as response:
                assert (await response.json())["result"]["username"] == "shal_helpbot"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


def test_the_fake_is_composed_not_inherited() -> None:
    """Issue 9: the parts of the fake hold each other; none extends another, so each
    file reads alone. (Exceptions and typing generics are not parts.)"""
    import ast
    from pathlib import Path

    import helpbot.testing.fake_telegram as package

    root = Path(package.__file__).parent
    own_classes: set[str] = set()
    bases: dict[str, list[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                own_classes.add(node.name)
                bases[f"{path.name}:{node.name}"] = [ast.unparse(base) for base in node.bases]
    inheriting = {
        name: parents
        for name, parents in bases.items()
        if not name.endswith("Error")
        and any(parent.split("[")[0] in own_classes for parent in parents)
    }
    assert inheriting == {}
