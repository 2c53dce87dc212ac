"""Benchmark one person flooding the bot: the real Application against the fake Bot API server
(Telegram's limits: 30 messages/s per bot, ~1/s per chat with a burst of 3), one user sending
--flood messages at once while --others users use the bot normally.

    .venv/bin/python benchmarks/flood.py [--flood 200] [--others 20] [--db sqlite|postgres://...]

Two runs, each on a fresh database: the bot as configured (chats side by side, each chat in
order: bot.updates) and the baseline, PTB's one update at a time (`updates.sequential`). Each
prints the others' reply latency (send → first answer) p50/p95/max, when the flooder's last
answer came and whether every one of its messages was answered in order, and 429s received;
then the baseline/this ratio. Targets: others' p95 < 1 s, the flooder answered in order.

The flooder sends name searches (`/search`, then a name: tests/e2e/crowd.py). The others
start with /start (greeted as customers), then cycle through /help, the Help and Nearby menu
buttons, /cancel and /start, thinking 1–3 s between steps, until the flooder has every answer;
latencies count the steps begun while the flood was still being answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.broadcast import drop_db, facts, fresh_db
from bot.config import Config, UpdateSettings, load_config
from bot.i18n import t
from tests.e2e import crowd
from tests.e2e.conftest import BotRunner
from tests.fakes.telegram import BotMessage, FakeTelegram

FLOODER = 5_000
OTHERS_BASE = 6_000
#: After /start, what a normal user does again and again: (text, answers it gets).
CYCLE = (
    ("/help", 1),
    (t("en", "menu.help"), 1),
    (t("en", "menu.nearby"), 1),
    ("/cancel", 1),
    ("/start", 1),
)


@dataclass
class Result:
    mode: str
    latencies: list[float] = field(default_factory=list)
    flood_answered: int = 0
    flood_seconds: float = float("nan")
    in_order: bool = False
    throttled: int = 0

    def quantile(self, q: int) -> float:
        """The q-th percentile of the others' latencies (seconds)."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]

    def lines(self, flood: int) -> list[str]:
        ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
        return [
            f"{self.mode}:",
            f"  others' replies: {len(self.latencies)}, p50 {ms(self.quantile(50))}, "
            f"p95 {ms(self.quantile(95))}, max {ms(max(self.latencies, default=0))}",
            f"  flooder: {self.flood_answered}/{flood} answered, the last after "
            f"{self.flood_seconds:.1f} s, in order: {'yes' if self.in_order else 'NO'}",
            f"  429s received: {self.throttled}",
        ]


class Person:
    """A user in the fake whose answers are counted in O(1) (their chat's message dict holds
    their own messages and the bot's; nobody else writes there)."""

    def __init__(self, tg: FakeTelegram, user_id: int, done: asyncio.Event) -> None:
        self.tg, self.user = tg, tg.user(user_id, first_name=f"P{user_id}")
        self.chat = tg._chat_state(user_id)
        self.done = done  # set when the flooder has every answer

    async def act(
        self, action: Callable[[], Awaitable[object]], answers: int, latencies: list[float]
    ) -> BotMessage:
        """Do something, time the first answer (counted if the flood was still being answered
        when we began), wait for all of them; the last one."""
        counts, began = not self.done.is_set(), time.perf_counter()
        await action()
        seen = len(self.chat.messages)
        await self.tg.wait_for(lambda: len(self.chat.messages) > seen, timeout=3600)
        if counts:
            latencies.append(time.perf_counter() - began)
        await self.tg.wait_for(lambda: len(self.chat.messages) >= seen + answers, timeout=3600)
        return self.bot_messages()[-1]

    def bot_messages(self) -> list[BotMessage]:
        found = [m for m in self.chat.messages.values() if isinstance(m, BotMessage)]
        return sorted(found, key=lambda m: m.seq)


