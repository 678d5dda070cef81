"""Logging that keeps tenants' words out of log files (the Privacy promise).

Our own log lines carry ids and intent labels only. Some libraries log whole
payloads at DEBUG (aiosqlite logs SQL parameters, python-telegram-bot logs request
parameters, httpx logs URLs containing the bot token), so those are held at INFO or
above whatever level the operator picks.
"""

from __future__ import annotations

import logging
import sys

PAYLOAD_LOGGERS = {
    "aiosqlite": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "telegram": logging.INFO,
    "telegram.Bot": logging.INFO,
    "telegram.ext": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "asyncpg": logging.INFO,
    "aiohttp.access": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,  # start-up noise, not payloads
    "alembic.runtime.migration": logging.WARNING,  # each start: "Context impl ..."
}


def hold_payload_loggers() -> None:
    for name, floor in PAYLOAD_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    hold_payload_loggers()
