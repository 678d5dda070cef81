"""Telegram adapter on python-telegram-bot 22."""

import os

# Opt in to PTB's future behaviour (durations as timedelta) now, so 429 handling does
# not change under us at the next major version; our code accepts both.
os.environ.setdefault("PTB_TIMEDELTA", "1")
