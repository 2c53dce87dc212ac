"""Reading a PIN: what counts as one, the twice-typed comparison held in memory only, and
python-telegram-bot's debug records of updates never reaching a log with what people typed."""

from __future__ import annotations

import inspect
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import telegram._bot
import telegram.ext._application

from bot.logging_setup import CONTENT_MASK, install_redaction
from bot.ui.secret_input import PENDING_FOR, PendingPins, parse_pin

NOW = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "pin"),
    [
        ("123456", "123456"),
        (" 012345 ", "012345"),
        ("１２３４５６", "123456"),  # a Chinese keyboard's full-width digits
        ("12345", None),
        ("1234567", None),
        ("12 3456", None),
        ("12345a", None),
        ("١٢٣٤٥٦", None),  # Arabic-Indic digits are not taken for ASCII ones
        ("①②③④⑤⑥", None),
        ("", None),
    ],
)
def test_what_counts_as_a_pin(typed: str, pin: str | None) -> None:
    assert parse_pin(typed) == pin


def test_pending_pins_compare_once_and_forget() -> None:
    pins = PendingPins()
    pins.hold(7, "set", "123456", NOW)
    assert pins.matches(7, "set", "654321", NOW) is False
    assert pins.matches(7, "set", "123456", NOW) is None  # a mismatch forgets the first entry
    pins.hold(7, "set", "123456", NOW)
    assert pins.matches(8, "set", "123456", NOW) is None  # someone else's
    assert pins.matches(7, "change", "123456", NOW) is None  # another purpose
    assert pins.matches(7, "set", "123456", NOW) is True
    pins.hold(7, "set", "123456", NOW)
    assert pins.matches(7, "set", "123456", NOW + PENDING_FOR + timedelta(seconds=1)) is None
    # What is held is a keyed digest, not the PIN.
    pins.hold(7, "set", "123456", NOW)
    assert "123456" not in repr(pins._held) and b"123456" not in b"".join(
        digest for digest, _ in pins._held.values()
    )


@pytest.fixture
def ptb_log() -> Iterator[io.StringIO]:
    """python-telegram-bot's own loggers at DEBUG, written to a buffer through the redaction."""
    factory = logging.getLogRecordFactory()
    install_redaction()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    loggers = [logging.getLogger(name) for name in ("telegram.Bot", "telegram.ext.Application")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
        logging.setLogRecordFactory(factory)


def test_ptb_debug_records_of_updates_keep_only_the_endpoint(ptb_log: io.StringIO) -> None:
    update = {"update_id": 1, "message": {"text": "314159"}}
    # The very formats python-telegram-bot uses (checked against its source below).
    bot_log = logging.getLogger("telegram.Bot")
    bot_log.debug("Calling Bot API endpoint `%s` with parameters `%s`", "getUpdates", {"a": 1})
    bot_log.debug(
        "Call to Bot API endpoint `%s` finished with return value `%s`", "getUpdates", [update]
    )
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", update)
    text = ptb_log.getvalue()
    assert "314159" not in text
    assert "endpoint `getUpdates` finished with return value `" + CONTENT_MASK in text
    assert f"Processing update {CONTENT_MASK}" in text
    sources = inspect.getsource(telegram._bot) + inspect.getsource(telegram.ext._application)
    for fmt in (
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "Call to Bot API endpoint `%s` finished with return value `%s`",
        "Processing update %s",
    ):
        assert fmt in sources, f"python-telegram-bot no longer logs {fmt!r}: update the masking"
