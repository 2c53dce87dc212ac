"""Finding shops: nearby (a location or a saved place; every category nearest first at once,
with a row of category filters; paged, widenable) and by name.

The last search (kind, point, category, radius, page) lives in `user_data["search"]` with a
version `v` that every new search bumps. Result buttons (`ResultsPage`) carry the version, the
radius and the page, the filters (`NearbyFilter`) the version and a category, so a button of an
older search is refused as expired, and the point never travels in callback data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import now
from bot.config import Config
from bot.formatting import format_distance, format_rating, h
from bot.i18n import LANGUAGES, t
from bot.models import Shop, ShopStatus, User
from bot.services.search import InvalidSearch, NearbyPage, nearby, search_by_name
from bot.services.users import places_of
from bot.ui.base import Context, Deps, answer, deps, edit_in_place, expired, say
from bot.ui.buttons.nearby import NearbyFilter, ResultsPage
from bot.ui.buttons.shop import ShopPage
from bot.ui.flow import CANCEL_LABEL, END, PLAIN_TEXT, Flow, add_flow, flow_fallbacks, show_menu
from bot.ui.keyboards import (
    any_label_pattern,
    choice_keyboard,
    location_keyboard,
    menu_pattern,
)
from bot.ui.text import block, blocks, fit
from bot.views.shop import hours_open

FLOW = "shop_search"
FILTERS_PER_ROW = 3
ASK_LOCATION, ASK_NAME = "shop_search.location", "shop_search.name"
PLACE_KEYS = {"home": "nearby.place_home", "work": "nearby.place_work"}
PLACE_LABEL = filters.Regex(any_label_pattern(PLACE_KEYS.values()))
PLACE_BY_TEXT = {t(lang, key): place for place, key in PLACE_KEYS.items() for lang in LANGUAGES}
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL
NAME_QUERY_MAX = 64

Search = dict[str, Any]
"""kind ("near" | "name"), v, lat, lng (None for a name search without a point), category,
radius_m and base_m (0 for name searches), query, page."""


# ------------------------------------------------------------------------------- radius


def radius_steps(config: Config, base_m: int) -> list[int]:
    """The radii a search may use: the user's default, then each configured wider one."""
    top = round(config.search.max_radius_km * 1000)
    base = min(max(base_m, 1), top)
    wider = {round(km * 1000) for km in config.search.radii_km}
    return sorted({base} | {r for r in wider if base < r <= top})


def wider_radius(config: Config, search: Search) -> int | None:
    steps = radius_steps(config, search["base_m"])
    return next((r for r in steps if r > search["radius_m"]), None)


def format_radius(metres: int, lang: str) -> str:
    """'2 km', '2.5 km', '500 m' (no needless '.0' in a headline)."""
    return format_distance(metres, lang, exact=False)


# ------------------------------------------------------------------------------- search


def new_search(context: Context, **fields: Any) -> Search:
    """Remember a new search, outdating every button of the previous one."""
    assert context.user_data is not None
    old = context.user_data.get("search") or {}
    search = {"v": old.get("v", 0) + 1, "page": 0, **fields}
    context.user_data["search"] = search
    return search


async def run_search(search: Search, page: int, page_size: int) -> NearbyPage:
    offset = page * page_size
    if search["kind"] == "near":
        return await nearby(
            search["lat"],
            search["lng"],
            search["radius_m"],
            search["category"],
            limit=page_size,
            offset=offset,
        )
    return await search_by_name(
        search["query"], lat=search["lat"], lng=search["lng"], limit=page_size, offset=offset
    )


async def shops_in_order(ids: list[int]) -> list[Shop]:
    """The page's shops in hit order, dropping any that stopped being public meanwhile."""
    found = {s.id: s for s in await Shop.filter(id__in=ids, status=ShopStatus.APPROVED)}
    return [found[i] for i in ids if i in found]


# ------------------------------------------------------------------------------ display


