"""Birthday and holiday greetings from shops to their people.

What a shop sends: its `GreetingSettings` (created lazily with the defaults: on, to its
customers, birthdays 3 days ahead with the catalogue's text) and one `HolidayGreeting` per
holiday it changed (no row: on, default text, no coupon). Which holidays exist at all is the
deployer's (config.yaml `greetings.holidays`).

Who gets it (`in_audience`, the one place to change): the shop's audience — card members, its
customers, or customers and followers (bot.services.customers' record) — minus people who opted
out of that shop's greetings or of all greetings, who muted the shop (a muted follow excludes
them from every audience of it), or who blocked the bot.

When: from `greetings.hour` (default 10:00) in the person's own time zone, on the day itself
(holidays) or `birthday_days_before` days before the birthday (29 February birthdays: on
28 February in common years). The job (`queue_due`, every ~15 minutes and at start) picks up
whatever is due and not yet done today, so downtime is caught up while the day lasts.

At most once per (person, shop, occasion, year): a `GreetingLog` row per shop, the granted
coupon (if any) and the one outbox row carrying the greeting commit in ONE transaction; a
second run at once, or after a restart, collides on the log's unique key and rolls back.
One person's greetings of one occasion from several shops are one message (a bundle).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL
from tortoise.transactions import in_transaction

from bot.config import GreetingsConfig
from bot.models import (
    Coupon,
    Customer,
    Follow,
    GreetingAudience,
    GreetingLog,
    GreetingOptOut,
    GreetingSettings,
    HolidayGreeting,
    Outbox,
    Shop,
    ShopStatus,
    User,
)
from bot.services import coupons, occasions, outbox
from bot.services.card_dates import add_months
from bot.services.occasions import BIRTHDAY, OCCASIONS
from bot.services.outbox import GREETING_KIND, WeeklyCap, weekly_cap_of, zone_of
from bot.services.templates import recipient_name, render_part
from bot.services.visible import is_blank

TEXT_MAX = 1000
DAYS_BEFORE_MAX = 7
#: Placeholders a shop's text may use (others stay as typed).
PLACEHOLDERS = ("name", "shop")
CHUNK = 500


class GreetingError(ValueError):
    """A change refused; `reason`: unknown_occasion, bad_days, bad_text, bad_audience,
    bad_coupon (not one of the shop's coupons), not_found (no such shop)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------------- configuration

_config = GreetingsConfig()


def configure(settings: GreetingsConfig) -> None:
    """The deployer's settings (config.yaml `greetings:`), set once by the composition root."""
    global _config
    _config = settings


def config() -> GreetingsConfig:
    return _config


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: "Leave as it is" for `set_holiday` / `set_occasion` (None means: back to the default).
UNCHANGED: Any = _Unchanged()


# --------------------------------------------------------------------------- shop settings


async def settings_of(shop_id: int) -> GreetingSettings:
    """The shop's settings, created with the defaults on first use (racing creators agree)."""
    found = await GreetingSettings.get_or_none(shop_id=shop_id)
    if found is not None:
        return found
    if not await Shop.exists(id=shop_id):
        raise GreetingError("not_found")
    await GreetingSettings.bulk_create(
        [GreetingSettings(shop_id=shop_id, birthday_days_before=_config.birthday_days_before)],
        ignore_conflicts=True,
    )
    return await GreetingSettings.get(shop_id=shop_id)


async def update_settings(shop_id: int, **changes: Any) -> GreetingSettings:
    """Change any of: enabled, audience, birthday_on, birthday_days_before (0–7),
    birthday_text (None or blank: the default text), birthday_coupon_id (None: no coupon)."""
    allowed = {
        "enabled",
        "audience",
        "birthday_on",
        "birthday_days_before",
        "birthday_text",
        "birthday_coupon_id",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown greeting settings: {sorted(unknown)}")
    found = await settings_of(shop_id)
    if "audience" in changes:
        try:
            changes["audience"] = GreetingAudience(changes["audience"])
        except ValueError:
            raise GreetingError("bad_audience") from None
    if "birthday_days_before" in changes:
        days = changes["birthday_days_before"]
        if not isinstance(days, int) or not 0 <= days <= DAYS_BEFORE_MAX:
            raise GreetingError("bad_days")
    if "birthday_text" in changes:
        changes["birthday_text"] = clean_text(changes["birthday_text"])
    if changes.get("birthday_coupon_id") is not None:
        await _check_coupon(shop_id, changes["birthday_coupon_id"])
    for name, value in changes.items():
        setattr(found, name, value)
    if changes:
        await found.save(update_fields=[*changes, "updated_at"])
    return found


async def set_holiday(
    shop_id: int,
    occasion: str,
    *,
    enabled: bool | None = UNCHANGED,
    text: str | None = UNCHANGED,
    coupon_id: int | None = UNCHANGED,
) -> HolidayGreeting:
    """Change one holiday for the shop: on/off, its text (None or blank: the default text),
    its coupon (None: none). Arguments left out stay as they are."""
    if occasion not in OCCASIONS:
        raise GreetingError("unknown_occasion")
    if not await Shop.exists(id=shop_id):
        raise GreetingError("not_found")
    changes: dict[str, Any] = {}
    if enabled is not UNCHANGED:
        changes["enabled"] = bool(enabled)
    if text is not UNCHANGED:
        changes["text"] = clean_text(text)
    if coupon_id is not UNCHANGED:
        if coupon_id is not None:
            await _check_coupon(shop_id, coupon_id)
        changes["coupon_id"] = coupon_id
    await HolidayGreeting.bulk_create(
        [HolidayGreeting(shop_id=shop_id, occasion=occasion)], ignore_conflicts=True
    )
    if changes:
        await HolidayGreeting.filter(shop_id=shop_id, occasion=occasion).update(**changes)
    return await HolidayGreeting.get(shop_id=shop_id, occasion=occasion)


async def set_occasion(
    shop_id: int,
    occasion: str,
    *,
    enabled: bool | None = UNCHANGED,
    text: str | None = UNCHANGED,
    coupon_id: int | None = UNCHANGED,
) -> None:
    """`set_holiday`, or for "birthday" the matching birthday settings: one call for screens
    that treat every occasion alike."""
    if occasion != BIRTHDAY:
        await set_holiday(shop_id, occasion, enabled=enabled, text=text, coupon_id=coupon_id)
        return
    changes: dict[str, Any] = {}
    if enabled is not UNCHANGED:
        changes["birthday_on"] = bool(enabled)
    if text is not UNCHANGED:
        changes["birthday_text"] = text
    if coupon_id is not UNCHANGED:
        changes["birthday_coupon_id"] = coupon_id
    await update_settings(shop_id, **changes)


def clean_text(text: str | None) -> str | None:
    """A shop's own greeting text: None or blank means the default; at most TEXT_MAX."""
    if text is None or is_blank(text):
        return None
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise GreetingError("bad_text")
    return text


async def _check_coupon(shop_id: int, coupon_id: int) -> None:
    if not await Coupon.exists(id=coupon_id, shop_id=shop_id):
        raise GreetingError("bad_coupon")


# ----------------------------------------------------------------------------- opting out


async def opt_out(user_id: int, shop_id: int | None) -> bool:
    """No more greetings from the shop (None: from any shop). False if it was so already."""
    if await GreetingOptOut.exists(user_id=user_id, shop_id=shop_id):
        return False
    try:
        await GreetingOptOut.create(user_id=user_id, shop_id=shop_id)
    except IntegrityError:  # a double tap
        return False
    return True


async def opt_in(user_id: int, shop_id: int | None) -> bool:
    """Greetings from the shop again (None: lift the "no greetings at all" choice; opt-outs of
    single shops stay). False if there was nothing to lift."""
    return await GreetingOptOut.filter(user_id=user_id, shop_id=shop_id).delete() > 0


async def opted_out_of(user_id: int) -> set[int | None]:
    """The shops the person wants no greetings from (None in it: none from any shop)."""
    return set(await GreetingOptOut.filter(user_id=user_id).values_list("shop_id", flat=True))


# ------------------------------------------------------------------------------ audiences


def in_audience(audience: str, *, customer: bool, member: bool, following: bool) -> bool:
    """Whether a person belongs to a shop's greeting audience: the one rule."""
    if audience == GreetingAudience.MEMBERS:
        return member
    if audience == GreetingAudience.FOLLOWERS:
        return customer or following
    return customer


def is_member(record: tuple[datetime | None, ...]) -> bool:
    """Card member of the shop: joined its card (`Customer.joined_at`, kept by the card join's
    transaction). `record` holds the values of `_RECORD_COLUMNS`."""
    return record[1] is not None


#: The customer record's columns `in_audience` needs: customer since (a customer), joined the
#: card (a member).
_RECORD_COLUMNS = ("customer_since", "joined_at")


# -------------------------------------------------------------------------- the selection


@dataclass(frozen=True)
class Due:
    """One greeting to queue: from `shop_id` to `user_id` for `occasion` of `year`."""

    user_id: int
    shop_id: int
    occasion: str
    year: int
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class _ShopRule:
    enabled: bool
    audience: str
    birthday_on: bool
    days_before: int


async def _shop_rules() -> tuple[dict[int, _ShopRule], _ShopRule]:
    """Every shop's greeting settings, and the rule of shops with none yet (the defaults)."""
    default = _ShopRule(True, GreetingAudience.CUSTOMERS, True, _config.birthday_days_before)
    rows = await GreetingSettings.all().values_list(
        "shop_id", "enabled", "audience", "birthday_on", "birthday_days_before"
    )
    return {row[0]: _ShopRule(*row[1:]) for row in rows}, default


def month_days_of(day: date) -> list[int]:
    """The birth month-days greeted on `day`'s date: 28 February also takes 29 February in a
    common year."""
    found = [day.month * 100 + day.day]
    if (day.month, day.day) == (2, 28) and occasions.birthday_in(2, 29, day.year).day == 28:
        found.append(229)
    return found


async def birthdays_due(today: date) -> list[tuple[int, int]]:
    """(user, shop) pairs whose birthday greeting is due on `today`: the daily selection (the
    benchmark times it). Indexed on users.birth_md: only people born on the few month-days the
    shops' "days before" point at are read."""
    return [(d.user_id, d.shop_id) for d in await _birthdays_due(today)]


async def _birthdays_due(today: date) -> list[Due]:
    rules, default = await _shop_rules()
    days_in_use = {r.days_before for r in rules.values() if r.enabled and r.birthday_on}
    days_in_use.add(default.days_before)
    mds_for: dict[int, tuple[int, date]] = {}  # month-day → (days before, birthday)
    for days in days_in_use:
        birthday = today + timedelta(days=days)
        for md in month_days_of(birthday):
            mds_for[md * 10 + days] = (days, birthday)
    wanted = sorted({key // 10 for key in mds_for})
    rows = await Customer.filter(
        user__birth_md__in=wanted,
        user__reachable=True,
        shop__status=ShopStatus.APPROVED,
    ).values_list("user_id", "shop_id", "user__birth_md", "user__timezone", *_RECORD_COLUMNS)
    candidates: list[tuple[Due, Any]] = []
    for user_id, shop_id, md, tz, *record in rows:
        rule = rules.get(shop_id, default)
        if not (rule.enabled and rule.birthday_on):
            continue
        hit = mds_for.get(md * 10 + rule.days_before)
        if hit is None:
            continue
        candidates.append((Due(user_id, shop_id, BIRTHDAY, hit[1].year, tz), (rule, record)))
    return await _keep_audience(candidates)


async def holidays_due(today: date) -> list[Due]:
    """Every holiday greeting due on `today`: each holiday of the config falling on it, from
    each shop that greets on it, to its audience."""
    keys = occasions.on(today, _config.holidays)
    if not keys:
        return []
    rules, default = await _shop_rules()
    off = await HolidayGreeting.filter(occasion__in=keys, enabled=False).values_list(
        "shop_id", "occasion"
    )
    switched_off = set(off)
    candidates: list[tuple[Due, Any]] = []
    for key in keys:
        # Records already greeted for this holiday are left in the database: after the first
        # run of the day, later runs read only who is still due (unique log index).
        rows = (
            await Customer.filter(user__reachable=True, shop__status=ShopStatus.APPROVED)
            .annotate(greeted=RawSQL(_GREETED.format(occasion=key, year=int(today.year))))
            .filter(greeted=False)
            .values_list("user_id", "shop_id", "user__timezone", *_RECORD_COLUMNS)
        )
        for user_id, shop_id, tz, *record in rows:
            rule = rules.get(shop_id, default)
            if rule.enabled and (shop_id, key) not in switched_off:
                candidates.append((Due(user_id, shop_id, key, today.year, tz), (rule, record)))
    return await _keep_audience(candidates)


#: Whether the customer record's person was greeted by its shop for a holiday; `occasion` is a
#: key of OCCASIONS (checked before formatting), `year` an int: nothing typed by anyone.
_GREETED = (
    "EXISTS (SELECT 1 FROM greeting_log g WHERE g.user_id = customers.user_id"
    " AND g.shop_id = customers.shop_id AND g.occasion = '{occasion}' AND g.year = {year})"
)


async def _keep_audience(candidates: list[tuple[Due, Any]]) -> list[Due]:
    """Candidates in their shop's audience, not opted out, not muted."""
    if not candidates:
        return []
    users = list({due.user_id for due, _ in candidates})
    following: set[tuple[int, int]] = set()
    muted: set[tuple[int, int]] = set()
    opted: set[tuple[int, int | None]] = set()
    for start in range(0, len(users), CHUNK):
        chunk = users[start : start + CHUNK]
        for user_id, shop_id, is_muted in await Follow.filter(
            user_id__in=chunk, shop_id__isnull=False
        ).values_list("user_id", "shop_id", "muted"):
            (muted if is_muted else following).add((user_id, shop_id))
        opted.update(
            await GreetingOptOut.filter(user_id__in=chunk).values_list("user_id", "shop_id")
        )
    kept = []
    for due, (rule, record) in candidates:
        pair = (due.user_id, due.shop_id)
        if pair in muted or pair in opted or (due.user_id, None) in opted:
            continue
        if in_audience(
            rule.audience,
            customer=record[0] is not None,
            member=is_member(record),
            following=pair in following,
        ):
            kept.append(due)
    return kept


# ------------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class Greeted:
    """One shop's greeting inside a message (for its buttons; a shop greeting on two
    holidays of one day is in it twice)."""

    shop_id: int
    shop_name: str
    claim_id: int | None = None
    coupon_title: str | None = None


#: The buttons under a greeting message (the bot layer's; scheduler Views pass them in).
ButtonRows = Callable[[Sequence[Greeted]], list[list[dict[str, Any]]]]


def no_buttons(_: Sequence[Greeted]) -> list[list[dict[str, Any]]]:
    return []


@dataclass
class _Message:
    """One person's message: every greeting of one group (their birthday, or the day's
    holidays) from every shop, as (shop, occasion, year)."""

    user_id: int
    group: str  # "birthday" | "holidays"
    day: date  # the person's local date
    until: datetime
    parts: list[tuple[int, str, int]] = field(default_factory=list)


def local_day_bounds(tz_name: str, now: datetime) -> tuple[date, int, datetime]:
    """The person's local date, minutes after local midnight, and the end of their day."""
    tz = zone_of(tz_name)
    local = now.astimezone(tz)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return local.date(), local.hour * 60 + local.minute, tomorrow.astimezone(UTC)


def candidate_days(now: datetime) -> list[date]:
    """Every date it is somewhere on Earth now (UTC−12 … UTC+14)."""
    return sorted({(now + timedelta(hours=h)).date() for h in (-12, 0, 14)})


async def due_now(now: datetime) -> list[Due]:
    """Greetings due at `now`: for each person, their local date's greetings once their local
    time has reached `greetings.hour`; those already logged are left out."""
    found: list[Due] = []
    for day in candidate_days(now):
        for due in [*await _birthdays_due(day), *await holidays_due(day)]:
            local_date, minute, _ = local_day_bounds(due.timezone, now)
            if local_date == day and minute >= _config.hour:
                found.append(due)
    return await _not_logged(found)


async def _not_logged(found: list[Due]) -> list[Due]:
    keys = {(d.occasion, d.year) for d in found}
    logged: set[tuple[int, int, str, int]] = set()
    for occasion, year in keys:
        users = list({d.user_id for d in found if (d.occasion, d.year) == (occasion, year)})
        for start in range(0, len(users), CHUNK):
            rows = await GreetingLog.filter(
                occasion=occasion, year=year, user_id__in=users[start : start + CHUNK]
            ).values_list("user_id", "shop_id")
            logged.update((u, s, occasion, year) for u, s in rows)
    return [d for d in found if (d.user_id, d.shop_id, d.occasion, d.year) not in logged]


async def queue_due(now: datetime, buttons: ButtonRows = no_buttons) -> int:
    """The greeting job: queue every greeting due now, one message per person for their
    birthday and one for the day's holidays (every shop's, and two holidays falling on one
    day, bundled), each with its log rows and granted coupons in one transaction. Returns how
    many messages were queued; safe to run at any time, twice at once included."""
    messages: dict[tuple[int, str], _Message] = {}
    for due in await due_now(now):
        group = "birthday" if due.occasion == BIRTHDAY else "holidays"
        key = (due.user_id, group)
        if key not in messages:
            day, _, until = local_day_bounds(due.timezone, now)
            messages[key] = _Message(due.user_id, group, day, until)
        messages[key].parts.append((due.shop_id, due.occasion, due.year))
    if not messages:
        return 0
    shops = await _shops([p[0] for m in messages.values() for p in m.parts])
    queued = 0
    for message in messages.values():
        queued += await _queue_one(message, shops, now, buttons)
    return queued


@dataclass(frozen=True)
class _ShopGreeting:
    name: str
    birthday_text: str | None
    birthday_coupon_id: int | None
    holidays: Mapping[str, tuple[str | None, int | None]]


async def _shops(shop_ids: Iterable[int]) -> dict[int, _ShopGreeting]:
    ids = list(set(shop_ids))
    names = dict(await Shop.filter(id__in=ids).values_list("id", "name"))
    settings = {
        s: (text, coupon)
        for s, text, coupon in await GreetingSettings.filter(shop_id__in=ids).values_list(
            "shop_id", "birthday_text", "birthday_coupon_id"
        )
    }
    holidays: dict[int, dict[str, tuple[str | None, int | None]]] = defaultdict(dict)
    for s, occasion, text, coupon in await HolidayGreeting.filter(shop_id__in=ids).values_list(
        "shop_id", "occasion", "text", "coupon_id"
    ):
        holidays[s][occasion] = (text, coupon)
    return {
        s: _ShopGreeting(names[s], *settings.get(s, (None, None)), holidays[s])
        for s in ids
        if s in names
    }


def part_of(shop: _ShopGreeting, occasion: str) -> tuple[dict[str, Any], int | None]:
    """One shop's greeting as a template part (bot.services.templates), and its coupon id."""
    if occasion == BIRTHDAY:
        text, coupon_id = shop.birthday_text, shop.birthday_coupon_id
    else:
        text, coupon_id = shop.holidays.get(occasion, (None, None))
    params = {"shop": shop.name}
    if text:
        return {"template_text": text, "params": params}, coupon_id
    return {"template": f"greetings.{occasion}", "params": params}, coupon_id


async def _queue_one(
    message: _Message, shops: Mapping[int, _ShopGreeting], now: datetime, buttons: ButtonRows
) -> int:
    """One person's message: logs, gifts and the outbox row together, or nothing at all (a
    log already there means another run did it)."""
    order = [*OCCASIONS, BIRTHDAY]
    parts = sorted(
        (p for p in message.parts if p[0] in shops), key=lambda p: (order.index(p[1]), p[0])
    )
    if not parts:
        return 0
    # Unique per (person, message): a later message the same day greets other (shop, occasion)
    # pairs (the log says so), so its first pair differs.
    first_shop, first_occasion, _ = parts[0]
    campaign = f"greet:{message.day.isoformat()}:{first_occasion}:{first_shop}"
    shop_ids = {shop_id for shop_id, _, _ in parts}
    try:
        async with in_transaction():
            logs, bundle, greeted = [], [], []
            for shop_id, occasion, year in parts:
                logs.append(
                    await GreetingLog.create(
                        user_id=message.user_id,
                        shop_id=shop_id,
                        occasion=occasion,
                        year=year,
                        created_at=now,
                    )
                )
                part, coupon_id = part_of(shops[shop_id], occasion)
                claim = None
                if coupon_id is not None:
                    claim = await coupons.grant(coupon_id, message.user_id, now)
                if claim is not None:
                    part["gift"] = claim.coupon.title
                bundle.append(part)
                greeted.append(
                    Greeted(
                        shop_id,
                        shops[shop_id].name,
                        claim.id if claim else None,
                        claim.coupon.title if claim else None,
                    )
                )
            payload: dict[str, Any] = {"bundle": bundle, "buttons": buttons(greeted)}
            new = await outbox.enqueue(
                campaign,
                GREETING_KIND,
                [message.user_id],
                payload,
                not_before=now,
                expires_at=message.until,
                shop_id=first_shop if len(shop_ids) == 1 else None,
            )
            row = await Outbox.get_or_none(campaign=campaign, user_id=message.user_id)
            for log, item in zip(logs, greeted, strict=True):
                await GreetingLog.filter(id=log.id).update(
                    outbox_id=row.id if row else None, claim_id=item.claim_id
                )
    except IntegrityError:  # another run logged one of these first: it sends them
        return 0
    return new


# ------------------------------------------------------------------ what the owner sees


@dataclass(frozen=True)
class RenderedGreeting:
    """Exactly what a customer receives (HTML text), and the coupon granted with it."""

    text: str
    coupon_title: str | None = None


async def preview(
    shop_id: int, occasion: str, lang: str, name: str | None = None
) -> RenderedGreeting:
    """The shop's greeting for `occasion` as a customer called `name` (default: a sample
    name in `lang`) reading in `lang` will get it, through the sender's own rendering."""
    if occasion != BIRTHDAY and occasion not in OCCASIONS:
        raise GreetingError("unknown_occasion")
    shop = (await _shops([shop_id])).get(shop_id)
    if shop is None:
        raise GreetingError("not_found")
    part, coupon_id = part_of(shop, occasion)
    coupon = await Coupon.get_or_none(id=coupon_id) if coupon_id else None
    if coupon is not None:
        part["gift"] = coupon.title
    reader = name or recipient_name(None, None, lang)
    return RenderedGreeting(render_part(part, lang, reader), coupon.title if coupon else None)


@dataclass(frozen=True)
class HolidayLine:
    occasion: str
    date: date
    enabled: bool  # the shop's switch (and the greetings switch as a whole)
    custom_text: bool
    coupon_id: int | None


@dataclass(frozen=True)
class YearAhead:
    """The /greetings overview: birthdays in the coming twelve months (first of each month →
    how many of the shop's audience have their birthday in it) and the holidays with dates."""

    enabled: bool
    audience: str
    birthday_on: bool
    birthday_days_before: int
    birthday_custom_text: bool
    birthday_coupon_id: int | None
    birthdays_by_month: list[tuple[date, int]]
    next_birthdays: int  # in the coming 30 days
    holidays: list[HolidayLine]


async def year_ahead(shop_id: int, today: date) -> YearAhead:
    found = await settings_of(shop_id)
    rule = _ShopRule(True, found.audience, True, found.birthday_days_before)
    records = await Customer.filter(shop_id=shop_id, user__birth_md__isnull=False).values_list(
        "user_id", "user__birth_md", *_RECORD_COLUMNS
    )
    candidates = [
        (Due(user_id, shop_id, BIRTHDAY, today.year), (rule, record))
        for user_id, _, *record in records
    ]
    kept = {d.user_id for d in await _keep_audience(candidates)}
    months = [add_months(today.replace(day=1), i) for i in range(12)]
    by_month: dict[date, int] = dict.fromkeys(months, 0)
    soon = 0
    for user_id, md, *_ in records:
        if user_id not in kept:
            continue
        nxt = _next_birthday(md // 100, md % 100, today)
        first = nxt.replace(day=1)
        if first in by_month:
            by_month[first] += 1
        if (nxt - today).days < 30:
            soon += 1
    holidays = await HolidayGreeting.filter(shop_id=shop_id).values_list(
        "occasion", "enabled", "text", "coupon_id"
    )
    chosen = {o: (e, t, c) for o, e, t, c in holidays}
    lines = [
        HolidayLine(
            key,
            when,
            found.enabled and chosen.get(key, (True, None, None))[0],
            bool(chosen.get(key, (True, None, None))[1]),
            chosen.get(key, (True, None, None))[2],
        )
        for key, when in occasions.upcoming(today, _config.holidays)
    ]
    return YearAhead(
        enabled=found.enabled,
        audience=str(found.audience),
        birthday_on=found.birthday_on,
        birthday_days_before=found.birthday_days_before,
        birthday_custom_text=bool(found.birthday_text),
        birthday_coupon_id=found.birthday_coupon_id,
        birthdays_by_month=sorted(by_month.items()),
        next_birthdays=soon,
        holidays=lines,
    )


def _next_birthday(month: int, day: int, today: date) -> date:
    this_year = occasions.birthday_in(month, day, today.year)
    return this_year if this_year >= today else occasions.birthday_in(month, day, today.year + 1)


# -------------------------------------------------------------------- the weekly cap


def weekly_cap() -> WeeklyCap:
    return weekly_cap_of(_config)


async def weekly_count(shop_id: int, user_id: int, now: datetime) -> int:
    """Marketing messages the shop sent the person in the last 7 days."""
    return await outbox.weekly_count(shop_id, user_id, now, weekly_cap())


@dataclass(frozen=True)
class WeeklyCapLeft:
    """For the promotion composer: the cap, how many more messages reach everyone this week
    (the cap minus the most any one person has had), and how many people are at the cap (a
    promotion now skips them)."""

    cap: int
    left: int
    people_at_cap: int


async def weekly_cap_left(shop_id: int, now: datetime) -> WeeklyCapLeft:
    cap = weekly_cap()
    counts = await outbox.weekly_counts([shop_id], None, now, cap)
    most = max(counts.values(), default=0)
    at_cap = sum(1 for n in counts.values() if n >= cap.per_shop)
    return WeeklyCapLeft(cap.per_shop, max(cap.per_shop - most, 0), at_cap)


async def user_name(user_id: int) -> str:
    """What a greeting calls the person now (for previews of one person's greeting)."""
    user = await User.get(id=user_id)
    return recipient_name(user.name, user.first_name, user.language)
