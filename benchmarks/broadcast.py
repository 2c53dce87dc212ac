"""Benchmark the one sender: a promotion to N followers through the real Application against
the fake Bot API enforcing a global limit L, while a few people chat with the bot.

    .venv/bin/python benchmarks/broadcast.py [--followers 10000] [--chatters 5]
        [--timebox-rate 30 --timebox 20] [--full-rate 300] [--db sqlite|postgres://...]

Two runs, each on a fresh database:
* L = --timebox-rate (Telegram's real 30/s): time-boxed, counts what goes out in --timebox s;
* L = --full-rate (the fake's limit raised): the whole broadcast, checking every follower got
  exactly one message.
Each prints the command, achieved messages/s as a fraction of L (all messages: the broadcast
plus replies), 429s received, duplicates, losses, and the chatters' reply latency p95.
Targets: >= 0.95 of L, no duplicates, no losses, reply p95 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import clock, sender
from bot.config import Config, load_config
from bot.models import Outbox, User
from bot.services import outbox
from tests.e2e.conftest import BotRunner
from tests.fakes.telegram import FakeTelegram

FOLLOWER_BASE = 1_000_000
CHATTER_BASE = 10_000


@dataclass
class Result:
    rate: float
    elapsed: float = 0.0
    messages: int = 0
    broadcast: int = 0
    throttled: int = 0
    duplicates: int = 0
    losses: int | None = None
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def lines(self, followers: int, complete: bool) -> list[str]:
        achieved = self.messages / self.elapsed if self.elapsed else 0.0
        p95 = (
            statistics.quantiles(self.latencies, n=20)[-1]
            if len(self.latencies) >= 2
            else (self.latencies[0] if self.latencies else float("nan"))
        )
        scope = f"all {followers} followers" if complete else f"time-boxed {self.elapsed:.1f} s"
        return [
            f"L = {self.rate:g}/s, {scope}",
            f"  messages/s: {achieved:.1f} = {achieved / self.rate:.3f} of L "
            f"({self.broadcast} broadcast + {self.messages - self.broadcast} replies "
            f"in {self.elapsed:.1f} s)",
            f"  429s received: {self.throttled}",
            f"  duplicates (followers with > 1 message): {self.duplicates}",
            "  losses (followers without a message at the end): "
            + (str(self.losses) if self.losses is not None else "n/a (time-boxed)"),
            f"  chat replies: {len(self.latencies)}, p95 latency {p95 * 1000:.0f} ms, "
            f"max {max(self.latencies, default=0) * 1000:.0f} ms",
            f"  outbox: {dict(self.statuses)}",
        ]


async def fresh_db(spec: str, workdir: Path) -> tuple[str, str | None]:
    """A new empty database URL (and the PostgreSQL database name to drop afterwards)."""
    if spec == "sqlite":
        return f"sqlite://{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", None
    import asyncpg

    name = f"broadcast_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(spec)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return urlsplit(spec)._replace(path=f"/{name}").geturl(), name


async def drop_db(spec: str, name: str | None) -> None:
    if name is None:
        return
    import asyncpg

    admin = await asyncpg.connect(spec)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class Tally:
    """Broadcast messages per follower, counted incrementally (the fake keeps one long list;
    rescanning it on every event would make the benchmark measure itself)."""

    def __init__(self, tg: FakeTelegram, followers: set[int]) -> None:
        self.tg, self.followers = tg, followers
        self.per_chat: Counter[int] = Counter()
        self.total = self.seen = 0

    def count(self) -> int:
        fresh = self.tg.messages[self.seen :]
        self.seen += len(fresh)
        for message in fresh:
            if message.chat_id in self.followers:
                self.per_chat[message.chat_id] += 1
                self.total += 1
        return self.total


async def chat(tg: FakeTelegram, user_id: int, stop: asyncio.Event, latencies: list[float]):
    """A person sending /start or /help about once a second, timing each reply."""
    person = tg.user(user_id, first_name=f"Chatter{user_id}")
    chat = tg._chat_state(user_id)  # its message dict: an O(1) "has the bot answered?"
    n = 0
    while not stop.is_set():
        began = time.perf_counter()
        await person.send("/help" if n % 2 else "/start")
        seen = len(chat.messages)
        await tg.wait_for(lambda seen=seen: len(chat.messages) > seen, timeout=30)
        latencies.append(time.perf_counter() - began)
        n += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, 1.0 - (time.perf_counter() - began)))


def fake_side(conn: Connection, rate: float, args: argparse.Namespace, timebox: float | None):
    """Child process: the fake Telegram (out of the bot's process, so the bot is measured, not
    the fake) and the people chatting; measures what the bot delivers."""

    async def serve() -> None:
        followers = [FOLLOWER_BASE + i for i in range(args.followers)]
        async with FakeTelegram(global_rate=rate, global_burst=rate) as tg:
            for user_id in followers:
                tg.user(user_id, first_name="F")
            conn.send((tg.token, tg.base_url, tg.base_file_url))
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, conn.recv)  # "go": the promotion is enqueued
            result = Result(rate)
            tally = Tally(tg, set(followers))
            await tg.wait_for(lambda: tally.count() > 0, timeout=60)
            stop = asyncio.Event()
            chatters = [
                asyncio.create_task(chat(tg, CHATTER_BASE + i, stop, result.latencies))
                for i in range(args.chatters)
            ]
            start_messages, start_broadcast = len(tg.messages), tally.count()
            began = time.perf_counter()
            if timebox is not None:
                await asyncio.sleep(timebox)
            else:
                await tg.wait_for(lambda: tally.count() >= len(followers), args.followers)
            result.elapsed = time.perf_counter() - began
            result.messages = len(tg.messages) - start_messages
            result.broadcast = tally.count() - start_broadcast
            stop.set()
            await asyncio.gather(*chatters)
            tally.count()
            result.duplicates = sum(1 for n in tally.per_chat.values() if n > 1)
            if timebox is None:
                result.losses = sum(1 for f in followers if tally.per_chat[f] == 0)
            result.throttled = tg.throttle_count
            conn.send(result)
            await loop.run_in_executor(None, conn.recv)  # "stop": the bot has shut down

    asyncio.run(serve())


async def run(
    args: argparse.Namespace, rate: float, timebox: float | None, workdir: Path
) -> Result:
    """Parent process: the real bot, its database and the promotion."""
    db_url, db_name = await fresh_db(args.db, workdir)
    followers = [FOLLOWER_BASE + i for i in range(args.followers)]
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=fake_side, args=(child_conn, rate, args, timebox))
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
            broadcast=replace(
                base.broadcast,
                rate_per_second=rate,
                batch_size=max(base.broadcast.batch_size, int(rate)),
            ),
        )
        runner = BotRunner(config)
        await runner.start()
        try:
            await User.bulk_create(
                [User(id=i, first_name="F", quiet_start=0, quiet_end=0) for i in followers],
                batch_size=1000,
            )
            payload = {"text": "🍜 <b>Half price noodles</b> today only!"}
            await outbox.enqueue("bench", "promo", followers, payload, not_before=clock.now())
            sender.notify()
            conn.send("go")
            result: Result = await loop.run_in_executor(None, conn.recv)
            if timebox is None:
                progress = await outbox.campaign_progress("bench")
                while not progress.done:  # the last deliveries are being recorded
                    await asyncio.sleep(0.1)
                    progress = await outbox.campaign_progress("bench")
            statuses = await Outbox.filter(campaign="bench").values_list("status", flat=True)
            result.statuses = Counter(str(s) for s in statuses)
        finally:
            await runner.stop()
        if runner.errors:
            raise runner.errors[0]
    finally:
        conn.send("stop")
        await loop.run_in_executor(None, child.join)
        await drop_db(args.db, db_name)
    return result


def facts(args: argparse.Namespace) -> list[str]:
    return [
        f"command: {shlex.join([sys.executable, *sys.argv])}",
        f"nproc: {len(os.sched_getaffinity(0))}, python {platform.python_version()}, "
        f"{platform.platform()}",
        f"db: {args.db}, followers: {args.followers}, chatters: {args.chatters}",
    ]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--chatters", type=int, default=5)
    parser.add_argument("--timebox-rate", type=float, default=30.0)
    parser.add_argument("--timebox", type=float, default=20.0)
    parser.add_argument("--full-rate", type=float, default=300.0)
    parser.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL server URL")
    args = parser.parse_args()
    for line in facts(args):
        print(line, flush=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(args.timebox_rate, args.timebox), (args.full_rate, None)]
        for rate, timebox in runs:
            result = await run(args, rate, timebox, Path(tmp))
            for line in result.lines(args.followers, complete=timebox is None):
                print(line, flush=True)
            achieved = result.messages / result.elapsed / rate if result.elapsed else 0
            p95 = (
                statistics.quantiles(result.latencies, n=20)[-1]
                if len(result.latencies) >= 2
                else 0
            )
            ok &= achieved >= 0.95 and result.duplicates == 0 and not result.losses and p95 < 1
    print("targets met" if ok else "TARGETS MISSED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
