"""Moderating the community group (policy 3.7): colleagues warn, remove, block and
unblock with a reason, from the staff group or by replying in the group; new members'
links are held for review; flooding is slowed. Every action is in the moderation log.
SQLite and PostgreSQL, through the fake Bot API."""

from __future__ import annotations

import io

from helpbot.printouts.community_records import print_moderation_log
from helpbot.store.membership import Membership
from helpbot.store.moderation_log import ModerationLog
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, tenant


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def topic_messages(bot: BotUnderTest, name: str) -> list[dict]:
    topics = bot.tg.topics[bot.staff_room.id]
    return [
        m
        for m in bot.tg.sent_messages(bot.staff_room.id)
        if m.get("message_thread_id") in topics and topics[m["message_thread_id"]]["name"] == name
    ]


async def colleague(bot: BotUnderTest) -> FakeUser:
    """Priya, who works in the staff group (so counts as a colleague everywhere)."""
    priya = bot.tg.user(9001, "Priya")
    await bot.send(bot.tg.group_message(bot.staff_room, priya, "morning all"))
    return priya


async def staff(bot: BotUnderTest, priya: FakeUser, text: str) -> str:
    await bot.send(bot.tg.group_message(bot.staff_room, priya, text))
    return bot.replies_to(bot.staff_room.id)[-1]


async def member_in_group(bot: BotUnderTest, user_id: int = 5002, name: str = "Bob") -> FakeUser:
    person = tenant(bot.tg, user_id, name)
    await bot.send(bot.tg.group_message(bot.community, person, "Morning everyone"))
    return person


async def test_warn_remove_block_and_unblock_are_done_with_reasons_and_recorded(
    bot: BotUnderTest, database_url: str
) -> None:
    priya = await colleague(bot)
    bob = await member_in_group(bot)

    # Bob hasn't written to the bot privately, so he can't be told: colleagues are told so.
    said = await staff(bot, priya, "/warn @bob_tenant please keep it friendly")
    assert "warned by Priya: please keep it friendly" in said
    assert "couldn't be told privately" in said
    assert bot.replies_to(bob.id) == []

    await bot.send(bot.tg.private_message(bob, "hello"))
    said = await staff(bot, priya, "/warn @bob_tenant no adverts in the group please")
    assert "They've been told privately" in said
    assert "no adverts in the group please" in bot.replies_to(bob.id)[-1]

    # Removing: out of the group, free to ask to join again.
    said = await staff(bot, priya, "/remove 5002 kept posting adverts after two warnings")
    assert "removed from “SHAL tenants' community” by Priya" in said
    ban, unban = bot.tg.calls_to("banChatMember"), bot.tg.calls_to("unbanChatMember")
    assert [c.params["user_id"] for c in ban + unban] == [bob.id, bob.id]
    assert unban[0].params["only_if_banned"] is True
    assert bot.tg.member_status(bot.community.id, bob.id) == "left"
    assert "You're welcome to ask to join again" in bot.replies_to(bob.id)[-1]

    said = await staff(bot, priya, "/block @bob_tenant threatening another member")
    assert "blocked from" in said
    assert bot.tg.member_status(bot.community.id, bob.id) == "kicked"
    assert "blocked from SHAL's tenants' groups" in bot.replies_to(bob.id)[-1]

    said = await staff(bot, priya, "/unblock @bob_tenant apologised and agreed to the rules")
    assert "unblocked by Priya" in said
    assert bot.tg.member_status(bot.community.id, bob.id) == "left"

    log = await ModerationLog(bot.store).entries()
    assert [(e.entry.action, e.entry.reason, e.entry.actor_name) for e in log] == [
        ("warn", "please keep it friendly", "Priya"),
        ("warn", "no adverts in the group please", "Priya"),
        ("remove", "kept posting adverts after two warnings", "Priya"),
        ("block", "threatening another member", "Priya"),
        ("unblock", "apologised and agreed to the rules", "Priya"),
    ]
    audit = [e.action for e in await bot.store.audit_trail()]
    for action in (
        "moderation_warn",
        "moderation_remove",
        "moderation_block",
        "moderation_unblock",
    ):
        assert action in audit

    # Staff can read it all at the command line.
    out = io.StringIO()
    assert await print_moderation_log(database_url, out) == 0
    printed = out.getvalue()
    assert "threatening another member" in printed and "Bob @bob_tenant" in printed
    assert printed.count(" warn ") == 2 and "SHAL tenants' community" in printed


async def test_a_reason_is_required(bot: BotUnderTest) -> None:
    priya = await colleague(bot)
    await member_in_group(bot)
    said = await staff(bot, priya, "/block @bob_tenant")
    assert "Please give a reason" in said
    assert bot.tg.calls_to("banChatMember") == []
    assert await ModerationLog(bot.store).entries() == []


async def test_a_colleague_removes_a_member_by_replying_in_the_group(bot: BotUnderTest) -> None:
    priya = await colleague(bot)
    bob = tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(bob, "hi"))
    advert = bot.tg.group_message(bot.community, bob, "Cheap phones, message me")
    await bot.send(advert)
    command = bot.tg.group_message(
        bot.community, priya, "/remove selling in the group", reply_to=advert
    )
    await bot.send(command)
    # No telling-off in public: the command is taken down, colleagues are told in the staff group.
    assert bot.tg.is_deleted(bot.community.id, command["message"]["message_id"])
    assert bot.tg.sent_messages(bot.community.id) == []
    assert bot.tg.member_status(bot.community.id, bob.id) == "left"
    (notice,) = topic_messages(bot, "Moderation")
    assert "Bob (@bob_tenant" in notice["text"] and "selling in the group" in notice["text"]
    assert "selling in the group" in bot.replies_to(bob.id)[-1]
    (entry,) = await ModerationLog(bot.store).entries()
    assert (entry.entry.action, entry.group) == ("remove", "SHAL tenants' community")
    (membership,) = await Membership(bot.store).members()
    assert membership.status == "removed"


