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


class UnreadableRequests(logging.Filter):
    """aiohttp answers a request it cannot parse (a URL or header over 8 KB, a broken
    request line) with 400, then logs it at ERROR with a traceback and the first 100
    bytes of the offending line, which may be anyone's words or a token. One line with
    the error's class is enough for an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "refused a request it could not read (%s, answered 400)"
            record.args = (type(error).__name__,)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_UNREADABLE = UnreadableRequests()


def hold_payload_loggers() -> None:
    for name, floor in PAYLOAD_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
    server = logging.getLogger("aiohttp.server")
    if _UNREADABLE not in server.filters:
        server.addFilter(_UNREADABLE)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    hold_payload_loggers()
