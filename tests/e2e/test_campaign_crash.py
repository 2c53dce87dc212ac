"""The real `python -m bot`, killed with SIGKILL while a promotion to 2,000 followers is being
launched and while it is being sent, restarted each time, Send pressed again after each
restart: nobody gets it twice, nobody is lost but messages in flight at a kill, no campaign
is left half-queued or in draft, and the merchant's report arrives and agrees with what
Telegram (the fake) delivered.

The kill moments are random: `CRASH_SEED=<n>` draws the same ones again (the seed is printed;
the process's own timing still varies), and `CRASH_SENDING_KILLS` sets how many kills land
while sending (default 2). Each run prints a line of figures (kills, duplicates, losses,
messages in flight at each kill that had any)."""

from __future__ import annotations

import asyncio
import os
import pickle
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from bot.db import start_db, stop_db
from bot.flows.promo import CONFIRM
from bot.i18n import t
from bot.models import Follow, Outbox, OutboxStatus, Promotion, PromotionStatus, User
from bot.services.outbox import INTERRUPTED
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_promo import compose
from tests.fakes.bot_process import ROOT, BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

FOLLOWERS = range(100_000, 102_000)
BLOCKED = 20  # followers who blocked the bot (403)
#: A kill this long after the press lands before, inside or after the launch's transaction
#: (it takes ~0.1-0.3 s here for 2,000 people).
LAUNCH_WINDOW_SECONDS = 0.6
#: What the worker hands Telegram at once: min(batch_size, max_concurrent_sends).
IN_FLIGHT_MAX = 16
STARTUP_SECONDS = 60  # a cold `python -m bot` on a busy 2-core machine
IN_FLIGHT_LOG = re.compile(r"outbox: (\d+) messages were in flight at the last stop")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Telegram without a global rate limit: the bot's own limiter is raised too (below), so a
    run is bounded by this machine's CPU, not by 30 messages/s."""
    async with FakeTelegram(global_rate=None) as fake:
        yield fake


def fast_config(tmp_path: Path) -> Path:
    """config.yaml with the bot's sending rate raised."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["broadcast"] |= {"rate_per_second": 1000, "burst": 50, "progress_interval_seconds": 1}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


async def shop_with_followers(db_url: str) -> None:
    """The shop and its 2,000 followers, written straight into the database (no quiet hours,
    so the run does not depend on the time of day)."""
    await start_db(db_url)
    try:
        shop = await make_shop("Lao Wang Noodles")
        await User.bulk_create(
            [User(id=i, first_name=f"F{i}", quiet_start=0, quiet_end=0) for i in FOLLOWERS],
            batch_size=500,
        )
        await Follow.bulk_create([Follow(user_id=i, shop=shop) for i in FOLLOWERS], batch_size=500)
    finally:
        await stop_db()


class Tally:
    """Promotion messages per follower, counted as the fake records them."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg, self.seen = tg, 0
        self.per_user: Counter[int] = Counter()

    def count(self) -> int:
        fresh = self.tg.messages[self.seen :]
        self.seen += len(fresh)
        self.per_user.update(m.chat_id for m in fresh if m.chat_id in FOLLOWERS)
        return sum(self.per_user.values())


def persisted_state(path: Path) -> tuple[object, dict]:
    """(the promo conversation's state, the draft) as last saved to the persistence file."""
    try:
        with path.open("rb") as fh:
            data = pickle.load(fh)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError):
        return None, {}
    state = data.get("conversations", {}).get("promo", {}).get((OWNER_ID, OWNER_ID))
    drafts = data.get("user_data", {}).get(OWNER_ID, {}).get("drafts", {})
    return state, drafts.get("promo", {})