def result_line(
    lang: str, n: int, shop: Shop, distance_m: float | None, *, category: bool, at: datetime
) -> str:
    """'3. <b>Name</b> · 🍜 Dining' over '350 m · ★ 4.5 (12) · 🟢 open now'."""
    head = f"{n}. <b>{h(shop.name)}</b>"
    if category:
        head += f" · {t(lang, f'category.{shop.category}')}"
    facts = []
    if distance_m is not None:
        facts.append(format_distance(distance_m, lang))
    rating = format_rating(shop.rating_sum, shop.rating_count)
    if rating:
        facts.append(rating)
    if shop.hours:
        open_now = hours_open(shop.hours, shop.timezone, at)
        facts.append(t(lang, "shop.open_now" if open_now else "shop.closed_now"))
    return head + ("\n    " + " · ".join(facts) if facts else "")


def results_title(lang: str, search: Search) -> str:
    if search["kind"] == "name":
        return t(lang, "search.title", query=h(search["query"]))
    what = (
        t(lang, f"category.{search['category']}")
        if search["category"]
        else t(lang, "nearby.all_shops")
    )
    return t(lang, "nearby.title", what=what, radius=format_radius(search["radius_m"], lang))


def results_text(
    lang: str, search: Search, page: NearbyPage, shops: list[Shop], config: Config
) -> str:
    title = f"<b>{results_title(lang, search)}</b>"
    wider = wider_radius(config, search) if search["kind"] == "near" else None
    if not page.total:
        if search["kind"] == "name":
            return t(lang, "search.none", query=h(search["query"]))
        hint = t(lang, "nearby.none_widen") if wider else t(lang, "nearby.none_final")
        return f"{title}\n\n{t(lang, 'nearby.none')}\n{hint}"
    order = "results.by_distance" if search["lat"] is not None else "results.by_name"
    counts = t(
        lang,
        "results.range",
        first=page.offset + 1,
        last=page.offset + len(page.hits),
        total=page.total,
    )
    parts = blocks([title, f"{counts} · {t(lang, order)}", ""])
    distances = {hit.shop_id: hit.distance_m for hit in page.hits}
    show_category = search["kind"] == "name" or not search["category"]
    at = now()
    parts += [
        block(
            result_line(lang, page.offset + i, s, distances[s.id], category=show_category, at=at),
            drop=1,
        )
        for i, s in enumerate(shops, start=1)
    ]
    return fit(parts, more=lambda count: t(lang, "limits.more_below", count=count)).html


def results_markup(
    lang: str, search: Search, page: NearbyPage, shops: list[Shop], config: Config
) -> InlineKeyboardMarkup | None:
    """A button per shop, then previous / next, then widen (None when there is none)."""
    v, radius = search["v"], search["radius_m"]
    rows = [
        [
            InlineKeyboardButton(
                f"{page.offset + i}. {s.name}", callback_data=ShopPage(shop_id=s.id).pack()
            )
        ]
        for i, s in enumerate(shops, start=1)
    ]
    number = page.offset // page.limit
    nav = []
    if page.has_prev:
        nav.append(("results.prev", ResultsPage(version=v, radius_m=radius, page=number - 1)))
    if page.has_next:
        nav.append(("results.next", ResultsPage(version=v, radius_m=radius, page=number + 1)))
    if nav:
        rows.append([InlineKeyboardButton(t(lang, key), callback_data=d.pack()) for key, d in nav])
    wider = wider_radius(config, search) if search["kind"] == "near" else None
    if wider:
        label = t(lang, "nearby.widen", radius=format_radius(wider, lang))
        data = ResultsPage(version=v, radius_m=wider, page=0).pack()
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    if search["kind"] == "near":
        rows += filter_rows(lang, search, config.categories)
    return InlineKeyboardMarkup(rows) if rows else None