async def test_a_members_block_is_refused_politely_and_recorded(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    bob = await member_in_group(bot)
    post = bot.tg.group_message(bot.community, bob, "Morning again")
    await bot.send(post)
    await bot.send(bot.tg.group_message(bot.community, ann, "/block he is annoying", reply_to=post))
    assert "is a staff command" in bot.replies_to(bot.community.id)[-1]
    assert bot.tg.calls_to("banChatMember") == []
    assert bot.tg.member_status(bot.community.id, bob.id) == "member"
    (refused,) = await bot.store.audit_trail("refused_staff_command")
    assert refused.subject == "block" and refused.actor == f"telegram:{ann.id}"
    assert await ModerationLog(bot.store).entries() == []


async def test_after_three_warnings_removal_is_proposed_not_done(bot: BotUnderTest) -> None:
    priya = await colleague(bot)
    bob = await member_in_group(bot)
    for reason in ("language", "more bad language", "still swearing"):
        await staff(bot, priya, f"/warn @bob_tenant {reason}")
    assert bot.tg.calls_to("banChatMember") == []
    (proposal,) = [m for m in topic_messages(bot, "Moderation") if "3 warnings" in m["text"]]
    remove = next(b for b in buttons(proposal) if b["text"] == "Remove from the group")
    await bot.send(bot.tg.callback(priya, proposal, remove["callback_data"]))
    assert bot.tg.member_status(bot.community.id, bob.id) == "left"
    actions = [e.entry.action for e in await ModerationLog(bot.store).entries()]
    assert actions == ["warn", "warn", "warn", "propose_remove", "remove"]
    # Pressing again does nothing more.
    await bot.send(bot.tg.callback(priya, proposal, remove["callback_data"]))
    assert len(bot.tg.calls_to("banChatMember")) == 1


async def test_a_new_members_link_is_held_for_review_and_reposted(bot: BotUnderTest) -> None:
    priya = await colleague(bot)
    cal = tenant(bot.tg, 5003, "Cal")
    await bot.send(bot.tg.private_message(cal, "hello"))
    await bot.send(bot.tg.chat_member_update(bot.community, cal, "left", "member"))
    post = bot.tg.group_message(
        bot.community, cal, "Free paint for anyone who wants it: https://example.org/paint"
    )
    await bot.send(post)
    assert bot.tg.is_deleted(bot.community.id, post["message"]["message_id"])
    (held,) = topic_messages(bot, "Held for review")
    assert "Cal (@cal_tenant" in held["text"] and "https://example.org/paint" in held["text"]
    assert "it has a link" in held["text"]
    assert "waiting for a colleague to check it" in bot.replies_to(cal.id)[-1]
    assert bot.tg.sent_messages(bot.community.id) == []

    repost = next(b for b in buttons(held) if b["text"] == "Repost")
    await bot.send(bot.tg.callback(priya, held, repost["callback_data"]))
    (public,) = bot.tg.sent_messages(bot.community.id)
    assert public["text"].startswith("Cal shared (checked by the SHAL team)")
    assert "https://example.org/paint" in public["text"]
    states = [(e.entry.action, e.entry.state) for e in await ModerationLog(bot.store).entries()]
    assert states == [("hold", "reposted"), ("repost", None)]

    # A long-standing member's link is not held.
    dee = await member_in_group(bot, 5004, "Dee")
    link = bot.tg.group_message(bot.community, dee, "Council notice: https://example.org/bins")
    await bot.send(link)
    assert not bot.tg.is_deleted(bot.community.id, link["message"]["message_id"])


async def test_flooding_is_slowed_with_one_notice(bot: BotUnderTest) -> None:
    eve = tenant(bot.tg, 5005, "Eve")
    for number in range(9):
        await bot.send(bot.tg.group_message(bot.community, eve, f"raffle ticket number {number}"))
    (pause,) = bot.tg.calls_to("restrictChatMember")
    assert pause.params["user_id"] == eve.id
    assert pause.params["permissions"]["can_send_messages"] is False
    notices = [
        m for m in bot.tg.sent_messages(bot.community.id) if "posting is paused" in m["text"]
    ]
    assert len(notices) == 1
    (entry,) = await ModerationLog(bot.store).entries(action="restrict")
    assert entry.entry.reason == "flooding" and entry.entry.until is not None


async def test_a_member_reporting_a_fire_is_never_paused_for_flooding(bot: BotUnderTest) -> None:
    """Fal fires off short messages, then the danger (outside review: muted for five
    minutes). The danger is answered and Fal is not muted for it."""
    fal = tenant(bot.tg, 5006, "Fal")
    for word in ("help", "anyone", "please", "quick", "hello??", "is anyone there", "pls"):
        await bot.send(bot.tg.group_message(bot.community, fal, word))
    paused = len(bot.tg.calls_to("restrictChatMember"))
    fire = "there's smoke coming under my front door and I can't get out, the stairs are full of it"
    await bot.send(bot.tg.group_message(bot.community, fal, fire))
    assert len(bot.tg.calls_to("restrictChatMember")) == paused
    said = [m["text"] for m in bot.tg.sent_messages(bot.community.id)]
    assert any("999" in text for text in said[-2:])
