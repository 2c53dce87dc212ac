"""The outbox every broadcast goes through: one row per (campaign, recipient), claimed with a
lease before it is sent, and gated by the recipient's quiet hours and daily limit on promotions.

Payloads are generic, so promotions, flash deals, coupon reminders and greetings share it::

    {"text": "<b>…</b>" | {"en": "…", "zh_Hans": "…"},     # HTML, per language if need be
     "photo": "<file_id>",                                  # optional; text becomes the caption
     "buttons": [[{"text": "…" | {lang: "…"}, "callback_data": "…"} | {"text": …, "url": "…"}]]}

or, instead of `text`, a template filled at send time for each reader (their language, their
current name; bot.services.templates): `{"template": key | "template_text": shop's text,
"params": {…}}`, or `{"bundle": [part, …]}` (several shops' greetings in one message).

Two caps protect people from the shops:
* daily, per person: PROMOTIONAL_KINDS (promotions, flash deals) per local day, all shops
  together (the person's own limit or `broadcast.max_promotional_per_day`); over it a row waits
  for tomorrow. Reminders and greetings are not counted there;
* weekly, per (shop, person): `greetings.weekly_cap_per_shop` marketing messages in any 7 days.
  Sent rows of `weekly_counted_kinds` with that `shop_id` count (greetings counted by their
  GreetingLog rows, so a bundle counts for each shop in it); a row of `weekly_capped_kinds`
  over the cap is SKIPPED ("weekly_cap": a promotion a week late is stale).

Delivery is at-most-once per (campaign, user) — a promotion nobody gets twice matters more than
one that a crash loses:

* `enqueue` ignores recipients already queued (unique constraint), so re-running it is safe,
  and it can run inside the caller's transaction (a campaign and its rows commit together);
* `claim_due` leases rows by a conditional update just before they are sent (the lease and the
  gate's verdicts commit together); a leased row is never claimed again. The worker leases only
  what it hands to Telegram at once, so "leased" means "in flight";
* each row is marked SENT as soon as Telegram accepts its message (`mark_sent`), one commit
  per message: a crash loses at most the requests in flight;
* a graceful stop lets sends in progress finish and hands back rows never attempted
  (`release`): nothing is lost or repeated;
* after a crash a leased row's fate is unknown (its message may have gone out): at start-up
  `settle_interrupted` marks it FAILED ("interrupted") rather than sending it again — the bot
  runs as one process, so nothing else can be sending it. `reap_expired` does the same for
  leases that ran out while the process lives (a send that hung).

Telegram-free, and the clock is never read here: callers pass `now`.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from bot.config import GreetingsConfig
from bot.models import GreetingLog, Outbox, OutboxStatus, User
from bot.services.templates import is_templated

#: Kinds counted against a person's daily limit on pushes.
PROMOTIONAL_KINDS = frozenset({"promo", "flash"})
#: Why a pending row waits (kept in `error` while PENDING, so progress can tell the merchant).
DEFERRAL_REASONS = ("quiet_hours", "daily_cap")
#: The window of the per-shop cap.
WEEK = timedelta(days=7)
GREETING_KIND = "greeting"
#: Why a FAILED row may nevertheless have been delivered: it was in flight when the process died.
INTERRUPTED = "interrupted"
INSERT_CHUNK = 500

_lease_serial = itertools.count(secrets.randbelow(1_000_000))


class OutboxError(ValueError):
    """A request the outbox cannot accept; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeliveryPolicy:
    """What the gate applies to claimed rows (from the `broadcast:` config)."""

    default_daily_cap: int = 3  # when the user set no limit of their own
    lease: timedelta = timedelta(minutes=5)
    promotional_kinds: frozenset[str] = PROMOTIONAL_KINDS
    weekly_cap: WeeklyCap | None = None  # None: no per-shop cap


@dataclass(frozen=True)
class WeeklyCap:
    """Marketing messages one shop may send one person in any 7 days (config `greetings:`)."""

    per_shop: int = 3
    counted_kinds: frozenset[str] = frozenset({"promo", "flash", GREETING_KIND})
    capped_kinds: frozenset[str] = PROMOTIONAL_KINDS


