"""The one configuration loader: `config.yaml` for what a deployer tunes, the environment for
secrets and deployment (token, database URL, Bot API server location)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = ROOT / "config.yaml"


@dataclass(frozen=True)
class SearchSettings:
    default_radius_km: float = 2.0
    radii_km: tuple[float, ...] = (2.0, 5.0, 10.0)
    page_size: int = 10
    max_radius_km: float = 50.0


@dataclass(frozen=True)
class ShopSettings:
    require_approval: bool = True
    #: With approval on: a changed name, category or location of an approved shop waits for an
    #: operator too (the live values stay until approved); other fields change at once.
    review_edits: bool = True
    max_photos: int = 5
    name_max: int = 64
    address_max: int = 200
    description_max: int = 1000


@dataclass(frozen=True)
class GeocoderSettings:
    provider: str = "nominatim"
    domain: str = "nominatim.openstreetmap.org"
    scheme: str = "https"
    user_agent: str = "shopbot"
    timeout: float = 5.0


@dataclass(frozen=True)
class BroadcastSettings:
    """How the one sender spends Telegram's budget and respects recipients' peace."""

    rate_per_second: float = 30.0  # Telegram's limit for the whole bot
    headroom: float = 0.02  # fraction of the rate left unused, absorbing network jitter
    burst: int = 5  # sends the global bucket may release at once
    per_chat_rate: float = 1.0  # messages per second into one private chat
    per_chat_burst: int = 3  # at or below what Telegram lets through into one chat
    # A 429 pauses only the chat it came from; 429s from this many different chats within
    # the window (or one for a call without a chat) mean the bot as a whole is throttled.
    global_pause_chats: int = 3
    global_pause_window_seconds: float = 2.0
    max_retries: int = 5  # RetryAfter retries of one call inside the rate limiter
    batch_size: int = 50  # most outbox rows claimed by one query
    # Messages handed to Telegram at once (rows leased = in flight: all a crash can lose).
    max_concurrent_sends: int = 16
    progress_interval_seconds: float = 3.0
    max_attempts: int = 5  # network failures before a row is given up
    lease_seconds: int = 300  # a send still unsettled by then is counted as interrupted
    quiet_start: int = 22 * 60  # minutes after local midnight
    quiet_end: int = 8 * 60
    max_promotional_per_day: int = 3  # promotions and flash deals per person per local day

    @property
    def effective_rate(self) -> float:
        return self.rate_per_second * (1 - self.headroom)

    @property
    def effective_per_chat_rate(self) -> float:
        return self.per_chat_rate * (1 - self.headroom)


ALL_HOLIDAYS = (
    "new_year",
    "spring_festival",
    "lantern",
    "valentine",
    "labour_day",
    "dragon_boat",
    "qixi",
    "mid_autumn",
    "national_day",
)


@dataclass(frozen=True)
class GreetingsConfig:
    """Birthday and holiday greetings (bot.services.greetings) and the weekly per-shop cap on
    marketing messages (bot.services.outbox)."""

    holidays: tuple[str, ...] = ALL_HOLIDAYS  # which holidays shops may greet on at all
    hour: int = 10 * 60  # local time (minutes after midnight) greetings go out from
    birthday_days_before: int = 3  # a new shop's default (each shop picks 0..7)
    weekly_cap_per_shop: int = 5  # marketing messages one shop sends one person per 7 days
    # Kinds of outbox messages that use up the weekly allowance...
    weekly_counted_kinds: frozenset[str] = frozenset({"promo", "flash", "greeting"})
    # ...and those the cap holds back (a greeting counts but is never dropped for it).
    weekly_capped_kinds: frozenset[str] = frozenset({"promo", "flash"})


@dataclass(frozen=True)
class CareSettings:
    """Care after a visit (bot.services.care): the welcome and the satisfaction question."""

    welcome: bool = True  # a shop's welcome after a person's first visit or card join
    surveys: bool = True  # "How was your visit?" after each redemption or purchase
    survey_after_minutes: int = 30  # how long after the visit it is asked
    survey_max_age_hours: int = 24  # older than this (quiet hours, downtime): never asked
    low_stars: int = 2  # this many stars or fewer opens a complaint the owner is told about
    high_stars: int = 4  # this many or more invites a review


@dataclass(frozen=True)
class UpdateSettings:
    """How incoming updates are processed (see bot.updates)."""

    max_running: int = 32  # handlers running at once; a chat's backlog waits outside this
    sequential: bool = False  # true: one update at a time, PTB's default (for comparison)


@dataclass(frozen=True)
class CardSettings:
    """Membership cards: how long a card QR and a spend request live, the consumption
    password's lockout and hashing cost, and how far ahead expiry and downgrades are told."""

    qr_minutes: int = 5  # a card QR shown in chat stops working after this
    approval_minutes: int = 5  # a spend request waits this long for the holder's approval
    lock_attempts: int = 5  # wrong passwords in a row that lock spending on the card
    lock_minutes: int = 15
    scrypt_n: int = 2**14  # scrypt cost (CPU/memory); tests lower it, never production
    scrypt_r: int = 8
    scrypt_p: int = 1
    expiry_reminder_days: int = 14  # points about to expire are announced this many days ahead
    downgrade_notice_days: int = 30  # a yearly downgrade is announced this many days ahead


