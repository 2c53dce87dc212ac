"""Secrets never reach a log: the redaction applies to every record, whoever logs it — the
message, its arguments, exception messages, tracebacks and stacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logging_setup import database_password, install_redaction, keep_secret, redact

TOKEN = "1000:WRONG-secret-part"
REAL_SHAPED = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # never configured anywhere
PASSWORD = "s3cret-db-pw"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """A logger writing to a buffer, with redaction installed (and removed afterwards)."""
    factory = logging.getLogRecordFactory()
    install_redaction()
    keep_secret(TOKEN, database_password(f"postgres://bot:{PASSWORD}@db:5432/shop"))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        logging.setLogRecordFactory(factory)


def test_messages_arguments_tracebacks_and_stacks_are_redacted(logged: io.StringIO) -> None:
    log = logging.getLogger("some.library")
    log.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info(f"secret part alone: {TOKEN.partition(':')[2]}")
    log.warning("connecting to postgres://bot:%s@db/shop", PASSWORD)
    log.info("another bot's token %s", REAL_SHAPED)
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError:
        log.exception("start failed")
    log.info("where am I", stack_info=True, extra={"token": TOKEN})
    text = logged.getvalue()
    for secret in (TOKEN, TOKEN.partition(":")[2], PASSWORD, REAL_SHAPED.partition(":")[2]):
        assert secret not in text, text
    assert "bot1000:***/getMe" in text and "123456789:***" in text
    assert "Traceback (most recent call last)" in text  # tracebacks stay, redacted
    assert "ValueError: The token `1000:***` was rejected" in text
    assert "where am I\nStack (most recent call last)" in text


def test_short_values_are_not_treated_as_secrets() -> None:
    keep_secret("12:ab", "", None)  # a 2-character "secret" would blank out words everywhere
    assert redact("abc 12:ab") == "abc 12:ab"


def test_database_password() -> None:
    assert database_password("postgres://bot:pw@host/db") == "pw"
    assert database_password("sqlite://data/bot.sqlite3") is None
