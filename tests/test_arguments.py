"""SHAL never argues (policy 3.9, 3.10). An argument in the community group is ended
with one polite message, however long it goes on; moderators are told; those involved
can be paused for a while. A hostile private chat is ended once, but an emergency is
always answered. SQLite and PostgreSQL, through the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpbot.desk.front_desk import CommunitySettings
from helpbot.store.moderation_log import ModerationLog
from helpbot.testing.harness import BotUnderTest, running_bot, tenant

CLOSING = "Let's leave this discussion here"
# Clearly hostile to the classifier (hostile score well above 0.5 with the trained
# pipeline, checked with `helpbot classify`), and clearly friendly.
INSULTS = [
    "you're an idiot, Ann, nobody asked you",
    "shut up Bob, you're the idiot here",
    "oh get lost, you pathetic moron",
    "you are a clueless idiot and a liar",
    "useless idiots the lot of you, shut up",
    "you're all a bunch of liars and clowns",
]


def closing_messages(bot: BotUnderTest) -> list[dict]:
    return [m for m in bot.tg.sent_messages(bot.community.id) if CLOSING in m["text"]]


def moderation_notices(bot: BotUnderTest) -> list[dict]:
    return [
        m
        for m in bot.tg.sent_messages(bot.staff_room.id)
        if bot.tg.topics[bot.staff_room.id][m["message_thread_id"]]["name"] == "Moderation"
    ]


async def argue(bot: BotUnderTest, rounds: int) -> list[dict]:
    """Ann posts an opinion; Bob and Ann then trade insults, each replying to the other."""
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    opening = bot.tg.group_message(bot.community, ann, "I think the new bins are a good idea")
    await bot.send(opening)
    posts = [opening]
    for turn in range(rounds):
        author = bob if turn % 2 == 0 else ann
        post = bot.tg.group_message(
            bot.community, author, INSULTS[turn % len(INSULTS)], reply_to=posts[-1]
        )
        await bot.send(post)
        posts.append(post)
    return posts


async def test_an_argument_is_ended_with_one_message_however_long_it_goes_on(
    bot: BotUnderTest,
) -> None:
    posts = await argue(bot, 3)
    (closing,) = closing_messages(bot)
    # It ends the argument where it is, says why, and points to a private chat and the rules.
    assert closing["reply_to_message"]["message_id"] == posts[-1]["message"]["message_id"]
    assert "won't go on in the group" in closing["text"] and "3.10" not in closing["text"]
    links = [b["url"] for row in closing["reply_markup"]["inline_keyboard"] for b in row]
    assert links == ["https://t.me/shal_helpbot", "https://t.me/shal_helpbot?start=rules"]
    # Moderators are told, with a link to the message.
    (notice,) = moderation_notices(bot)
    assert "An argument in “SHAL tenants' community”" in notice["text"]
    assert "Ann (@ann_tenant" in notice["text"] and "Bob (@bob_tenant" in notice["text"]
    (link,) = [b["url"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert link == f"https://t.me/c/1000000002/{posts[-1]['message']['message_id']}"
    # Not configured to pause anyone.
    assert bot.tg.calls_to("restrictChatMember") == []

    # The argument goes on: the bot says nothing more, in the group or to moderators.
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    last = posts[-1]
    for turn in range(6):
        author = ann if turn % 2 == 0 else bob
        last = bot.tg.group_message(bot.community, author, INSULTS[turn], reply_to=last)
        await bot.send(last)
    assert len(closing_messages(bot)) == 1
    assert len(moderation_notices(bot)) == 1
    (ended,) = await ModerationLog(bot.store).entries(action="argument_ended")
    assert ended.entry.actor_kind == "bot"

    # The rules button works in private.
    await bot.send(bot.tg.command(ann, ann, "start", "rules"))
    assert "Rules (Appendix 2)" in bot.replies_to(ann.id)[-1]


async def test_the_ended_discussion_stays_ended_after_a_restart(store, understanding) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(store, understanding) as bot:
        posts = await argue(bot, 3)
        assert len(closing_messages(bot)) == 1
        assert len(posts) == 4
    async with running_bot(store, understanding) as bot:

        async def later(update: dict) -> dict:
            # Telegram's update ids carry on after our restart (the new fake restarts them).
            await bot.send({**update, "update_id": update["update_id"] + 1_000_000})
            return update

        ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
        post = await later(bot.tg.group_message(bot.community, ann, INSULTS[1]))
        for author, text in ((bob, INSULTS[0]), (ann, INSULTS[3]), (bob, INSULTS[2])):
            post = await later(bot.tg.group_message(bot.community, author, text, reply_to=post))
        assert closing_messages(bot) == []
        assert moderation_notices(bot) == []
        # One argument (each insult also counts towards its author's own hostility).
        (ended,) = [
            d for d in await ModerationLog(bot.store).all_discussions() if d.kind == "group"
        ]
        assert ended.status == "closed" and len(ended.exchanges) == 3


async def test_those_involved_are_paused_for_the_cool_down_and_then_let_back(
    store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    settings = CommunitySettings(argument_cooldown_minutes=30)
    async with running_bot(store, understanding, community_settings=settings) as bot:
        await argue(bot, 3)
        ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
        restricted = bot.tg.calls_to("restrictChatMember")
        assert sorted(c.params["user_id"] for c in restricted) == [ann.id, bob.id]
        assert all(c.params["permissions"]["can_send_messages"] is False for c in restricted)
        for person in (ann, bob):
            assert bot.tg.member_status(bot.community.id, person.id) == "restricted"
        (notice,) = moderation_notices(bot)
        assert "paused for 30 minutes" in notice["text"]

        started = datetime.now(UTC)
        await bot.sweep(started + timedelta(minutes=10))  # not yet
        assert len(bot.tg.calls_to("restrictChatMember")) == 2
        await bot.sweep(started + timedelta(minutes=31))
        for person in (ann, bob):
            assert bot.tg.member_status(bot.community.id, person.id) == "member"
        log = ModerationLog(bot.store)
        pauses = await log.entries(action="restrict")
        assert len(pauses) == 2 and all(p.entry.lifted_at is not None for p in pauses)
        assert len(await log.entries(action="lift")) == 2


async def test_a_single_rude_word_is_not_an_argument(bot: BotUnderTest) -> None:
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    opening = bot.tg.group_message(bot.community, ann, "I think the new bins are a good idea")
    await bot.send(opening)
    rude = bot.tg.group_message(bot.community, bob, "that's a stupid idea", reply_to=opening)
    await bot.send(rude)
    await bot.send(
        bot.tg.group_message(bot.community, ann, "Thanks Bob, that's helpful", reply_to=rude)
    )
    assert bot.tg.sent_messages(bot.community.id) == []
    assert moderation_notices(bot) == []
    watched = await ModerationLog(bot.store).all_discussions()
    assert [d.status for d in watched if d.kind == "group"] == ["watching"]


async def test_a_hostile_private_chat_is_ended_once_but_an_emergency_still_gets_help(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "you lot are useless idiots, shut up"))
    (first,) = bot.replies_to(ann.id)
    assert "won't go on with this talk here" in first  # polite, not an argument

    await bot.send(bot.tg.private_message(ann, "this bot is pathetic, you're all clowns"))
    closing = bot.tg.sent_messages(ann.id)[-1]
    assert "make a complaint" in closing["text"] and "3.10" not in closing["text"]
    assert [b["text"] for row in closing["reply_markup"]["inline_keyboard"] for b in row] == [
        "Talk to a person"
    ]
    for text in INSULTS[3:]:
        await bot.send(bot.tg.private_message(ann, text))
    assert len(bot.replies_to(ann.id)) == 2  # no replies during the cool-down

    await bot.send(bot.tg.private_message(ann, "I can smell gas in the hallway"))
    assert "0800 111 999" in bot.replies_to(ann.id)[-1]
    assert len(moderation_notices(bot)) == 1
    assert len(await bot.store.audit_trail("private_chat_ended")) == 1