@dataclass(frozen=True)
class CampaignProgress:
    """Where a campaign stands; `deferred` are pending rows waiting for quiet hours to end or
    for tomorrow's allowance; `interrupted` were in flight when the process died (delivered
    or not, nobody knows; never resent), `failed` the other rows given up."""

    total: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    deferred: int = 0
    interrupted: int = 0

    @property
    def done(self) -> bool:
        """Nothing left to try now (deferred rows go out later on their own)."""
        return self.pending == self.deferred


def weekly_cap_of(settings: GreetingsConfig) -> WeeklyCap:
    """The per-shop weekly cap the sender's gate applies, from config `greetings:`."""
    return WeeklyCap(
        per_shop=settings.weekly_cap_per_shop,
        counted_kinds=settings.weekly_counted_kinds,
        capped_kinds=settings.weekly_capped_kinds,
    )


# ------------------------------------------------------------------------------ enqueueing


async def enqueue(
    campaign: str,
    kind: str,
    user_ids: Iterable[int],
    payload: Mapping[str, Any],
    *,
    not_before: datetime,
    expires_at: datetime | None = None,
    shop_id: int | None = None,
) -> int:
    """Queue one message per user; returns how many rows were new. `shop_id`: the shop the
    message speaks for (counted against its weekly cap).

    Users already queued for the campaign are left alone (so a retried enqueue is harmless),
    unknown user ids are ignored, and people known to have blocked the bot are recorded as
    SKIPPED straight away so the merchant's totals add up. Inside the caller's
    `in_transaction()` the rows commit (or vanish) with the caller's other changes.
    """
    if not campaign or len(campaign) > 64:
        raise OutboxError("campaign")
    if not kind or len(kind) > 16:
        raise OutboxError("kind")
    if not payload.get("text") and not payload.get("photo") and not is_templated(payload):
        raise OutboxError("empty_payload")
    ids = list(dict.fromkeys(user_ids))
    before = await Outbox.filter(campaign=campaign).count()
    for start in range(0, len(ids), INSERT_CHUNK):
        known = await User.filter(id__in=ids[start : start + INSERT_CHUNK]).values_list(
            "id", "reachable"
        )
        rows = [
            Outbox(
                campaign=campaign,
                kind=kind,
                user_id=user_id,
                shop_id=shop_id,
                payload=dict(payload),
                not_before=not_before,
                expires_at=expires_at,
                status=OutboxStatus.PENDING if reachable else OutboxStatus.SKIPPED,
                error=None if reachable else "unreachable",
            )
            for user_id, reachable in known
        ]
        if rows:
            await Outbox.bulk_create(rows, ignore_conflicts=True)
    return await Outbox.filter(campaign=campaign).count() - before


def localized(value: str | Mapping[str, str] | None, lang: str) -> str:
    """A payload text for one reader: plain, or picked from {lang: text} (English fallback)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or next(iter(value.values()), "")


# ------------------------------------------------------------------ quiet hours, daily limit


@cache
def zone_of(name: str) -> ZoneInfo:
    """A time zone by name; an unknown name (a stale row) reads as UTC rather than failing."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at_local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware UTC datetime."""
    minute %= 24 * 60
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def next_allowed_time(user: User, at: datetime) -> datetime:
    """`at`, or when the user's quiet hours (local time, possibly across midnight) end."""
    start, end = user.quiet_start % 1440, user.quiet_end % 1440
    if start == end:
        return at
    tz = zone_of(user.timezone)
    local = at.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start < end:
        quiet, end_day = start <= minute < end, local.date()
    else:  # e.g. 22:00–08:00
        quiet = minute >= start or minute < end
        end_day = local.date() + timedelta(days=1) if minute >= start else local.date()
    return _at_local(end_day, end, tz) if quiet else at


def local_day_start(user: User, at: datetime, *, days: int = 0) -> datetime:
    """Midnight of the user's local day containing `at` (shifted by `days`), in UTC."""
    tz = zone_of(user.timezone)
    return _at_local(at.astimezone(tz).date() + timedelta(days=days), 0, tz)


def daily_cap(user: User, policy: DeliveryPolicy) -> int:
    if user.max_pushes_per_day is None:
        return policy.default_daily_cap
    return user.max_pushes_per_day


