"""Following and leaving: the ⭐ Follow button on shop pages, one-tap unfollow / mute under
every pushed promotion, /following (remove, mute, unmute), and following a kind of shop within
a radius of a saved place or a shared location (a short persistent flow).

Button data: bot/ui/buttons/follows.py (prefix `fol`), validated on every press.
"""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.formatting import format_distance, h
from bot.i18n import t
from bot.models import User
from bot.services import follows, users
from bot.services.follows import DEFAULT_RADIUS_M, FOLLOW_RADII_M, FollowError, FollowView
from bot.services.shops import get_shop
from bot.services.staff import works_at
from bot.ui.base import Context, Deps, answer, deps, edit_in_place, expired, say
from bot.ui.buttons.follows import (
    FollowButton,
    FollowCategory,
    FollowCategoryPick,
    FollowRadius,
    FollowShop,
    LeavePushedCategory,
    LeavePushedShop,
    RemoveFollow,
    ToggleMute,
    UnfollowShop,
)
from bot.ui.callbacks import CallbackData
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import category_buttons, inline, location_keyboard
from bot.ui.text import block, blocks, fit

FLOW = "follow_category"
# Conversation states (strings: they are persisted).
CATEGORY, RADIUS = "follow_category.category", "follow_category.radius"
PLACE = "follow_category.place"
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL


def _category_name(lang: str, category: str) -> str:
    return t(lang, f"category.{category}")


def _place_name(lang: str, label: str) -> str:
    return t(lang, f"settings.place_{label}")


# ---------------------------------------------------------------------------- shop page


def _page_button(lang: str, shop_id: int, following: bool) -> tuple[str, CallbackData]:
    if following:
        return t(lang, "follow.unfollow_button"), UnfollowShop(shop_id=shop_id)
    return t(lang, "follow.follow_button"), FollowShop(shop_id=shop_id)


async def shop_page_row(shop_id: int, user: User) -> list[list[tuple[str, CallbackData]]]:
    """⭐ Follow, or ✅ Following (tap to unfollow); nothing for the shop's own staff."""
    if await works_at(user.id, shop_id):
        return []
    follow = await follows.follow_of_shop(user.id, shop_id)
    following = follow is not None and not follow.muted
    return [[_page_button(user.language, shop_id, following)]]


async def _page_press(update: Update, user: User, follow: bool, shop_id: int) -> None:
    lang = user.language
    query = update.callback_query
    assert query is not None
    shop = await get_shop(shop_id)
    if shop is None:
        await expired(update, lang)
        return
    if follow:
        try:
            await follows.follow_shop(user.id, shop_id)
        except FollowError as error:
            if error.reason != "own_shop":
                await expired(update, lang)
            else:
                await answer(update, t(lang, "follow.own_shop"), alert=True)
            return
        toast = t(lang, "follow.followed", shop=shop.name)
    else:
        if not await follows.unfollow_shop(user.id, shop_id):
            await expired(update, lang)
            return
        toast = t(lang, "follow.unfollowed", shop=shop.name)
    await answer(update, toast, alert=True)
    new = _page_button(lang, shop_id, following=follow)
    await _edit_markup(update, _swapped(query.message.reply_markup, query.data or "", new))  # type: ignore[union-attr]


# ---------------------------------------------------------------------- pushed messages


async def _push_press(
    update: Update, context: Context, user: User, pressed: LeavePushedShop | LeavePushedCategory
) -> None:
    """Unfollow or mute what a pushed message came through; then drop that row from it."""
    lang = user.language
    toast: str | None = None
    if isinstance(pressed, LeavePushedShop):
        shop = await get_shop(pressed.shop_id)
        leave = pressed.leave
        if shop is not None and leave == "unf" and await follows.unfollow_shop(user.id, shop.id):
            toast = t(lang, "follow.unfollowed", shop=shop.name)
        elif shop is not None and leave == "mute" and await follows.mute_shop(user.id, shop.id):
            toast = t(lang, "follow.muted_shop", shop=shop.name)
    else:
        categories = deps(context).config.categories
        number, leave = pressed.index, pressed.leave
        category = categories[number] if number < len(categories) else None
        name = _category_name(lang, category) if category else ""
        if category and leave == "unf" and await follows.unfollow_category(user.id, category):
            toast = t(lang, "follow.unfollowed_category", category=name)
        elif category and leave == "mute" and await follows.mute_category(user.id, category):
            toast = t(lang, "follow.muted_category", category=name)
    if toast is None:
        await expired(update, lang)
        return
    await answer(update, toast, alert=True)
    message = update.callback_query.message  # type: ignore[union-attr]
    await _edit_markup(update, _without_follow_buttons(message.reply_markup))  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- /following