async def until(predicate: Callable[[], object], timeout: float) -> None:  # noqa: ASYNC109
    """Wait for a condition outside the fake (a file): checked every 50 ms."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def started(bot: BotProcess, tg: FakeTelegram) -> None:
    """(Re)start the process and wait until it polls for updates."""
    polls = len(tg.calls_to("getUpdates"))
    await bot.start()
    await tg.wait_for(lambda: len(tg.calls_to("getUpdates")) > polls, STARTUP_SECONDS)


async def press_send_again(boss: FakeUser, message_id: int, data: str) -> str:
    """The merchant presses Send (again); the toast it got ('' for a fresh launch)."""
    await boss.press_data(message_id, data)
    toast = (await boss.callback_answer(timeout=30)).get("text") or ""
    assert "expired" not in toast, boss.transcript()
    return toast


async def test_kills_while_launching_and_sending_never_send_twice(
    tg: FakeTelegram, db_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.randrange(1 << 30))
    sending_kills = int(os.environ.get("CRASH_SENDING_KILLS", "2"))
    print(f"\nCRASH_SEED={seed} db={db_url.split(':')[0]}")
    rng = random.Random(seed)
    await shop_with_followers(db_url)
    boss = tg.user(OWNER_ID, first_name="Owner")
    for user_id in FOLLOWERS:
        tg.user(user_id, first_name=f"F{user_id}")
    blocked = set(rng.sample(FOLLOWERS, BLOCKED))
    for user_id in blocked:
        tg.block(user_id)
    expected = len(FOLLOWERS) - BLOCKED
    tally = Tally(tg)
    bot = BotProcess.for_fake(
        tg, tmp_path, database_url=db_url, BOT_CONFIG=str(fast_config(tmp_path))
    )
    kills = 0
    try:
        await started(bot, tg)
        _, confirm = await compose(boss, "Hand-pulled noodles, half price!", "⭐ Your followers")
        [data] = [d for d in confirm.callback_data if d.startswith("promo:send:")]
        # The merchant reads the preview a moment: the conversation reaches the state file.
        saved = tmp_path / "state.pickle"
        key = data.rpartition(":")[2]
        await until(lambda: persisted_state(saved)[1].get("launch_key") == key, 15)
        assert persisted_state(saved)[0] == CONFIRM

        # Kill 1: at a random moment of the launch.
        await boss.press_data(confirm.message_id, data)
        await asyncio.sleep(rng.uniform(0, LAUNCH_WINDOW_SECONDS))  # the random moment itself
        await bot.kill()
        kills += 1
        launched_before_restart = tally.count()
        await started(bot, tg)
        toast = await press_send_again(boss, confirm.message_id, data)
        relaunched = "Already sent" not in toast
        await tg.wait_for(lambda: tally.count() > launched_before_restart, 30)

        # Kills 2...: at random points of the sending.
        for _ in range(sending_kills):
            now = tally.count()
            if now >= expected - 1:
                break
            target = rng.randint(now + 1, expected - 1)
            await tg.wait_for(lambda target=target: tally.count() >= target, 120)
            await bot.kill()
            kills += 1
            await started(bot, tg)
            assert "Already sent" in await press_send_again(boss, confirm.message_id, data)

        def report() -> str | None:
            texts = [m.text or "" for m in tg.chat_messages(OWNER_ID)]
            return next((t for t in reversed(texts) if "has gone out" in t), None)

        final = await tg.wait_for(report, 120)
        await bot.stop()
    finally:
        await bot.close()

    tally.count()
    await start_db(db_url)
    try:
        promotions = await Promotion.all()
        rows = await Outbox.all()
    finally:
        await stop_db()
    by_status = Counter(str(r.status) for r in rows)
    interrupted = [r for r in rows if r.status == OutboxStatus.FAILED and r.error == INTERRUPTED]
    duplicates = [u for u, n in tally.per_user.items() if n > 1]
    got = set(tally.per_user)
    lost = [u for u in FOLLOWERS if u not in got and u not in blocked]
    in_flight = [int(n) for n in IN_FLIGHT_LOG.findall(bot.log)]
    print(
        f"kills={kills} (2nd press {'launched it' if relaunched else 'found it launched'})"
        f" delivered={len(got)} recorded_sent={by_status['sent']} duplicates={len(duplicates)}"
        f" lost={len(lost)} in_flight_at_kills={in_flight} interrupted={len(interrupted)}"
        f" blocked={by_status['blocked']}"
    )
    assert duplicates == []
    assert [(p.status, p.reached) for p in promotions] == [(PromotionStatus.SENT, 2000)]
    assert len(rows) == 2000 and by_status["pending"] == 0
    # Only messages in flight at a kill may be lost, and they are reported as such.
    assert sum(in_flight) == len(interrupted) <= IN_FLIGHT_MAX * kills
    cut_short = {r.user_id for r in interrupted}
    assert set(lost) <= cut_short
    sent = {r.user_id: r.chat_message_id for r in rows if r.status == OutboxStatus.SENT}
    assert all(tg.chat_messages(u)[0].message_id == m for u, m in sent.items())
    # A 403 in flight at a kill was never recorded: that row is interrupted, not blocked.
    assert by_status["blocked"] + len(blocked & cut_short) == BLOCKED and not got & blocked
    assert len(sent) + len(interrupted) + by_status["blocked"] == 2000
    # The report agrees with Telegram: confirmed deliveries, those that may have arrived.
    assert t("en", "sender.report_delivered", delivered=len(sent), count=2000) in final
    assert t("en", "sender.report_blocked", count=by_status["blocked"]) in final
    if interrupted:
        assert t("en", "sender.report_interrupted", count=len(interrupted)) in final
    assert len(sent) <= len(got) <= len(sent) + len(interrupted)