async def use_normally(person: Person, rng: random.Random, latencies: list[float]) -> None:
    user, done = person.user, person.done
    await person.act(lambda: user.send("/start"), 1, latencies)
    while not done.is_set():
        for text, answers in CYCLE:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), rng.uniform(1.0, 3.0))
            if done.is_set():
                return
            await person.act(lambda text=text: user.send(text), answers, latencies)


def fake_side(conn: Connection, mode: str, args: argparse.Namespace) -> None:
    """Child process: the fake Telegram and the people (so the bot is measured, not them)."""

    async def serve() -> None:
        async with FakeTelegram() as tg:
            done = asyncio.Event()
            flooder = Person(tg, FLOODER, done)
            others = [Person(tg, OTHERS_BASE + i, done) for i in range(args.others)]
            conn.send((tg.token, tg.base_url, tg.base_file_url))
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, conn.recv)  # "go": the bot is polling
            result, rng = Result(mode), random.Random(1)
            began = time.perf_counter()
            await crowd.flood(flooder.user, args.flood)
            people = [asyncio.create_task(use_normally(p, rng, result.latencies)) for p in others]
            flooded = 2 * args.flood  # its messages and the answers
            with contextlib.suppress(AssertionError):
                await tg.wait_for(lambda: len(flooder.chat.messages) >= flooded, args.timeout)
            result.flood_seconds = time.perf_counter() - began
            done.set()
            await asyncio.gather(*people)
            answers = flooder.bot_messages()
            result.flood_answered = len(answers)
            result.in_order = crowd.answered_in_order(answers, args.flood)
            result.throttled = tg.throttle_count
            conn.send(result)
            await loop.run_in_executor(None, conn.recv)  # "stop": the bot has shut down

    asyncio.run(serve())


async def run(args: argparse.Namespace, mode: str, sequential: bool, workdir: Path) -> Result:
    """Parent process: the real bot on a fresh database."""
    db_url, db_name = await fresh_db(args.db, workdir)
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=fake_side, args=(child_conn, mode, args))
    child.start()
    loop = asyncio.get_running_loop()
    try:
        token, base_url, file_url = await loop.run_in_executor(None, conn.recv)
        base = load_config(env={})
        config: Config = base.with_(
            token=token,
            api_base_url=base_url,
            api_file_url=file_url,
            database_url=db_url,
            persistence_file=str(workdir / f"conv-{uuid.uuid4().hex[:6]}.pickle"),
            updates=replace(base.updates, sequential=sequential),
        )
        runner = BotRunner(config)
        await runner.start()
        try:
            conn.send("go")
            result: Result = await loop.run_in_executor(None, conn.recv)
        finally:
            await runner.stop()
        if runner.errors:
            raise runner.errors[0]
    finally:
        conn.send("stop")
        await loop.run_in_executor(None, child.join)
        await drop_db(args.db, db_name)
    return result


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=200, help="messages the flooder sends")
    parser.add_argument("--others", type=int, default=20, help="people using the bot normally")
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="If 'per_message=False'")  # deliberate, see flows
    args.timeout = 2 * args.flood + 120  # the baseline answers the flood first, ~1/s
    args.followers, args.chatters = 0, args.others  # for facts()
    for line in facts(args)[:2]:
        print(line, flush=True)
    updates = UpdateSettings()
    print(
        f"db: {args.db}, flood: {args.flood} messages, others: {args.others}, "
        f"max_running: {updates.max_running}",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode, sequential in (("chats side by side", False), ("sequential (baseline)", True)):
            result = await run(args, mode, sequential, Path(tmp))
            results.append(result)
            for line in result.lines(args.flood):
                print(line, flush=True)
    new, old = results
    print(
        f"baseline / this: p95 {old.quantile(95) / new.quantile(95):.0f}x, "
        f"p50 {old.quantile(50) / new.quantile(50):.0f}x",
        flush=True,
    )
    ok = new.quantile(95) < 1.0 and new.in_order and new.flood_answered == args.flood
    print("targets met" if ok else "TARGETS MISSED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