# -------------------------------------------------------------------------------- claiming


def _lease_token(until: datetime) -> datetime:
    """The lease end, made unique to one claim by its microseconds: the rows a conditional
    update won are exactly those carrying it (portable; no RETURNING needed)."""
    return until.replace(microsecond=next(_lease_serial) % 1_000_000)


async def claim_due(
    now: datetime, limit: int, policy: DeliveryPolicy | None = None
) -> list[Outbox]:
    """Lease up to `limit` due rows and return those that may be sent now (user loaded).

    Claimed rows the gate holds back are settled here: expired or for unreachable users →
    SKIPPED; in quiet hours or over the daily limit → deferred (released with a later
    `not_before`), or SKIPPED when the row would expire before then.
    """
    policy = policy or DeliveryPolicy()
    if limit <= 0:
        return []
    async with in_transaction():  # a crash leaves no lease without the gate's verdicts
        candidates = (
            await Outbox.filter(
                status=OutboxStatus.PENDING, lease_until__isnull=True, not_before__lte=now
            )
            .order_by("not_before", "id")
            .limit(limit)
            .values_list("id", flat=True)
        )
        if not candidates:
            return []
        token = _lease_token(now + policy.lease)
        await Outbox.filter(
            id__in=candidates, status=OutboxStatus.PENDING, lease_until__isnull=True
        ).update(lease_until=token, error=None)  # no longer waiting: being sent
        claimed = (
            await Outbox.filter(id__in=candidates, lease_until=token)
            .select_related("user")
            .order_by("not_before", "id")
        )
        return await _gate(claimed, now, policy)


async def _gate(rows: Sequence[Outbox], now: datetime, policy: DeliveryPolicy) -> list[Outbox]:
    used = await _promotions_today(rows, now, policy)
    weekly = await _weekly_used(rows, now, policy.weekly_cap)
    ready: list[Outbox] = []
    skips: dict[str, list[int]] = defaultdict(list)
    defers: dict[tuple[datetime, str], list[int]] = defaultdict(list)
    for row in rows:
        user: User = row.user
        if row.expires_at is not None and row.expires_at <= now:
            skips["expired"].append(row.id)
            continue
        if not user.reachable:
            skips["unreachable"].append(row.id)
            continue
        if _over_weekly_cap(row, policy.weekly_cap, weekly):
            skips["weekly_cap"].append(row.id)
            continue
        at, reason = next_allowed_time(user, now), "quiet_hours"
        if at <= now and row.kind in policy.promotional_kinds:
            cap = daily_cap(user, policy)
            if cap <= 0:  # the user wants no promotions at all
                skips["daily_cap"].append(row.id)
                continue
            if used[user.id] >= cap:
                at = next_allowed_time(user, local_day_start(user, now, days=1))
                reason = "daily_cap"
        if at > now:
            if row.expires_at is not None and row.expires_at <= at:
                skips[reason].append(row.id)
            else:
                defers[(at, reason)].append(row.id)
            continue
        if row.kind in policy.promotional_kinds:
            used[user.id] += 1
        if _counts_weekly(row, policy.weekly_cap):
            weekly[(row.shop_id, user.id)] += 1
        ready.append(row)
    for reason, ids in skips.items():
        await Outbox.filter(id__in=ids).update(
            status=OutboxStatus.SKIPPED, error=reason, lease_until=None
        )
    for (until, reason), ids in defers.items():
        await Outbox.filter(id__in=ids).update(not_before=until, error=reason, lease_until=None)
    return ready


def _over_weekly_cap(row: Outbox, cap: WeeklyCap | None, used: Counter[tuple[int, int]]) -> bool:
    if cap is None or row.shop_id is None or row.kind not in cap.capped_kinds:
        return False
    return used[(row.shop_id, row.user_id)] >= cap.per_shop


def _counts_weekly(row: Outbox, cap: WeeklyCap | None) -> bool:
    """A row being sent uses up its shop's allowance (greetings are counted by their log)."""
    return (
        cap is not None
        and row.shop_id is not None
        and row.kind in cap.counted_kinds
        and row.kind != GREETING_KIND
    )


