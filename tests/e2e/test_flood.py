"""One person flooding the bot stalls nobody else: chats are handled side by side, each chat's
messages strictly in order (bot.updates), and a reply waits only for its own chat's sending
allowance or flood wait (the limiter in bot.sender). Told by the bot in-process, by the real
`python -m bot`, and by the limiter on its own with virtual time."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import RetryAfter

from bot.sender import PriorityRateLimiter
from tests.e2e import crowd
from tests.e2e.test_sender import VirtualTime, call, limiter
from tests.fakes.bot_process import BotProcess
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.telegram_pace  # this is about Telegram's per-chat pace

FLOOD = 10  # answered at ~1 message/s: the flooder waits ~8 s for the last answer
FLOODER, OTHERS = 60, (61, 62, 63)


async def flood_while_others_ask_for_help(tg: FakeTelegram) -> None:
    """The flooder's burst first, then others ask for /help: they are answered while the
    flooder still waits, and the flooder gets every answer, in order."""
    flooder = tg.user(FLOODER, first_name="Flo")
    others = [tg.user(i, first_name=f"P{i}") for i in OTHERS]
    await crowd.flood(flooder, FLOOD)
    for person in others:
        await person.send("/help")
    helped = [await person.reply(timeout=30) for person in others]
    answers = await flooder.replies(FLOOD, timeout=60)
    assert crowd.answered_in_order(answers, FLOOD), flooder.transcript()
    assert all("Here is what I can do" in m.text for m in helped)
    assert max(m.seq for m in helped) < answers[-1].seq  # not queued behind the flood


async def test_a_flooding_user_does_not_hold_up_others(bot, tg: FakeTelegram) -> None:
    await flood_while_others_ask_for_help(tg)
    tg.assert_no_errors()  # and the busy chat stayed within Telegram's per-chat limit


async def test_the_bot_process_answers_others_during_a_flood(
    tg: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    bot = BotProcess.for_fake(tg, tmp_path, database_url=db_url)
    await bot.start()
    try:
        await flood_while_others_ask_for_help(tg)
    finally:
        code = await bot.stop()
    assert code == 0, bot.log[-2000:]
    tg.assert_no_errors()


async def test_a_flood_wait_in_one_chat_does_not_delay_another_chats_reply(
    bot, tg: FakeTelegram
) -> None:
    ann, bob = tg.user(71, first_name="Ann"), tg.user(72, first_name="Bob")
    tg.flood_wait(ann.id, 5)  # Telegram holds Ann's chat for 5 s
    await ann.send("/help")
    await tg.wait_for(lambda: tg.throttled)  # the reply to Ann was refused
    await bob.send("/help")
    to_bob = await bob.reply()
    to_ann = await ann.reply(timeout=20)
    assert to_bob.seq < to_ann.seq  # Bob was answered while Ann's chat waited
    assert "Here is what I can do" in to_ann.text  # and Ann got hers after the wait
    assert [e.chat_id for e in tg.throttled] == [ann.id]  # retried once, when allowed
    tg.assert_no_errors(ignore=(429,))


# ------------------------------------------------------------------ the limiter on its own


def refusing(time: VirtualTime, log: list[tuple[str, float]], name: str, seconds: int):
    async def callback() -> bool:
        log.append((name, round(time(), 3)))
        raise RetryAfter(seconds)

    return callback


async def refuse(
    rl: PriorityRateLimiter,
    time: VirtualTime,
    log: list[tuple[str, float]],
    chat_id: int | None,
    seconds: int = 2,
) -> None:
    """One call Telegram answers with 429 (the limiter is built not to retry)."""
    data = {} if chat_id is None else {"chat_id": chat_id}
    endpoint = "sendMessage" if chat_id is not None else "answerCallbackQuery"
    callback = refusing(time, log, f"refused{chat_id}", seconds)
    with pytest.raises(RetryAfter):
        await rl.process_request(callback, (), {}, endpoint, data, None)


async def test_limiter_a_429_pauses_only_the_chat_it_came_from() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, max_retries=0)
    await refuse(rl, time, log, 1)
    await call(rl, log, "other chat", 2)
    await call(rl, log, "same chat", 1)
    assert log == [("refused1", 0.0), ("other chat", 0.0), ("same chat", 2.1)]


async def test_limiter_429s_from_several_chats_pause_everyone() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, max_retries=0, global_pause_chats=3, global_pause_window=2)
    await refuse(rl, time, log, 1)
    await refuse(rl, time, log, 2)
    await call(rl, log, "after two", 4)
    await refuse(rl, time, log, 3)
    await call(rl, log, "after three", 5)
    await call(rl, log, "chatless", None, endpoint="answerCallbackQuery")
    assert log == [
        ("refused1", 0.0),
        ("refused2", 0.0),
        ("after two", 0.0),  # two chats: their own business
        ("refused3", 0.0),
        ("after three", 2.1),  # three within the window: the bot is throttled
        ("chatless", 2.1),
    ]


async def test_limiter_429s_spread_out_in_time_stay_per_chat() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, max_retries=0, global_pause_chats=2, global_pause_window=2)
    await refuse(rl, time, log, 1, seconds=3)
    await call(rl, log, "chat 1 again", 1)  # waits 3.1 s: the first 429 leaves the window
    await refuse(rl, time, log, 2)
    await call(rl, log, "chat 3", 3)
    assert log == [("refused1", 0.0), ("chat 1 again", 3.1), ("refused2", 3.1), ("chat 3", 3.1)]


async def test_limiter_a_429_without_a_chat_pauses_everyone() -> None:
    time, log = VirtualTime(), []
    rl = limiter(time, rate=100, max_retries=0)
    await refuse(rl, time, log, None)
    await call(rl, log, "message", 8)
    assert log == [("refusedNone", 0.0), ("message", 2.1)]