def filter_rows(
    lang: str, search: Search, categories: Sequence[str]
) -> list[list[InlineKeyboardButton]]:
    """'✨ All' and each category, the current choice ticked: tapping one narrows the list in
    place, without asking anything first."""
    choices = [(None, t(lang, "nearby.all"))]
    choices += [(i, t(lang, f"category.{c}")) for i, c in enumerate(categories)]
    current = categories.index(search["category"]) if search["category"] in categories else None
    buttons = [
        InlineKeyboardButton(
            f"✓ {label}" if index == current else label,
            callback_data=NearbyFilter(version=search["v"], index=index).pack(),
        )
        for index, label in choices
    ]
    return [buttons[i : i + FILTERS_PER_ROW] for i in range(0, len(buttons), FILTERS_PER_ROW)]


async def render(
    lang: str, search: Search, config: Config
) -> tuple[NearbyPage, str, InlineKeyboardMarkup | None]:
    """Run the search at its current radius and page; the page, its text and buttons."""
    page = await run_search(search, search["page"], config.search.page_size)
    shops = await shops_in_order([hit.shop_id for hit in page.hits])
    return (
        page,
        results_text(lang, search, page, shops, config),
        results_markup(lang, search, page, shops, config),
    )


# ------------------------------------------------------------------------------- nearby


async def ask_location(update: Update, user: User, key: str) -> None:
    """The location button, plus one button per saved place."""
    lang = user.language
    places = [
        t(lang, PLACE_KEYS[p.label]) for p in await places_of(user.id) if p.label in PLACE_KEYS
    ]
    await say(update, t(lang, key), reply_markup=location_keyboard(lang, extra=places))


async def start_nearby(update: Update, context: Context) -> str:
    user = context.user
    await ask_location(update, user, "nearby.ask_location")
    return ASK_LOCATION


async def got_location(update: Update, context: Context) -> int | None:
    user = context.user
    assert update.message is not None and update.message.location is not None
    loc = update.message.location
    if not (-90 <= loc.latitude <= 90 and -180 <= loc.longitude <= 180):
        await ask_location(update, user, "nearby.bad_location")
        return None
    return await _got_point(update, context, user, loc.latitude, loc.longitude, None)


async def got_place(update: Update, context: Context) -> int | None:
    user = context.user
    assert update.message is not None
    text = update.message.text or ""
    label = PLACE_BY_TEXT.get(text)
    place = next((p for p in await places_of(user.id) if p.label == label), None)
    if place is None:
        await ask_location(update, user, "nearby.place_not_saved")
        return None
    return await _got_point(update, context, user, place.lat, place.lng, text)


async def _got_point(
    update: Update, context: Context, user: User, lat: float, lng: float, place: str | None
) -> int:
    """Keep the point (for later name searches too) and list every shop around it at once,
    nearest first; the category filters sit under the list."""
    assert context.user_data is not None
    lang = user.language
    context.user_data["last_point"] = [lat, lng]
    note = t(lang, "nearby.near_place", place=h(place)) if place else t(lang, "nearby.near_you")
    await show_menu(update, user, note)
    config = deps(context).config
    base = user.default_radius_m or round(config.search.default_radius_km * 1000)
    search = new_search(
        context,
        kind="near",
        lat=lat,
        lng=lng,
        category=None,
        radius_m=radius_steps(config, base)[0],
        base_m=base,
        query="",
    )
    _, text, markup = await render(lang, search, config)
    await say(update, text, reply_markup=markup)
    return END


async def location_only(update: Update, context: Context) -> None:
    user = context.user
    await ask_location(update, user, "nearby.need_location")