def following_screen(
    lang: str, views: list[FollowView], places: list[users.SavedPlace]
) -> tuple[str, InlineKeyboardMarkup]:
    """The user's follows, numbered, each with mute / unmute and remove buttons."""
    add: list[tuple[str, CallbackData]] = [
        (t(lang, "follow.add_category_button"), FollowCategory())
    ]
    if not views:
        return t(lang, "follow.list_empty"), inline([add])
    parts = blocks([t(lang, "follow.list_title"), ""])
    rows: list[list[tuple[str, CallbackData]]] = []
    for n, view in enumerate(views, 1):
        line = f"{n}. {_describe(lang, view, places)}"
        parts.append(
            block(line + (f" · {t(lang, 'follow.muted_mark')}" if view.muted else ""), drop=1)
        )
        mute_key = "follow.unmute_button" if view.muted else "follow.mute_button"
        rows.append(
            [
                (t(lang, mute_key, n=n), ToggleMute(follow_id=view.id)),
                (t(lang, "follow.remove_button", n=n), RemoveFollow(follow_id=view.id)),
            ]
        )
    parts += blocks(["", t(lang, "follow.list_hint")])
    more = fit(parts, more=lambda count: t(lang, "limits.more_below", count=count))
    return more.html, inline([*rows, add])


def _describe(lang: str, view: FollowView, places: list[users.SavedPlace]) -> str:
    if view.shop_id is not None:
        return f"🏪 {h(view.shop_name)}"
    return t(
        lang,
        "follow.list_category",
        category=_category_name(lang, view.category or ""),
        radius=format_distance(view.radius_m or 0, lang),
        place=_point_name(lang, view.lat, view.lng, places),
    )


def _point_name(lang: str, lat: float | None, lng: float | None, places: list[Any]) -> str:
    """A saved place's name when the follow's point is one, else 'the location you shared'."""
    for place in places:
        if abs(place.lat - (lat or 0)) < 1e-7 and abs(place.lng - (lng or 0)) < 1e-7:
            return _place_name(lang, place.label)
    return t(lang, "follow.place_shared")


async def following_command(update: Update, context: Context) -> None:
    text, markup = await _following_for(context.user)
    await say(update, text, reply_markup=markup)


async def _following_for(user: User) -> tuple[str, InlineKeyboardMarkup]:
    views = await follows.follows_of(user.id)
    return following_screen(user.language, views, await users.places_of(user.id))


async def _list_press(update: Update, user: User, remove: bool, follow_id: int) -> None:
    """Remove or (un)mute one of the presser's own follows, and refresh the list in place."""
    lang = user.language
    mine = {v.id: v for v in await follows.follows_of(user.id)}
    view = mine.get(follow_id)
    if view is None:
        await expired(update, lang)
        return
    if remove:
        await follows.remove(user.id, follow_id)
        toast = t(lang, "follow.removed")
    else:
        await follows.set_muted(user.id, follow_id, not view.muted)
        toast = t(lang, "follow.unmuted" if view.muted else "follow.muted")
    await answer(update, toast)
    text, markup = await _following_for(user)
    await edit_in_place(update.callback_query, text, markup)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ button router


async def on_press(update: Update, context: Context) -> None:
    """Every follows button outside the category flow."""
    user = context.user
    match pressed := FollowButton.pressed(update):
        case FollowShop(shop_id=shop_id) | UnfollowShop(shop_id=shop_id):
            await _page_press(update, user, isinstance(pressed, FollowShop), shop_id)
        case RemoveFollow(follow_id=follow_id) | ToggleMute(follow_id=follow_id):
            await _list_press(update, user, isinstance(pressed, RemoveFollow), follow_id)
        case LeavePushedShop() | LeavePushedCategory():
            await _push_press(update, context, user, pressed)
        case _:  # a step of the category flow, pressed outside it
            await expired(update, user.language)


# ------------------------------------------------------------------ follow a category


async def start_category(update: Update, context: Context) -> str:
    user = context.user
    await answer(update)
    new_draft(context, FLOW)
    categories = deps(context).config.categories
    await say(
        update,
        t(user.language, "follow.ask_category"),
        reply_markup=category_buttons(
            user.language, categories, lambda i: FollowCategoryPick(index=i)
        ),
    )
    return CATEGORY


