"""How far the longest screens overflow Telegram's limits, what fitting them keeps, and what it
costs: the shop page and a coupon card's caption with every field at the maximum the bot accepts,
in plain ASCII and in emoji (which Telegram counts twice).

    .venv/bin/python benchmarks/limits.py [--runs 200]

No database and no network: the views render from in-memory records, as the bot does.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bot.config import load_config
from bot.models import Audience, Coupon, CouponKind
from bot.services.hours import parse_hours
from bot.ui.text import CAPTION_MAX, TEXT_MAX, Fitted, fit, measure
from bot.views.coupons import card_text
from bot.views.shop import ServiceItem, ShopCard, fit_page, page_blocks

NOW = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


def shop(char: str, services: int) -> ShopCard:
    return ShopCard(
        name=char * 64,
        category="dining",
        lat=31.23,
        lng=121.47,
        address=char * 200,
        phone="+8613812345678",
        hours=parse_hours("Mon-Fri 09:00-21:00; Sat 10:00-18:00").to_json(),
        description=char * 1000,
        timezone="Asia/Shanghai",
        services=[
            ServiceItem(f"{n}{char * 63}", 100_000_000, char * 500, id=n) for n in range(services)
        ],
        shop_id=1,
    )


def coupon(char: str) -> Coupon:
    return Coupon(
        title=char * 64,
        kind=CouponKind.AMOUNT,
        value=100_000_000,
        terms=char * 500,
        min_spend_cents=100_000_000,
        audience=Audience.NEW_CUSTOMERS,
        valid_days=366,
    )


def timed(runs: int, make: Callable[[], Fitted]) -> tuple[Fitted, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fitted = make()
        samples.append(time.perf_counter() - start)
    return fitted, statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    config = load_config(env={})
    print(f"{'screen':<44} {'unfitted':>9} {'fitted':>7} {'limit':>6}  kept{'':<18} ms/fit")
    for label, char in (("ASCII", "a"), ("emoji", "🍜")):
        for count in (8, 50):
            card = shop(char, count)
            parts = page_blocks(card, "en", config, NOW)
            whole = "\n".join(line.render() for part in parts for line in part.lines)
            fitted, ms = timed(args.runs, lambda card=card: fit_page(card, "en", config, NOW))
            kept = f"{count - fitted.dropped}/{count} services"
            name = f"shop page, {count} services ({label})"
            print(
                f"{name:<44} {measure(whole):>9,} {measure(fitted.html):>7,} {TEXT_MAX:>6,}"
                f"  {kept:<22} {ms:.2f}"
            )
        text = card_text(coupon(char), char * 64, "7KQ4M2XDR", "Use by 2031-03-01 10:00", "en",
                         config, note="✅ Added to your wallet")  # fmt: skip
        whole = "\n".join(line.render() for part in text for line in part.lines)
        fitted, ms = timed(args.runs, lambda text=text: fit(text, CAPTION_MAX))
        name = f"coupon card caption ({label})"
        kept = "terms shortened" if not fitted.complete else "all"
        print(
            f"{name:<44} {measure(whole):>9,} {measure(fitted.html):>7,} {CAPTION_MAX:>6,}"
            f"  {kept:<22} {ms:.2f}"
        )


if __name__ == "__main__":
    main()
