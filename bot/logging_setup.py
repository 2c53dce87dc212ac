"""Logging for `python -m bot`: one format, and secrets never written anywhere.

The bot token travels in every Bot API URL, python-telegram-bot quotes it in InvalidToken
messages, and a database URL can carry a password; any library may log or raise with them. So
the redaction sits where every log record is made (the record factory), not in one logger: the
message, its arguments, the exception text with its traceback and the stack are all rewritten
before any handler sees them. Uncaught exceptions and warnings are routed through logging too,
so nothing reaches stderr unredacted.

What people type is not logged either: python-telegram-bot's debug records quote whole updates
and Bot API results (a consumption password typed in a chat would be among them; the bot deletes
that message at once, bot/ui/secret_input.py), so those records keep only the endpoint name.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

MASK = "***"
#: Any Telegram bot token (`<bot id>:<35 characters>`), even one that was never configured here.
_ANY_TOKEN = re.compile(r"\b(\d{5,}):[A-Za-z0-9_-]{30,}")
#: Shorter values would blank out ordinary words.
_MIN_SECRET = 6
_secrets: set[str] = set()
#: python-telegram-bot's log formats whose arguments carry updates or API payloads (message
#: texts), and how many leading arguments (an endpoint name) may stay.
_CONTENT_FORMATS = {
    "Calling Bot API endpoint `%s` with parameters `%s`": 1,
    "Call to Bot API endpoint `%s` finished with return value `%s`": 1,
    "Processing update %s": 0,
    "Dropping pending update: %s": 0,
    "Webhook received data: %s": 0,
}
CONTENT_MASK = "<content not logged>"
_formatter = logging.Formatter()

log = logging.getLogger("bot")


def keep_secret(*values: str | None) -> None:
    """Never log these values. Of a bot token the secret part (after the colon) is masked
    wherever it appears, so the token itself shows as `<bot id>:***`."""
    for value in values:
        secret = value.partition(":")[2] if value and _is_token(value) else value
        if secret and len(secret) >= _MIN_SECRET:
            _secrets.add(secret)


def database_password(url: str) -> str | None:
    """The password in a database URL, if any."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def redact(text: str) -> str:
    """`text` with every known secret and anything shaped like a bot token masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _ANY_TOKEN.sub(rf"\1:{MASK}", text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record so no formatter or handler can bring a secret back."""
    _drop_contents(record)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # arguments that don't fit the format: keep both, redacted
        message = f"{record.msg} {record.args}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = _formatter.formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def _drop_contents(record: logging.LogRecord) -> None:
    """Updates and API payloads quoted by python-telegram-bot: keep only the endpoint."""
    kept = _CONTENT_FORMATS.get(record.msg) if isinstance(record.msg, str) else None
    if kept is None or record.args is None:
        return
    # logging unwraps a lone mapping argument: it is then the one argument.
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    record.args = (*args[:kept], *[CONTENT_MASK] * (len(args) - kept))


def _is_token(value: str) -> bool:
    head, colon, tail = value.partition(":")
    return bool(colon and head.isdigit() and tail)


def install_redaction() -> None:
    """Redact every log record from now on, whichever logger or handler it goes to."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make(*args, **kwargs))

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _log_uncaught(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    log.critical("unexpected error", exc_info=(kind, error, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


class _RejectedTokenInOneLine(logging.Filter):
    """python-telegram-bot logs a rejected token with its traceback before raising it; the
    traceback says nothing more than main()'s one line, so it is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_text and "telegram.error.InvalidToken" in record.exc_text:
            record.exc_text = None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """The process's logging: redacted, one line per event (plus a traceback when one helps)."""
    install_redaction()
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RejectedTokenInOneLine())
    # httpx logs every request URL at INFO: redacted it would still be noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    # The flows use per_message=False on purpose (one conversation per chat, button presses
    # included); PTB warns about that at every start.
    warnings.filterwarnings("ignore", message=r"If 'per_message=False'")
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