async def filter_press(update: Update, context: Context) -> None:
    """A category filter under the latest nearby list: the same point, that category, the
    user's own radius, first page."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None and context.user_data is not None
    config = deps(context).config
    pressed = NearbyFilter.pressed(update)
    search: Search | None = context.user_data.get("search")
    index = pressed.index
    if (
        search is None
        or search["kind"] != "near"
        or pressed.version != search["v"]
        or (index is not None and index >= len(config.categories))
    ):
        await expired(update, lang)
        return
    fields = {k: search[k] for k in ("kind", "lat", "lng", "base_m", "query")}
    refined = new_search(
        context,
        **fields,
        category=None if index is None else config.categories[index],
        radius_m=radius_steps(config, search["base_m"])[0],
    )
    await answer(update)
    _, text, markup = await render(lang, refined, config)
    await edit_in_place(query, text, markup)


# --------------------------------------------------------------------------- name search


async def start_name_search(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    await say(update, t(lang, "search.ask_name"), reply_markup=choice_keyboard(lang, []))
    return ASK_NAME


async def got_name(update: Update, context: Context) -> int | None:
    user = context.user
    lang = user.language
    assert update.message is not None and context.user_data is not None
    text = (update.message.text or "").strip()
    if len(text) > NAME_QUERY_MAX:
        await say(update, t(lang, "search.too_long", max=NAME_QUERY_MAX))
        return None
    point = context.user_data.get("last_point")
    if point is None:
        home = next((p for p in await places_of(user.id) if p.label == "home"), None)
        point = [home.lat, home.lng] if home else None
    config = deps(context).config
    lat, lng = point if point else (None, None)
    search = new_search(
        context, kind="name", lat=lat, lng=lng, category=None, radius_m=0, base_m=0, query=text
    )
    try:
        page, body, markup = await render(lang, search, config)
    except InvalidSearch:
        await say(update, t(lang, "search.ask_name"))
        return None
    if not page.total:
        await show_menu(update, user, t(lang, "search.none", query=h(text)))
        return END
    await show_menu(update, user, t(lang, "search.found", count=page.total))
    await say(update, body, reply_markup=markup)
    return END


async def name_text_only(update: Update, context: Context) -> None:
    user = context.user
    await say(update, t(user.language, "search.text_only"))


# ------------------------------------------------------------------------ result buttons


async def results_button(update: Update, context: Context) -> None:
    """Previous / next / widen on a result list: only for the latest search."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None and context.user_data is not None
    config = deps(context).config
    pressed = ResultsPage.pressed(update)
    search: Search | None = context.user_data.get("search")
    if search is None or pressed.version != search["v"]:
        await expired(update, lang)
        return
    radius, page = pressed.radius_m, pressed.page
    allowed = radius_steps(config, search["base_m"]) if search["kind"] == "near" else [0]
    if radius not in allowed:
        await expired(update, lang)
        return
    candidate = {**search, "radius_m": radius, "page": page}
    result, text, markup = await render(lang, candidate, config)
    if page and not result.hits:  # past the end: a forged or outdated page
        await expired(update, lang)
        return
    context.user_data["search"] = candidate
    await answer(update)
    await edit_in_place(query, text, markup)


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    nearby_entry = [
        CommandHandler("nearby", start_nearby),
        MessageHandler(filters.Regex(menu_pattern("menu.nearby")), start_nearby),
    ]
    search_entry = [
        CommandHandler("search", start_name_search),
        MessageHandler(filters.Regex(menu_pattern("menu.search")), start_name_search),
    ]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[*nearby_entry, *search_entry],
            states={
                ASK_LOCATION: [
                    MessageHandler(filters.LOCATION, got_location),
                    MessageHandler(PLACE_LABEL, got_place),
                    MessageHandler(NOT_CANCEL, location_only),
                ],
                ASK_NAME: [
                    MessageHandler(PLAIN_TEXT, got_name),
                    MessageHandler(NOT_CANCEL, name_text_only),
                ],
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
    app.add_handler(CallbackQueryHandler(results_button, pattern=ResultsPage.pattern()))
    app.add_handler(CallbackQueryHandler(filter_press, pattern=NearbyFilter.pattern()))
