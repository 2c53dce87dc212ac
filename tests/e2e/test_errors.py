"""When a handler raises, the production error handler (registered in bot/app.py) still answers:
a short apology in the user's language, the pressed button answered (no spinner left), and a log
line with the update id and where it broke — never what the person typed, their name or phone.

The test runner's own error handler (run after the production one) records every handler error
to fail the test; here the errors are provoked on purpose, awaited, checked, and then cleared."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.handlers import common, nearby
from tests.e2e.helpers import make_shop, onboard, results_for
from tests.fakes.telegram import FakeTelegram

PERSONAL = "Ann Lee +8613812345678 typed: my secret message"


async def boom(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError(PERSONAL)


def error_log(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage() + (record.exc_text or "")
        for record in caplog.records
        if record.name == "bot.handlers.errors"
    )


async def test_a_failing_command_gets_an_apology_in_the_users_language(
    bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ann = tg.user(21, first_name="Ann", language_code="en")
    zhang = tg.user(22, first_name="张", language_code="zh-hans")
    await onboard(ann)
    await onboard(zhang)
    monkeypatch.setattr(common, "granted_anywhere", boom)  # /help asks the staff service
    caplog.set_level(logging.ERROR, logger="bot.handlers.errors")

    update_id = tg._next_update_id  # the id the fake gives the next update
    await ann.send("/help")
    assert "Sorry, something went wrong on my side" in (await ann.reply()).text
    await zhang.send("/help")
    assert "抱歉，我这边出了点问题" in (await zhang.reply()).text

    await ann.wait_for(lambda: len(bot.errors) == 2)  # the runner's own handler runs after ours
    assert all(isinstance(e, RuntimeError) for e in bot.errors)
    bot.errors.clear()
    logged = error_log(caplog)
    assert f"update {update_id} failed: builtins.RuntimeError" in logged
    assert "help_command" in logged  # where it broke...
    for private in ("Ann Lee", "+8613812345678", "my secret message", "张"):
        assert private not in logged  # ...but nothing the person said or is

    monkeypatch.undo()
    await ann.send("/help")  # the bot carries on
    assert "/nearby" in (await ann.reply()).text


async def test_a_failing_button_is_answered_with_the_apology(
    bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_shop("Far Noodles", north_m=3000)
    ann = tg.user(23, first_name="Ann", language_code="en")
    results = await results_for(ann, "✨ All")
    monkeypatch.setattr(nearby, "nearby", boom)  # the search fails before the press is answered
    await ann.press(results, text="🔍 Widen to 5 km")
    answer = await ann.callback_answer()
    assert "Sorry, something went wrong" in answer["text"] and answer["show_alert"]
    assert not tg.unanswered_presses
    await ann.wait_for(lambda: len(bot.errors) == 1)
    bot.errors.clear()


async def test_a_button_that_fails_after_answering_gets_the_apology_as_a_message(
    bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_shop("Near Noodles", north_m=300)
    ann = tg.user(24, first_name="Ann", language_code="en")
    results = await results_for(ann, "✨ All")
    monkeypatch.setattr(nearby, "nearby", boom)  # a category filter answers, then searches
    await ann.press(results, text="🍜 Dining")
    apology = await ann.reply()
    assert "Sorry, something went wrong" in apology.text
    assert "text" not in await ann.callback_answer()  # the handler's own (empty) answer
    assert "Near Noodles" in results.text and not results.edits  # the list is unchanged
    await ann.wait_for(lambda: len(bot.errors) == 1)
    bot.errors.clear()
