"""The first look at how fast a private chat is writing (helpbot/desk/arrivals.py): the
flood check asks the database only past it, so an ordinary chat costs no statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpbot.desk.arrivals import Arrivals

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_a_chat_writing_every_half_minute_stays_below_the_first_look() -> None:
    arrivals = Arrivals()
    counts = [arrivals.seen(7, T0 + timedelta(seconds=30 * n), MINUTE) for n in range(20)]
    assert max(counts) <= 3


def test_a_burst_is_counted_and_other_chats_are_apart() -> None:
    arrivals = Arrivals()
    counts = [arrivals.seen(7, T0 + timedelta(seconds=n / 10), MINUTE) for n in range(30)]
    assert counts[-1] == 30
    assert arrivals.seen(8, T0, MINUTE) == 1