async def _promotions_today(
    rows: Sequence[Outbox], now: datetime, policy: DeliveryPolicy
) -> Counter[int]:
    """Promotional pushes each user has had in their local day, counting sends in flight."""
    users = {r.user_id: r.user for r in rows if r.kind in policy.promotional_kinds}
    used: Counter[int] = Counter()
    if not users:
        return used
    kinds = list(policy.promotional_kinds)
    sent = await Outbox.filter(
        user_id__in=list(users),
        kind__in=kinds,
        status=OutboxStatus.SENT,
        sent_at__gte=now - timedelta(days=1, hours=2),
    ).values_list("user_id", "sent_at")
    for user_id, sent_at in sent:
        if sent_at >= local_day_start(users[user_id], now):
            used[user_id] += 1
    in_flight = (
        await Outbox.filter(
            user_id__in=list(users),
            kind__in=kinds,
            status=OutboxStatus.PENDING,
            lease_until__isnull=False,  # claimed: being sent, or sent and not yet recorded
        )
        .exclude(id__in=[r.id for r in rows])
        .values_list("user_id", flat=True)
    )
    used.update(in_flight)
    return used


async def _weekly_used(
    rows: Sequence[Outbox], now: datetime, cap: WeeklyCap | None
) -> Counter[tuple[int, int]]:
    """What each (shop, person) of the capped rows has had in the last 7 days."""
    if cap is None:
        return Counter()
    pairs = {(r.shop_id, r.user_id) for r in rows if r.shop_id is not None}
    if not pairs:
        return Counter()
    shops = {shop for shop, _ in pairs}
    users = {user for _, user in pairs}
    exclude = [r.id for r in rows]
    return await weekly_counts(shops, users, now, cap, exclude=exclude)


async def weekly_counts(
    shop_ids: Iterable[int],
    user_ids: Iterable[int] | None,
    now: datetime,
    cap: WeeklyCap,
    *,
    exclude: Sequence[int] = (),
) -> Counter[tuple[int, int]]:
    """Marketing messages each (shop, person) had in the 7 days up to `now`: rows of counted
    kinds sent (or being sent: leased) with the shop's id, and greetings by their log (a bundle
    counts for each of its shops). `user_ids` None: everyone the shops reached."""
    shop_ids = list(set(shop_ids))
    since = now - WEEK
    counted = Counter[tuple[int, int]]()
    kinds = [k for k in cap.counted_kinds if k != GREETING_KIND]
    sent = Outbox.filter(shop_id__in=shop_ids, kind__in=kinds).filter(
        Q(status=OutboxStatus.SENT, sent_at__gte=since)
        | Q(status=OutboxStatus.PENDING, lease_until__isnull=False)
    )
    greeted = GreetingLog.filter(shop_id__in=shop_ids, created_at__gte=since)
    if user_ids is not None:
        users = list(set(user_ids))
        sent = sent.filter(user_id__in=users)
        greeted = greeted.filter(user_id__in=users)
    if exclude:
        sent = sent.exclude(id__in=list(exclude))
    if kinds:
        counted.update(await sent.values_list("shop_id", "user_id"))
    if GREETING_KIND in cap.counted_kinds:
        counted.update(await greeted.values_list("shop_id", "user_id"))
    return counted


async def weekly_count(shop_id: int, user_id: int, now: datetime, cap: WeeklyCap) -> int:
    """Marketing messages the shop sent the person in the last 7 days (see weekly_counts)."""
    return (await weekly_counts([shop_id], [user_id], now, cap))[(shop_id, user_id)]


async def next_due() -> datetime | None:
    """When the earliest unclaimed pending row becomes due (None: nothing is waiting)."""
    return (
        await Outbox.filter(status=OutboxStatus.PENDING, lease_until__isnull=True)
        .order_by("not_before")
        .first()
        .values_list("not_before", flat=True)
    )


# ------------------------------------------------------------------------------- settling


async def mark_sent(outbox_id: int, message_id: int, now: datetime) -> None:
    """Delivered: keep the chat message id (flash deals edit it when they end). Called for
    each message as soon as Telegram accepted it (also for a row settled as interrupted
    meanwhile: it did arrive)."""
    await Outbox.filter(id=outbox_id).update(
        status=OutboxStatus.SENT,
        chat_message_id=message_id,
        sent_at=now,
        lease_until=None,
        error=None,
    )