@dataclass(frozen=True)
class Config:
    token: str = ""
    database_url: str = "sqlite://data/bot.sqlite3"
    api_base_url: str = "https://api.telegram.org/bot"
    api_file_url: str = "https://api.telegram.org/file/bot"
    persistence_file: str = "data/conversations.pickle"
    languages: tuple[str, ...] = ("zh_Hans", "zh_Hant", "en")
    fallback_language: str = "en"
    timezone: str = "Asia/Shanghai"
    currency_code: str = "CNY"
    currency_symbol: str = "¥"
    phone_region: str = "CN"
    categories: tuple[str, ...] = ()
    operators: frozenset[int] = frozenset()
    search: SearchSettings = field(default_factory=SearchSettings)
    shops: ShopSettings = field(default_factory=ShopSettings)
    geocoder: GeocoderSettings = field(default_factory=GeocoderSettings)
    broadcast: BroadcastSettings = field(default_factory=BroadcastSettings)
    updates: UpdateSettings = field(default_factory=UpdateSettings)
    cards: CardSettings = field(default_factory=CardSettings)
    greetings: GreetingsConfig = field(default_factory=GreetingsConfig)
    care: CareSettings = field(default_factory=CareSettings)
    review_text_max: int = 1000
    service_name_max: int = 64
    service_description_max: int = 500
    service_max_price: int = 1_000_000

    @property
    def review_shop_edits(self) -> bool:
        """Whether an approved shop's name, category and location changes wait for review."""
        return self.shops.require_approval and self.shops.review_edits

    def with_(self, **changes: Any) -> Config:
        """A modified copy (tests and tools tweak one setting without a file)."""
        return replace(self, **changes)

    def __repr__(self) -> str:  # never print the token
        return f"Config(database_url={self.database_url!r}, api_base_url={self.api_base_url!r})"


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read config.yaml (or `BOT_CONFIG`) and overlay the environment."""
    env = dict(os.environ) if env is None else env
    path = Path(path or env.get("BOT_CONFIG") or DEFAULT_CONFIG_PATH)
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    search = raw.get("search", {})
    shops = raw.get("shops", {})
    geo = raw.get("geocoder", {})
    services = raw.get("services", {})
    currency = raw.get("currency", {})
    operators = env.get("BOT_OPERATORS")
    operator_ids = (
        [int(x) for x in operators.split(",") if x.strip()]
        if operators
        else raw.get("operators") or []
    )
    return Config(
        token=env.get("BOT_TOKEN", ""),
        database_url=env.get("DATABASE_URL") or raw.get("database_url", Config.database_url),
        api_base_url=env.get("TELEGRAM_API_BASE_URL", Config.api_base_url),
        api_file_url=env.get("TELEGRAM_API_FILE_URL", Config.api_file_url),
        persistence_file=env.get("PERSISTENCE_FILE")
        or raw.get("persistence_file", Config.persistence_file),
        languages=tuple(raw.get("languages", Config.languages)),
        fallback_language=raw.get("fallback_language", Config.fallback_language),
        timezone=raw.get("timezone", Config.timezone),
        currency_code=currency.get("code", Config.currency_code),
        currency_symbol=currency.get("symbol", Config.currency_symbol),
        phone_region=raw.get("phone_region", Config.phone_region),
        categories=tuple(raw.get("categories", ())),
        operators=frozenset(int(x) for x in operator_ids),
        search=SearchSettings(
            default_radius_km=float(search.get("default_radius_km", 2)),
            radii_km=tuple(float(r) for r in search.get("radii_km", (2, 5, 10))),
            page_size=int(search.get("page_size", 10)),
            max_radius_km=float(search.get("max_radius_km", 50)),
        ),
        shops=ShopSettings(**{k: v for k, v in shops.items() if k in ShopSettings.__annotations__}),
        geocoder=GeocoderSettings(
            **{k: v for k, v in geo.items() if k in GeocoderSettings.__annotations__}
        ),
        broadcast=_broadcast(raw.get("broadcast", {})),
        updates=_updates(raw.get("updates") or {}),
        cards=_cards(raw.get("cards") or {}),
        greetings=_greetings(raw.get("greetings") or {}),
        care=_care(raw.get("care") or {}),
        review_text_max=int(raw.get("reviews", {}).get("text_max", 1000)),
        service_name_max=int(services.get("name_max", 64)),
        service_description_max=int(services.get("description_max", 500)),
        service_max_price=int(services.get("max_price", 1_000_000)),
    )


def _minutes(hhmm: str | int) -> int:
    """'22:00' → 1320 (YAML may also hand over a bare number of minutes)."""
    if isinstance(hhmm, int):
        return hhmm
    hours, _, minutes = str(hhmm).partition(":")
    return int(hours) * 60 + int(minutes or 0)


def _broadcast(raw: dict[str, Any]) -> BroadcastSettings:
    known = {k: v for k, v in raw.items() if k in BroadcastSettings.__annotations__}
    for key in ("quiet_start", "quiet_end"):
        if key in known:
            known[key] = _minutes(known[key])
    defaults = BroadcastSettings()
    typed = {k: type(getattr(defaults, k))(v) for k, v in known.items()}  # YAML 30 → 30.0
    return BroadcastSettings(**typed)


def _care(raw: dict[str, Any]) -> CareSettings:
    defaults = CareSettings()
    known = {k: v for k, v in raw.items() if k in CareSettings.__annotations__}
    return CareSettings(**{k: type(getattr(defaults, k))(v) for k, v in known.items()})


def _updates(raw: dict[str, Any]) -> UpdateSettings:
    defaults = UpdateSettings()
    return UpdateSettings(
        max_running=int(raw.get("max_running", defaults.max_running)),
        sequential=bool(raw.get("sequential", defaults.sequential)),
    )


def _cards(raw: dict[str, Any]) -> CardSettings:
    return CardSettings(**{k: int(v) for k, v in raw.items() if k in CardSettings.__annotations__})


def _greetings(raw: dict[str, Any]) -> GreetingsConfig:
    defaults = GreetingsConfig()
    holidays = tuple(raw.get("holidays", defaults.holidays))
    unknown = set(holidays) - set(ALL_HOLIDAYS)
    if unknown:
        raise ValueError(f"greetings.holidays: unknown {sorted(unknown)}; known: {ALL_HOLIDAYS}")
    return GreetingsConfig(
        holidays=holidays,
        hour=_minutes(raw.get("hour", "10:00")),
        birthday_days_before=int(raw.get("birthday_days_before", defaults.birthday_days_before)),
        weekly_cap_per_shop=int(raw.get("weekly_cap_per_shop", defaults.weekly_cap_per_shop)),
        weekly_counted_kinds=frozenset(
            raw.get("weekly_counted_kinds", defaults.weekly_counted_kinds)
        ),
        weekly_capped_kinds=frozenset(raw.get("weekly_capped_kinds", defaults.weekly_capped_kinds)),
    )
