"""Identity and time (issue 12): empty staff and community lists mean nobody and no group;
people are found by their stable id, usernames refreshed on every update; the UK calendar
date wherever working days are counted; a register import replaces the set of current
tenancies. Through the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, update

from helpbot.config import load_settings
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.membership import Membership
from helpbot.store.records import Store
from helpbot.store.tenancy_register import ReferenceIndex, TenancyRegister
from helpbot.testing.harness import BotUnderTest, running_bot, tenant

COMPLAINT = "I want to make a formal complaint about how my repair was handled"

REGISTER = """tenancy_ref,postcode,tenants,occupants,start_date,end_date
SH-000123,TA6 4SY,Ann Smith,,2019-04-01,
SH-000456,TA6 5AB,Bob Jones,,2015-01-12,
SH-000789,TA6 7CD,Cat Brown,,2020-02-01,
"""


async def person(store: Store, user_id: int) -> models.Person:
    async with store.sessions() as session:
        row = await session.scalar(
            select(models.Person).where(models.Person.external_id == str(user_id))
        )
    assert row is not None
    return row


# -- safe defaults -------------------------------------------------------------------


async def test_with_no_staff_list_nobody_in_the_staff_group_is_staff(
    store: Store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    async with running_bot(store, understanding, staff_user_ids=()) as bot:
        ann = tenant(bot.tg)
        await bot.send(bot.tg.private_message(ann, COMPLAINT))
        (case,) = await Casebook(bot.store).all_cases()
        assert case.staff_topic_id is not None
        heard = len(bot.replies_to(ann.id))
        someone = bot.tg.user(9001, "Priya")
        await bot.send(bot.tg.topic_message(bot.staff_room, case.staff_topic_id, someone, "/claim"))
        refused = bot.replies_to(bot.staff_room.id, case.staff_topic_id)[-1]
        assert "only colleagues on the staff list" in refused
        await bot.send(
            bot.tg.topic_message(bot.staff_room, case.staff_topic_id, someone, "/reply hello Ann")
        )
        assert bot.replies_to(ann.id)[heard:] == []
        stored = await Casebook(bot.store).by_id(case.id)
        assert stored is not None and stored.assignee_id is None
        # Not a moderator in the community group either, however long in the staff group.
        bob = tenant(bot.tg, 5002, "Bob")
        await bot.send(bot.tg.group_message(bot.community, bob, "Morning everyone"))
        await bot.send(bot.tg.group_message(bot.staff_room, someone, "/block @bob_tenant spam"))
        assert bot.tg.calls_to("banChatMember") == []
        assert len(await bot.store.audit_trail("refused_staff_command")) == 3


async def test_with_no_community_list_a_group_that_adds_the_bot_is_not_served(
    store: Store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    async with running_bot(store, understanding, community_group_ids=()) as bot:
        ann = tenant(bot.tg)
        await bot.send(bot.tg.group_message(bot.community, ann, COMPLAINT))
        assert bot.tg.sent_messages(bot.community.id) == []
        assert await Casebook(bot.store).all_cases() == []
        async with bot.store.sessions() as session:
            kinds = set(await session.scalars(select(models.Chat.kind)))
        assert "community" not in kinds


def test_start_up_says_what_to_set_when_a_list_is_empty() -> None:
    token = "123456:TEST-TOKEN"
    empty = load_settings(telegram_token=token, staff_group_id=-1001)
    notes = empty.unset_lists()
    assert any("HELPBOT_STAFF_USER_IDS is empty, so nobody is treated as staff" in n for n in notes)
    assert any("HELPBOT_COMMUNITY_GROUP_IDS is empty, so no group" in n for n in notes)
    full = load_settings(
        telegram_token=token,
        staff_group_id=-1001,
        staff_user_ids="9001",
        community_group_ids="-1002",
    )
    assert full.unset_lists() == []


# -- people by their stable id ---------------------------------------------------------


async def test_block_at_a_username_that_changed_hands_hits_the_current_holder(
    bot: BotUnderTest,
) -> None:
    priya = bot.tg.user(9001, "Priya")
    old = bot.tg.user(5002, "Bob", username="parking_pete")
    await bot.send(bot.tg.group_message(bot.community, old, "Morning everyone"))
    # Bob changes his username; later someone else takes the old one.
    old = bot.tg.user(5002, "Bob", username="bob_new")
    await bot.send(bot.tg.group_message(bot.community, old, "new name, same me"))
    assert (await person(bot.store, 5002)).username == "bob_new"
    new = bot.tg.user(5003, "Pete", username="parking_pete")
    await bot.send(bot.tg.group_message(bot.community, new, "hello all"))

    await bot.send(bot.tg.group_message(bot.staff_room, priya, "/block @parking_pete spamming"))
    (ban,) = bot.tg.calls_to("banChatMember")
    assert ban.params["user_id"] == 5003  # the current holder, never Bob
    bob_row = await person(bot.store, 5002)
    assert bob_row.username == "bob_new"


async def test_a_username_taken_before_the_former_owner_is_seen_again_is_not_guessed(
    bot: BotUnderTest,
) -> None:
    priya = bot.tg.user(9001, "Priya")
    bob = bot.tg.user(5002, "Bob", username="parking_pete")
    await bot.send(bot.tg.group_message(bot.community, bob, "Morning everyone"))
    pete = bot.tg.user(5003, "Pete", username="parking_pete")
    await bot.send(bot.tg.group_message(bot.community, pete, "hello all"))
    # The newcomer's update released the name from Bob's record.
    assert (await person(bot.store, 5002)).username is None
    # Records from before this was kept (two holders at once) are refused, not guessed.
    async with bot.store.sessions.begin() as session:
        await session.execute(
            update(models.Person)
            .where(models.Person.external_id == "5002")
            .values(username="parking_pete")
        )
    await bot.send(bot.tg.group_message(bot.staff_room, priya, "/block @parking_pete spamming"))
    assert bot.tg.calls_to("banChatMember") == []
    assert "changed hands" in bot.replies_to(bot.staff_room.id)[-1]
    # By id it works, and reaches exactly that person.
    await bot.send(bot.tg.group_message(bot.staff_room, priya, "/block 5003 spamming"))
    (ban,) = bot.tg.calls_to("banChatMember")
    assert ban.params["user_id"] == 5003


# -- the UK calendar date --------------------------------------------------------------


async def test_a_complaint_at_half_past_midnight_bst_is_received_that_day(
    bot: BotUnderTest,
) -> None:
    # 00:30 BST on Tuesday 2 June 2026 is 23:30 UTC on Monday 1 June.
    bot.tg.clock = lambda: datetime(2026, 6, 1, 23, 30, tzinfo=UTC).timestamp()
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, COMPLAINT))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "complaint"
    assert case.received_on == date(2026, 6, 2)
    assert case.acknowledge_by == date(2026, 6, 9)  # five working days from Tue 2 June


# -- the register import replaces the current tenancies ------------------------------


async def test_a_reimport_ends_tenancies_left_out_and_they_stop_matching(
    bot: BotUnderTest,
) -> None:
    register = TenancyRegister(bot.store)
    first = await register.import_text(REGISTER)
    assert (first.added, first.ended) == (3, 0)
    without_bob = "\n".join(line for line in REGISTER.splitlines() if "SH-000456" not in line)

    trial = await register.import_text(without_bob, dry_run=True)
    assert (trial.added, trial.updated, trial.unchanged, trial.ended) == (0, 0, 2, 1)
    (bob,) = await register.candidates(["SH-000456"], None)
    assert bob.ended_at is None  # a dry run keeps nothing

    done = await register.import_text(without_bob)
    assert done.ended == 1
    (bob,) = await register.candidates(["SH-000456"], None)
    assert bob.ended_at is not None and bob.end_date is None

    # Bob asks to join with his (former) tenancy: the register says it is not current.
    bob_user = tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.join_request(bot.community, bob_user))
    for answer in ("Bob Jones", "SH-000456", "TA6 5AB"):
        await bot.send(bot.tg.private_message(bob_user, answer))
    rules = bot.tg.sent_messages(bob_user.id)[-1]
    accept = rules["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await bot.send(bot.tg.callback(bob_user, rules, accept))
    (request,) = await Membership(bot.store).requests()
    assert request.register_match == "none"
    assert "not current" in (request.register_note or "")

    # Listed again: current again.
    again = await register.import_text(REGISTER)
    assert (again.updated, again.ended) == (1, 0)
    (bob,) = await register.candidates(["SH-000456"], None)
    assert bob.ended_at is None


async def test_tenants_import_dry_run_prints_the_counts_and_keeps_nothing(
    database_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "register.csv"
    first.write_text(REGISTER)
    second = tmp_path / "register2.csv"
    second.write_text(
        "\n".join(line for line in REGISTER.splitlines() if "SH-000789" not in line)
        + "\nSH-000999,TA6 9ZZ,Dee Green,,2026-01-05,\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {"HELPBOT_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
        return subprocess.run(
            [sys.executable, "-m", "helpbot", "tenants", "import", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=120,
        )

    assert run(str(first)).returncode == 0
    trial = run(str(second), "--dry-run")
    assert trial.returncode == 0, trial.stderr
    assert "Dry run, nothing was changed" in trial.stdout
    assert "1 to add, 0 to change, 2 unchanged, 1 to end" in trial.stdout
    done = run(str(second))
    assert "1 new, 0 updated, 2 unchanged; 1 ended" in done.stdout


def test_the_reference_index_finds_every_typo_within_two_edits() -> None:
    references = [f"SH-{n:06d}" for n in range(0, 3000, 7)] + ["AB12", "SH-00012"]
    index = ReferenceIndex(references)
    for query in ("SH-000123", "SH-00123", "SH-0001234", "SH-000X23", "HS-000123", "AB1"):
        expected = sorted((_distance(r, query), r) for r in references)
        assert index.near(query, 2, limit=10_000) == [r for d, r in expected if d <= 2], query
    closest = sorted(references, key=lambda r: (_distance(r, "SH-000123"), r))
    assert index.near("SH-000123", 2) == [r for r in closest if _distance(r, "SH-000123") <= 2][:20]
    assert index.near("SH-000126", 0) == ["SH-000126"]


def _distance(a: str, b: str) -> int:
    from helpbot.desk.joining.register_matching import distance

    return distance(a, b)