async def mark_blocked(outbox_id: int) -> None:
    """Telegram said 403: the user blocked the bot. Nothing more is sent to them."""
    user_id = await Outbox.filter(id=outbox_id).first().values_list("user_id", flat=True)
    await Outbox.filter(id=outbox_id).update(
        status=OutboxStatus.BLOCKED, lease_until=None, error="blocked"
    )
    if user_id is not None:
        await User.filter(id=user_id).update(reachable=False)


async def mark_reachable(user_id: int) -> bool:
    """The user is talking to the bot again (unblocked it): broadcasts include them again."""
    return await User.filter(id=user_id, reachable=False).update(reachable=True) > 0


async def mark_retry(outbox_id: int, not_before: datetime, error: str | None = None) -> None:
    """A failed attempt worth repeating later (network trouble): counted in `attempts`."""
    await Outbox.filter(id=outbox_id, status=OutboxStatus.PENDING).update(
        not_before=not_before,
        lease_until=None,
        attempts=F("attempts") + 1,
        error=(error or "")[:200] or None,
    )


async def mark_failed(outbox_id: int, error: str) -> None:
    await Outbox.filter(id=outbox_id).update(
        status=OutboxStatus.FAILED, lease_until=None, error=error[:200]
    )


async def release(outbox_ids: Sequence[int]) -> None:
    """Hand back claimed rows that were never attempted (graceful stop)."""
    if outbox_ids:
        await Outbox.filter(id__in=list(outbox_ids), status=OutboxStatus.PENDING).update(
            lease_until=None
        )


async def cancel_pending(campaign: str, reason: str) -> int:
    """Drop a campaign's rows not yet picked up (a flash deal ended): they become SKIPPED.
    Rows being sent this instant (leased) still go out."""
    return await Outbox.filter(
        campaign=campaign, status=OutboxStatus.PENDING, lease_until__isnull=True
    ).update(status=OutboxStatus.SKIPPED, error=reason)


async def settle_interrupted() -> int:
    """At start-up: rows leased by the previous run were in flight when it died (the bot is one
    process, nothing else sends them). Their messages may have gone out: FAILED
    ("interrupted") at once, never resent, so reports need not wait for the lease to end."""
    return await _interrupt(Outbox.filter(status=OutboxStatus.PENDING, lease_until__isnull=False))


async def reap_expired(now: datetime) -> int:
    """Rows whose lease ran out unsettled (a send that never came back) may have been
    delivered: mark them FAILED ("interrupted") instead of risking a second copy."""
    return await _interrupt(Outbox.filter(status=OutboxStatus.PENDING, lease_until__lt=now))


async def _interrupt(rows: QuerySet[Outbox]) -> int:
    return await rows.update(status=OutboxStatus.FAILED, error=INTERRUPTED, lease_until=None)


# ------------------------------------------------------------------------------ reporting


async def campaign_progress(campaign: str) -> CampaignProgress:
    counts = (
        await Outbox.filter(campaign=campaign)
        .annotate(n=Count("id"))
        .group_by("status", "error")
        .values_list("status", "error", "n")
    )
    by_status: Counter[str] = Counter()
    deferred = interrupted = 0
    for status, error, n in counts:
        by_status[str(status)] += n
        if status == OutboxStatus.PENDING and error in DEFERRAL_REASONS:
            deferred += n
        if status == OutboxStatus.FAILED and error == INTERRUPTED:
            interrupted += n
    return CampaignProgress(
        total=sum(by_status.values()),
        sent=by_status[OutboxStatus.SENT],
        blocked=by_status[OutboxStatus.BLOCKED],
        failed=by_status[OutboxStatus.FAILED] - interrupted,
        skipped=by_status[OutboxStatus.SKIPPED],
        pending=by_status[OutboxStatus.PENDING],
        deferred=deferred,
        interrupted=interrupted,
    )


async def delivered(campaign: str) -> list[Outbox]:
    """Sent rows with their chat message ids (user loaded), to edit those messages later."""
    return (
        await Outbox.filter(
            campaign=campaign, status=OutboxStatus.SENT, chat_message_id__isnull=False
        )
        .select_related("user")
        .order_by("id")
    )