async def got_category(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    categories = deps(context).config.categories
    index = FollowCategoryPick.pressed(update).index
    if index >= len(categories):
        await expired(update, lang)
        return CATEGORY
    await answer(update)
    draft(context, FLOW)["category"] = categories[index]
    buttons: list[tuple[str, CallbackData]] = [
        (_radius_label(lang, radius), FollowRadius(metres=radius)) for radius in FOLLOW_RADII_M
    ]
    text = t(lang, "follow.ask_radius", category=_category_name(lang, categories[index]))
    await edit_in_place(query, text, inline([buttons]))
    return RADIUS


def _radius_label(lang: str, radius: int) -> str:
    distance = format_distance(radius, lang)
    if radius == DEFAULT_RADIUS_M:
        return t(lang, "follow.radius_recommended", radius=distance)
    return distance


async def got_radius(update: Update, context: Context) -> str:
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    radius = FollowRadius.pressed(update).metres
    category = draft(context, FLOW).get("category")
    if radius not in FOLLOW_RADII_M or category is None:
        await expired(update, lang)
        return RADIUS
    await answer(update)
    draft(context, FLOW)["radius"] = radius
    chosen = t(
        lang,
        "follow.chosen",
        category=_category_name(lang, category),
        radius=format_distance(radius, lang),
    )
    await edit_in_place(query, chosen, None)
    await _ask_place(update, user)
    return PLACE


async def _ask_place(update: Update, user: User, *, again: bool = False) -> None:
    lang = user.language
    saved = [_place_name(lang, p.label) for p in await users.places_of(user.id)]
    key = "follow.ask_place" if saved else "follow.ask_place_none"
    text = t(lang, "follow.expected_place") if again else t(lang, key)
    await say(update, text, reply_markup=location_keyboard(lang, extra=saved))


async def got_location(update: Update, context: Context) -> int | str:
    user = context.user
    assert update.message is not None and update.message.location is not None
    location = update.message.location
    return await _finish(update, context, user, location.latitude, location.longitude)


async def got_place_text(update: Update, context: Context) -> int | str:
    """A saved place's button (its name in the user's language); anything else re-asks."""
    user = context.user
    text = (update.message.text or "").strip() if update.message else ""
    for place in await users.places_of(user.id):
        if text == _place_name(user.language, place.label):
            return await _finish(update, context, user, place.lat, place.lng)
    await _ask_place(update, user, again=True)
    return PLACE


async def _finish(
    update: Update, context: Context, user: User, lat: float, lng: float
) -> int | str:
    lang = user.language
    state = draft(context, FLOW)
    config: Config = deps(context).config
    category, radius = state.get("category"), state.get("radius")
    try:
        await follows.follow_category(
            user.id, category or "", lat, lng, radius or 0, categories=config.categories
        )
    except FollowError as error:
        if error.reason != "bad_place":  # the draft is broken (e.g. categories changed)
            await show_menu(update, user, t(lang, "follow.start_again"))
            return END
        await _ask_place(update, user, again=True)
        return PLACE
    place = _point_name(lang, lat, lng, await users.places_of(user.id))
    done = t(
        lang,
        "follow.category_followed",
        category=_category_name(lang, category or ""),
        radius=format_distance(radius or 0, lang),
        place=place,
    )
    await show_menu(update, user, done)
    return END


async def use_buttons(update: Update, context: Context) -> None:
    """Typing where buttons are expected: point at them, change nothing."""
    await say(update, t(context.user.language, "follow.use_buttons"))


# ------------------------------------------------------------------------------ helpers


def _swapped(
    markup: InlineKeyboardMarkup | None, old_data: str, new: tuple[str, CallbackData]
) -> InlineKeyboardMarkup | None:
    """The markup with the button carrying `old_data` replaced (other features' buttons kept)."""
    if markup is None:
        return None
    label, data = new
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=data.pack())
                if button.callback_data == old_data
                else button
                for button in row
            ]
            for row in markup.inline_keyboard
        ]
    )


def _without_follow_buttons(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The markup minus the unfollow / mute buttons (the claim button stays)."""
    if markup is None:
        return None
    rows = [
        [b for b in row if FollowButton.unpack(b.callback_data) is None]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def _edit_markup(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    """Best effort: a message too old to edit keeps its buttons, which then answer 'expired'."""
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(markup)


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.shop_page_buttons.append(shop_page_row)
    app.add_handler(CommandHandler("following", following_command))
    add_flow(
        app,
        Flow(
            FLOW,
            allow_reentry=True,
            entry_points=[CallbackQueryHandler(start_category, pattern=FollowCategory.pattern())],
            states={
                CATEGORY: [
                    CallbackQueryHandler(got_category, pattern=FollowCategoryPick.pattern()),
                    MessageHandler(NOT_CANCEL, use_buttons),
                ],
                RADIUS: [
                    CallbackQueryHandler(got_radius, pattern=FollowRadius.pattern()),
                    MessageHandler(NOT_CANCEL, use_buttons),
                ],
                PLACE: [
                    MessageHandler(filters.LOCATION, got_location),
                    MessageHandler(NOT_CANCEL, got_place_text),
                ],
            },
            fallbacks=flow_fallbacks(),
        ),
    )
    app.add_handler(CallbackQueryHandler(on_press, pattern=FollowButton.pattern()))
